"""Technician schedules as the catalog snapshot reads them: weekly blocks in local minutes, time off and extra shifts in epoch minutes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from coresync.bookings.tests.support import NEW_YORK
from coresync.catalog.selectors import catalog_snapshot, epoch_minutes
from coresync.catalog.tests.factories import SkillFactory
from coresync.technicians.models import ExtraShift, TimeOff, WeeklyShift
from coresync.technicians.tests.factories import ExtraShiftFactory, TechnicianFactory, TimeOffFactory


def test_the_snapshot_holds_each_technicians_week_skills_and_exceptions(db):
    skill = SkillFactory()
    technician = TechnicianFactory(skills=[skill], schedule={0: [("09:00", "12:00"), ("13:00", "17:30")], 4: [("12:00", "21:00")]})
    soon = timezone.now() + timedelta(days=2)
    off = TimeOffFactory(technician=technician, starts_at=soon, ends_at=soon + timedelta(hours=3))
    extra = ExtraShiftFactory(technician=technician, starts_at=soon + timedelta(days=1), ends_at=soon + timedelta(days=1, hours=4))

    info = catalog_snapshot().technicians[technician.id]

    assert info.weekly == {0: ((540, 720), (780, 1050)), 4: ((720, 1260),)}
    assert info.skill_ids == frozenset({skill.id})
    assert info.time_off == ((epoch_minutes(off.starts_at), epoch_minutes(off.ends_at)),)
    assert info.extra_shifts == ((epoch_minutes(extra.starts_at), epoch_minutes(extra.ends_at)),)


def test_long_past_exceptions_and_inactive_technicians_are_left_out(db):
    technician = TechnicianFactory()
    retired = TechnicianFactory(active=False)
    long_ago = timezone.now() - timedelta(days=30)
    TimeOffFactory(technician=technician, starts_at=long_ago, ends_at=long_ago + timedelta(hours=2))

    snapshot = catalog_snapshot()

    assert snapshot.technicians[technician.id].time_off == ()
    assert retired.id not in snapshot.technicians


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (WeeklyShift, {"weekday": 0, "starts": time(17), "ends": time(9)}),
        (TimeOff, {"starts_at": datetime(2030, 6, 3, 12, tzinfo=NEW_YORK), "ends_at": datetime(2030, 6, 3, 11, tzinfo=NEW_YORK)}),
        (ExtraShift, {"starts_at": datetime(2030, 6, 3, 12, tzinfo=NEW_YORK), "ends_at": datetime(2030, 6, 3, 12, tzinfo=NEW_YORK)}),
    ],
)
def test_a_block_must_end_after_it_starts(db, model, fields):
    technician = TechnicianFactory(schedule={})

    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(technician=technician, **fields)
