"""S3 (SPEC §9): the booking lock queues only writers whose times overlap, not a whole location-day (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta

import pytest
from django.db import connection

from coresync.bookings.models import ACTIVE_Q, Booking
from coresync.bookings.services import GuestDetails, booking_create
from coresync.core.errors import SlotUnavailable

from .support import MONDAY, NOW, at, small_spa

TUESDAY = MONDAY + timedelta(days=1)


def _book(spa, wall: str, n: int, in_transaction=None) -> str:
    try:
        booking_create(service=spa.service.slug, start=at(TUESDAY, wall), technician=spa.technician.id,
                       guest=GuestDetails(name=f"Guest {n}", email=f"guest{n}@example.test"), now=NOW,
                       in_transaction=in_transaction)
        return "created"
    except SlotUnavailable:
        return "slot_unavailable"
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_booking_later_the_same_day_does_not_wait_for_an_open_one_but_an_overlapping_one_does():
    """Before: one advisory lock per location-day, so the 15:00 booking waited for the 10:00 one's commit."""
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL only")
    spa = small_spa()
    spa.add_room()
    inside, release = threading.Event(), threading.Event()

    def hold(booking) -> None:  # the 10:00 booking keeps its transaction (and its locks) open
        inside.set()
        release.wait(20)

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(_book, spa, "10:00", 1, hold)
        assert inside.wait(10)
        later = pool.submit(_book, spa, "15:00", 2)
        overlapping = pool.submit(_book, spa, "10:30", 3)
        try:
            assert later.result(timeout=5) == "created"  # did not queue behind the open 10:00 transaction
            with pytest.raises(FutureTimeout):
                overlapping.result(timeout=0.5)  # 10:30 overlaps 10:00-11:15: it waits for the commit
        finally:
            release.set()
        assert first.result(timeout=20) == "created"
        assert overlapping.result(timeout=20) == "slot_unavailable"  # then sees the committed booking: a 409

    assert Booking.objects.filter(ACTIVE_Q, technician=spa.technician).count() == 2
