"""S6 query budgets (SPEC §9): availability ≤ 4 queries whatever the days and bookings; booking create ≤ 8."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coresync.accounts.models import User
from coresync.bookings.models import Booking
from coresync.bookings.selectors import availability_for, read_models
from coresync.bookings.services import GuestDetails, booking_create
from coresync.catalog.selectors import catalog_invalidate
from coresync.catalog.tests.factories import AddOnFactory, ServiceFactory
from coresync.memberships.selectors import tiers_invalidate
from coresync.memberships.tests.factories import MembershipFactory, MembershipTierFactory
from coresync.technicians.selectors import schedule_invalidate
from coresync.technicians.tests.factories import ExtraShiftFactory, TimeOffFactory

from .support import MONDAY, NOW, at

TECHNICIANS = 4


@pytest.fixture
def busy_spa(spa):
    for _ in range(TECHNICIANS - 1):
        spa.add_technician()
        spa.add_room()
    spa.member_id = MembershipFactory(tier=MembershipTierFactory(booking_window_days=90)).user_id
    return spa


def add_bookings(spa, count: int, first: int = 0) -> None:
    """``count`` bookings over the next 90 days, technician k always in room k, never overlapping."""
    technicians = list(spa.location.technicians.order_by("id"))
    rooms = list(spa.location.rooms.order_by("id"))
    rows = []
    for i in range(first, first + count):
        day, k, hour = i % 90, (i // 90) % TECHNICIANS, 9 + 2 * (i // (90 * TECHNICIANS))
        start = at(MONDAY + timedelta(days=day), f"{hour:02d}:00")
        rows.append(Booking(
            reference=f"CS-B{i:05d}",  # fixed: 1,000 random references may clash (30^6 codes)
            location=spa.location, service=spa.service, technician=technicians[k], room=rooms[k], start=start,
            end=start + timedelta(minutes=60), blocked_until=start + timedelta(minutes=75),
            customer_name="Guest", customer_email=f"g{i}@example.test", subtotal=Decimal("100.00"), total=Decimal("108.88"),
        ))
    Booking.objects.bulk_create(rows)


def queries_for_availability(spa, days: int, *, member: bool = True) -> tuple[int, int]:
    viewer = User.objects.get(pk=spa.member_id) if member else None  # a fresh user: the tier lookup is not remembered
    with CaptureQueriesContext(connection) as captured:
        result = availability_for(service=spa.service.slug, date_from=MONDAY, date_to=MONDAY + timedelta(days=days - 1),
                                  viewer=viewer, now=NOW)
    return len(captured), len(result.slots)


@pytest.mark.parametrize("bookings", [0, 100, 1000])
def test_availability_costs_the_same_few_queries_for_3_or_90_days(busy_spa, bookings):
    add_bookings(busy_spa, bookings)
    read_models()  # warm: catalog, schedules and tiers, as in a running server

    short, short_slots = queries_for_availability(busy_spa, 3)
    long, long_slots = queries_for_availability(busy_spa, 90)
    guest, _ = queries_for_availability(busy_spa, 3, member=False)

    assert short == long <= 4
    assert guest == short - 1  # the membership lookup is the only extra
    assert long_slots > short_slots > 0


def test_availability_query_count_does_not_grow_with_bookings(busy_spa):
    read_models()
    counts = []
    for total in (0, 100, 1000):
        existing = Booking.objects.filter(service=busy_spa.service.id).count()
        add_bookings(busy_spa, total - existing, first=existing)
        counts.append(queries_for_availability(busy_spa, 90)[0])

    assert counts[0] == counts[1] == counts[2] <= 4


def cold_and_warm(spa) -> tuple[int, int]:
    catalog_invalidate()
    schedule_invalidate()
    tiers_invalidate()
    with CaptureQueriesContext(connection) as cold:
        availability_for(service=spa.service.slug, date_from=MONDAY, date_to=MONDAY, now=NOW)
    with CaptureQueriesContext(connection) as warm:
        availability_for(service=spa.service.slug, date_from=MONDAY, date_to=MONDAY, now=NOW)
    return len(cold), len(warm)


def test_a_cold_snapshot_costs_a_fixed_number_of_queries_whatever_the_catalog_size(busy_spa):
    small = cold_and_warm(busy_spa)
    for _ in range(5):
        technician = busy_spa.add_technician()
        TimeOffFactory(technician=technician, starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=4))
        ExtraShiftFactory(technician=technician, starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=5, hours=2))
        busy_spa.add_room()
        ServiceFactory(location=busy_spa.location)
        AddOnFactory(services=[busy_spa.service])

    assert cold_and_warm(busy_spa) == small
    assert small[1] == 1


@pytest.mark.parametrize("member", [False, True])
def test_booking_create_stays_within_eight_queries(busy_spa, member, django_assert_max_num_queries):
    add_bookings(busy_spa, 1000)
    customer = User.objects.get(pk=busy_spa.member_id) if member else None
    read_models()

    with django_assert_max_num_queries(8):
        booking = booking_create(service=busy_spa.service.slug, start=at(MONDAY + timedelta(days=1), "15:00"), customer=customer,
                                 guest=None if member else GuestDetails(name="Ada", email="ada@example.test"),
                                 addons=[busy_spa.addon.slug], now=NOW)

    assert booking.pk and booking.booking_addons.count() == 1
