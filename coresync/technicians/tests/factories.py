"""Technician factories: who works, with which skills, on which weekly schedule, with time off and extra shifts."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from coresync.catalog.tests.factories import EVERY_DAY_9_TO_5, LocationFactory, as_time
from coresync.memberships.tests.factories import UserFactory
from coresync.technicians.models import ExtraShift, Technician, TimeOff, WeeklyShift


class TechnicianFactory(DjangoModelFactory):
    """A technician working 09:00–17:00 every day unless ``schedule={weekday: [(starts, ends), ...]}``; ``skills=[...]``."""

    class Meta:
        model = Technician
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role="technician")
    location = factory.SubFactory(LocationFactory)
    display_name = factory.Sequence(lambda n: f"Technician {n}")

    @factory.post_generation
    def skills(technician, create, extracted, **kwargs):
        if create and extracted:
            technician.skills.set(extracted)

    @factory.post_generation
    def schedule(technician, create, extracted, **kwargs):
        if not create:
            return
        for weekday, blocks in (EVERY_DAY_9_TO_5 if extracted is None else extracted).items():
            for starts, ends in blocks:
                WeeklyShift.objects.create(technician=technician, weekday=weekday, starts=as_time(starts), ends=as_time(ends))


class TimeOffFactory(DjangoModelFactory):
    class Meta:
        model = TimeOff

    technician = factory.SubFactory(TechnicianFactory)


class ExtraShiftFactory(DjangoModelFactory):
    class Meta:
        model = ExtraShift

    technician = factory.SubFactory(TechnicianFactory)
