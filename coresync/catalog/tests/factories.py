"""Catalog factories: a location with opening hours, rooms, skills, services with prices, add-ons."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from coresync.catalog.models import AddOn, Location, OpeningHours, Price, Room, RoomType, Service, ServiceCategory, Skill

EVERY_DAY_9_TO_5 = {weekday: [("09:00", "17:00")] for weekday in range(7)}


def as_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class LocationFactory(DjangoModelFactory):
    """A location open 09:00–17:00 every day unless ``hours={weekday: [(opens, closes), ...]}`` says otherwise."""

    class Meta:
        model = Location
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test Spa {n}")
    slug = factory.Sequence(lambda n: f"test-spa-{n}")
    timezone = "America/New_York"
    slot_step_minutes = 15
    lead_time_minutes = 120
    guest_booking_window_days = 3
    free_cancellation_hours = 24
    sales_tax_rate = Decimal("8.875")

    @factory.post_generation
    def hours(location, create, extracted, **kwargs):
        if not create:
            return
        for weekday, blocks in (EVERY_DAY_9_TO_5 if extracted is None else extracted).items():
            for opens, closes in blocks:
                OpeningHours.objects.create(location=location, weekday=weekday, opens=as_time(opens), closes=as_time(closes))


class RoomTypeFactory(DjangoModelFactory):
    class Meta:
        model = RoomType
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"room-type-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class RoomFactory(DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    room_type = factory.SubFactory(RoomTypeFactory)


class SkillFactory(DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"skill-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class ServiceCategoryFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCategory

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    taxable = True


class ServiceFactory(DjangoModelFactory):
    """A 60-minute service with a 15-minute buffer; ``prices={"non_member": "100.00", ...}`` sets its price columns."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    location = factory.SubFactory(LocationFactory)
    category = factory.SubFactory(ServiceCategoryFactory)
    name = factory.Sequence(lambda n: f"Test Service {n}")
    slug = factory.Sequence(lambda n: f"test-service-{n}")
    duration_minutes = 60
    buffer_minutes = 15
    required_room_type = factory.SubFactory(RoomTypeFactory)
    required_skill = factory.SubFactory(SkillFactory)

    @factory.post_generation
    def prices(service, create, extracted, **kwargs):
        if not create:
            return
        for column, amount in (extracted if extracted is not None else {"non_member": "100.00", "base": "70.00", "premium": "60.00"}).items():
            PriceFactory(service=service, column=column, amount=Decimal(amount))


class AddOnFactory(DjangoModelFactory):
    """An add-on of ``services=[...]``; ``prices=`` as for services."""

    class Meta:
        model = AddOn
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test Add-on {n}")
    slug = factory.Sequence(lambda n: f"test-addon-{n}")
    extra_minutes = 15

    @factory.post_generation
    def services(addon, create, extracted, **kwargs):
        if create and extracted:
            addon.services.set(extracted)

    @factory.post_generation
    def prices(addon, create, extracted, **kwargs):
        if not create:
            return
        for column, amount in (extracted if extracted is not None else {"non_member": "20.00", "base": "14.00", "premium": "12.00"}).items():
            PriceFactory(addon=addon, column=column, amount=Decimal(amount))


class PriceFactory(DjangoModelFactory):
    class Meta:
        model = Price

    column = "non_member"
    amount = Decimal("100.00")
