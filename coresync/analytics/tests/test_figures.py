"""The dashboard's booking figures: PostgreSQL's single GROUPING SETS scan gives exactly what the four ORM queries give."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coresync.analytics import selectors
from coresync.bookings.tests.factories import BookingFactory
from coresync.bookings.tests.support import MONDAY, NEW_YORK, at

pytestmark = pytest.mark.django_db


def test_one_scan_equals_the_orm_queries(demo_spa):
    service = demo_spa.services["swedish-massage"]
    rooms = list(demo_spa.location.rooms.filter(room_type=service.required_room_type))
    techs = [demo_spa.technicians["Maya Rivera"], demo_spa.technicians["Daniel Cho"]]
    statuses = ["confirmed", "completed", "cancelled", "no_show", "expired", "pending_payment"]
    channels = ["web", "chat", "phone", "admin"]
    for n in range(24):
        # 23:30 and 00:30 New York walls: the local day, not the UTC one, groups them
        wall = ["10:00", "23:00", "00:30", "14:00"][n % 4]
        BookingFactory(service=service, technician=techs[n % 2], room=rooms[n % len(rooms)],
                       start=at(MONDAY + timedelta(days=n // 4 * 2 + n % 2), wall),
                       status=statuses[n % len(statuses)], channel=channels[n % 4], total=Decimal("100.00") + n)
    window = selectors.Range(MONDAY, MONDAY + timedelta(days=13), NEW_YORK)
    with CaptureQueriesContext(connection) as queries:
        fast = selectors.booking_figures(window)
    slow = selectors._figures_orm(window)
    assert fast.revenue_by_day == slow.revenue_by_day and fast.revenue_by_day
    assert sorted(fast.channel_status) == sorted(slow.channel_status) and len(fast.channel_status) > 4
    assert fast.busy_technician == slow.busy_technician and fast.busy_technician
    assert fast.busy_room == slow.busy_room and fast.busy_room
    assert len(queries) == (1 if connection.vendor == "postgresql" else 4)
