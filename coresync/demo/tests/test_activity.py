"""The demo spa's activity (issue 15): history for the dashboard, a day for the portal, hours to approve; idempotent,
never overlapping a technician or a room."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from coresync.ai_agent.models import Conversation
from coresync.bookings.models import Booking
from coresync.demo.activity import seed_activity
from coresync.technicians.models import ReviewStatus, WorkLog

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 6, 5, 14, 20, tzinfo=NY)  # a Wednesday afternoon
TODAY = date(2030, 6, 5)


def _no_overlap(rows):
    by_key: dict = {}
    for key, start, until in rows:
        by_key.setdefault(key, []).append((start, until))
    for intervals in by_key.values():
        for (_s1, e1), (s2, _e2) in pairwise(sorted(intervals)):
            assert e1 <= s2


def test_the_demo_has_history_a_day_and_hours_and_runs_twice_without_change(demo_spa):
    first = seed_activity(today=TODAY, now=NOW)
    assert first["bookings"] > 300 and first["worklogs"] > 20 and first["conversations"] > 50
    active = Booking.objects.exclude(status="cancelled")
    _no_overlap(active.values_list("technician_id", "start", "blocked_until"))
    _no_overlap(active.values_list("room_id", "start", "blocked_until"))
    maya = demo_spa.technicians["Maya Rivera"]
    started = Booking.objects.filter(technician=maya, status="confirmed", start__lte=NOW, start__gte=NOW - timedelta(hours=1))
    assert started.exists(), "Maya has a booking to mark completed"
    assert not WorkLog.objects.filter(technician=maya, date=TODAY).exists(), "today is left for her to log"
    assert WorkLog.objects.filter(date__gte=date(2030, 6, 3), status=ReviewStatus.PENDING).exists()
    assert WorkLog.objects.filter(date__lt=date(2030, 6, 3), status=ReviewStatus.APPROVED).exists()
    assert Booking.objects.filter(start__lt=NOW, status="completed").count() > 200
    assert set(Booking.objects.values_list("channel", flat=True)) == {"web", "chat", "phone", "admin"}
    assert not Booking.objects.filter(customer__isnull=False).exists()  # the demo members' own pages stay as they are

    counts = (Booking.objects.count(), WorkLog.objects.count(), Conversation.objects.count())
    assert seed_activity(today=TODAY, now=NOW + timedelta(minutes=5)) == {"bookings": 0, "worklogs": 0, "conversations": 0}
    assert (Booking.objects.count(), WorkLog.objects.count(), Conversation.objects.count()) == counts
