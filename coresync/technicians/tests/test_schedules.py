"""Technician schedules, their own read model: weekly blocks in local minutes, time off and extra shifts in epoch minutes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from coresync.bookings.selectors import availability_for
from coresync.bookings.tests.support import MONDAY, NEW_YORK, NOW, at, small_spa, walls
from coresync.catalog.selectors import catalog_snapshot, catalog_version, epoch_minutes
from coresync.catalog.tests.factories import SkillFactory
from coresync.technicians.models import ExtraShift, TimeOff, WeeklyShift
from coresync.technicians.selectors import schedule_snapshot, schedule_version
from coresync.technicians.tests.factories import ExtraShiftFactory, TechnicianFactory, TimeOffFactory

TUESDAY = MONDAY + timedelta(days=1)


def offered(spa, day=TUESDAY):
    return walls(availability_for(service=spa.service.slug, date_from=day, date_to=day, now=NOW))


def test_the_snapshot_holds_each_technicians_week_skills_and_exceptions(db):
    skill = SkillFactory()
    technician = TechnicianFactory(skills=[skill], schedule={0: [("09:00", "12:00"), ("13:00", "17:30")], 4: [("12:00", "21:00")]})
    soon = timezone.now() + timedelta(days=2)
    off = TimeOffFactory(technician=technician, starts_at=soon, ends_at=soon + timedelta(hours=3))
    extra = ExtraShiftFactory(technician=technician, starts_at=soon + timedelta(days=1), ends_at=soon + timedelta(days=1, hours=4))

    info = schedule_snapshot().technicians[technician.id]

    assert info.weekly == {0: ((540, 720), (780, 1050)), 4: ((720, 1260),)}
    assert info.skill_ids == frozenset({skill.id})
    assert info.time_off == ((epoch_minutes(off.starts_at), epoch_minutes(off.ends_at)),)
    assert info.extra_shifts == ((epoch_minutes(extra.starts_at), epoch_minutes(extra.ends_at)),)


def test_long_past_exceptions_and_inactive_technicians_are_left_out(db):
    technician = TechnicianFactory()
    retired = TechnicianFactory(active=False)
    long_ago = timezone.now() - timedelta(days=30)
    TimeOffFactory(technician=technician, starts_at=long_ago, ends_at=long_ago + timedelta(hours=2))

    snapshot = schedule_snapshot()

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


# --- the schedules are their own read model --------------------------------------------------------
# Time is frozen, so every request falls in the same minute: a stale cached answer would be served.
DEMO_NOW = datetime(2026, 12, 1, 8, 0, tzinfo=NEW_YORK)  # a Tuesday before opening
DEMO_TOMORROW = DEMO_NOW.date() + timedelta(days=1)


def maya_starts(client, maya) -> list[str]:
    day = DEMO_TOMORROW.isoformat()
    response = client.get("/api/v1/availability/", {"service": "swedish-massage", "date_from": day, "date_to": day, "technician": maya.id})
    assert response.status_code == 200, response.content
    return [slot["start"] for slot in response.json()["slots"]]


def test_a_time_off_bumps_the_schedule_version_not_the_catalog_and_is_offered_no_more_at_once(client, demo_spa):
    from coresync.ai_agent.engine.catalog_index import current_index

    maya = demo_spa.technicians["Maya Rivera"]
    with time_machine.travel(DEMO_NOW, tick=False):
        assert maya_starts(client, maya)  # answered, and cached
        catalog, index, schedule = catalog_snapshot(), current_index(), schedule_snapshot()

        TimeOffFactory(technician=maya, starts_at=at(DEMO_TOMORROW, "00:00"), ends_at=at(DEMO_TOMORROW, "23:59"))

        assert maya_starts(client, maya) == []
        assert catalog_version() == catalog.version and catalog_snapshot() is catalog  # the catalog was not rebuilt
        assert current_index() is index  # nor the concierge's phrases
        assert schedule_version() != schedule.version
        assert schedule_snapshot().technicians[maya.id].time_off != schedule.technicians[maya.id].time_off


def test_a_renamed_technician_is_understood_by_the_concierge_at_once(demo_spa):
    from coresync.ai_agent.engine.catalog_index import current_index

    maya = demo_spa.technicians["Maya Rivera"]
    assert "technician" not in current_index().find("with mayra please")

    maya.display_name = "Mayra Rivera"
    maya.save()

    assert current_index().find("with mayra please")["technician"] == [maya.id]


def test_a_changed_weekly_schedule_is_seen_by_the_next_availability(db):
    spa = small_spa()
    assert offered(spa)[0] == "09:00"

    shift = WeeklyShift.objects.get(technician=spa.technician, weekday=TUESDAY.weekday())
    shift.starts = shift.starts.replace(hour=13)
    shift.save()

    assert offered(spa)[0] == "13:00"

    shift.delete()

    assert offered(spa) == []


def test_time_off_added_and_removed_is_seen_at_once(db):
    spa = small_spa()
    time_off = TimeOffFactory(technician=spa.technician, starts_at=at(TUESDAY, "00:00"), ends_at=at(TUESDAY, "23:59"))
    assert offered(spa) == []

    time_off.delete()

    assert len(offered(spa)) == 29
