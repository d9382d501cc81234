"""Daylight-saving days in America/New_York: starts at the right wall times, with the right offsets.

Spring forward: 2027-03-14, 02:00 EST becomes 03:00 EDT (the night has 23 hours).
Fall back: 2026-11-01 and 2027-11-07, 02:00 EDT becomes 01:00 EST (25 hours; 01:00–02:00 happens twice).
Opening hours are local wall times, so a 01:00–04:00 block lasts two real hours in
spring and four in autumn; on a 15-minute grid a 60-minute service has 5 and 13 starts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_create

from .support import NEW_YORK, at, small_spa

NIGHT = {6: [("01:00", "04:00")]}  # Sundays, across the change
SPRING = date(2027, 3, 14)
FALL_DAYS = [date(2026, 11, 1), date(2027, 11, 7)]
GUEST = GuestDetails(name="Night Owl", email="owl@example.test")


def starts(spa, day: date) -> list[str]:
    now = at(day - timedelta(days=2), "08:00")
    return [s.start_iso for s in availability_for(service=spa.service.slug, date_from=day, date_to=day, now=now).slots]


@pytest.fixture
def night_spa(db):
    return small_spa(hours=NIGHT, schedule={6: [("00:00", "05:00")]}, buffer=0)


def test_spring_forward_night_has_five_starts(night_spa):
    assert starts(night_spa, SPRING) == [
        "2027-03-14T01:00:00-05:00",
        "2027-03-14T01:15:00-05:00",
        "2027-03-14T01:30:00-05:00",
        "2027-03-14T01:45:00-05:00",
        "2027-03-14T03:00:00-04:00",  # 02:00–02:59 does not exist; 03:00 EDT + 60 min ends at the 04:00 close
    ]


@pytest.mark.parametrize("day", FALL_DAYS, ids=str)
def test_fall_back_night_has_thirteen_starts(night_spa, day):
    d = day.isoformat()
    first_pass = [f"{d}T01:{m:02d}:00-04:00" for m in (0, 15, 30, 45)]
    second_pass = [f"{d}T01:{m:02d}:00-05:00" for m in (0, 15, 30, 45)]
    after = [f"{d}T0{h}:{m:02d}:00-05:00" for h, m in ((2, 0), (2, 15), (2, 30), (2, 45), (3, 0))]

    assert starts(night_spa, day) == first_pass + second_pass + after


@pytest.mark.parametrize("day", FALL_DAYS, ids=str)
def test_the_repeated_hour_can_be_booked_the_second_time_round(night_spa, day):
    second_one_oclock = next(
        s for s in availability_for(service=night_spa.service.slug, date_from=day, date_to=day, now=at(day - timedelta(days=2), "08:00")).slots
        if s.start_iso.endswith("T01:00:00-05:00")
    )

    booking = booking_create(service=night_spa.service.slug, start=second_one_oclock.start, guest=GUEST, now=at(day - timedelta(days=2), "08:00"))

    assert booking.start == datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=6)  # 01:00 EST = 06:00 UTC
    assert booking.end - booking.start == timedelta(minutes=60)
    left = starts(night_spa, day)
    assert f"{day}T01:00:00-04:00" in left  # the first 01:00 (05:00 UTC) ends as the booking begins
    assert f"{day}T01:00:00-05:00" not in left
    assert f"{day}T02:00:00-05:00" in left


def test_spring_forward_start_can_be_booked_after_the_gap(night_spa):
    booking = booking_create(service=night_spa.service.slug, start=datetime(2027, 3, 14, 3, 0, tzinfo=NEW_YORK), guest=GUEST,
                             now=at(SPRING - timedelta(days=2), "08:00"))

    assert booking.start == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)
    assert starts(night_spa, SPRING) == ["2027-03-14T01:00:00-05:00"]  # 01:15–01:45 EST would run into 03:00 EDT


@pytest.mark.parametrize(
    ("day", "before", "after"),
    [(SPRING, "-05:00", "-04:00"), (FALL_DAYS[0], "-04:00", "-05:00"), (FALL_DAYS[1], "-04:00", "-05:00")],
    ids=str,
)
def test_daytime_hours_around_a_change_keep_their_wall_times(db, day, before, after):
    spa = small_spa()  # 09:00–17:00 every day
    saturday, sunday = day - timedelta(days=1), day
    now = at(day - timedelta(days=2), "08:00")

    result = availability_for(service=spa.service.slug, date_from=saturday, date_to=sunday, now=now)

    by_day = {d: [s for s in result.slots if s.start_iso.startswith(d.isoformat())] for d in (saturday, sunday)}
    for d, offset in ((saturday, before), (sunday, after)):
        assert len(by_day[d]) == 29
        assert by_day[d][0].start_iso == f"{d}T09:00:00{offset}"
        assert by_day[d][-1].start_iso == f"{d}T16:00:00{offset}"
        assert by_day[d][-1].end_iso == f"{d}T17:00:00{offset}"
    assert result.slots[-1].start == datetime.combine(sunday, datetime.min.time().replace(hour=16), NEW_YORK)
