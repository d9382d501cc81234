"""Every status change goes through the transition table and leaves one history entry (who, what, when, channel)."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from coresync.bookings.models import Booking, BookingEvent, BookingStatus, EventKind
from coresync.bookings.services import (
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_mark_no_show,
    booking_reschedule,
    bookings_complete_past,
    bookings_expire_holds,
)
from coresync.bookings.signals import booking_changed
from coresync.bookings.transitions import ALLOWED, can_transition
from coresync.core.errors import InvalidBookingState
from coresync.memberships.tests.factories import UserFactory

from .support import NOW, at
from .test_services import TUESDAY, book

PACKAGE = Path(__file__).resolve().parents[2]


def history(booking) -> list[tuple]:
    return list(BookingEvent.objects.filter(booking=booking).values_list("kind", "from_status", "to_status", "channel"))


def test_a_new_booking_announces_its_creation_and_the_row_holds_who_and_where(spa):
    heard = []

    def receiver(sender, booking, event, **kwargs):
        heard.append((event.kind, event.to_status, event.channel, event.actor_label))

    booking_changed.connect(receiver, weak=False)
    try:
        booking = book(spa, channel="chat")
    finally:
        booking_changed.disconnect(receiver)
    assert heard == [(EventKind.CREATED, BookingStatus.CONFIRMED, "chat", "ada@example.test")]
    assert history(booking) == []  # the booking row is the record of its creation (channel, customer, created_at)
    assert (booking.channel, booking.customer_email) == ("chat", "ada@example.test")


def test_cancel_and_reschedule_record_who_and_through_which_channel(spa):
    booking = book(spa)
    staff = UserFactory(is_staff=True)
    booking_reschedule(booking=booking, start=at(TUESDAY, "13:00"), actor=staff, now=NOW, channel="phone")
    booking_cancel(booking=booking, actor=staff, reason="Guest called", now=NOW)

    moved, cancelled = BookingEvent.objects.filter(booking=booking)
    assert (moved.kind, moved.channel, moved.actor_id) == (EventKind.RESCHEDULED, "phone", staff.pk)
    assert datetime.fromisoformat(moved.data["from"]) == at(TUESDAY, "11:00")
    assert datetime.fromisoformat(moved.data["to"]) == at(TUESDAY, "13:00")
    assert (cancelled.from_status, cancelled.to_status, cancelled.channel, cancelled.reason) == (
        BookingStatus.CONFIRMED, BookingStatus.CANCELLED, "admin", "Guest called")


def test_expired_holds_and_auto_completion_are_recorded_as_the_scheduler(spa, settings):
    settings.BOOKING_PAYMENT_MODE = "online"
    hold = book(spa)
    settings.BOOKING_PAYMENT_MODE = "on_site"
    done = book(spa, wall="14:00")

    assert bookings_expire_holds(now=NOW + timedelta(minutes=20)) == 1
    assert bookings_complete_past(now=done.end + timedelta(hours=3)) == 1
    assert history(hold)[-1] == (EventKind.STATUS, BookingStatus.PENDING_PAYMENT, BookingStatus.EXPIRED, "system")
    assert history(done)[-1] == (EventKind.STATUS, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, "system")
    assert BookingEvent.objects.filter(booking=hold, to_status="expired").get().actor_label == "hold expiry"


def test_the_table_refuses_illegal_moves(spa):
    booking = book(spa)
    booking_cancel(booking=booking, now=NOW)
    with pytest.raises(InvalidBookingState):
        booking_complete(booking=booking, now=booking.end + timedelta(hours=1))
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    assert not can_transition(BookingStatus.COMPLETED, BookingStatus.CONFIRMED)
    assert all(not ALLOWED[s] for s in (BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW))


def test_a_paid_hold_is_confirmed_once(spa, settings):
    settings.BOOKING_PAYMENT_MODE = "online"
    hold = book(spa)
    booking_confirm(booking=hold)
    booking_confirm(booking=hold)  # a repeated payment event changes nothing
    assert [e[2] for e in history(hold)] == [BookingStatus.CONFIRMED]
    assert Booking.objects.get(pk=hold.pk).hold_expires_at is None


def test_the_admin_actions_go_through_the_services(spa):
    staff = UserFactory(is_staff=True, is_superuser=True)
    first, second = book(spa), book(spa, wall="14:00")
    request = RequestFactory().post("/admin/bookings/booking/")
    request.user = staff
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    admin = site._registry[Booking]
    later = NOW + timedelta(days=3)
    import time_machine

    with time_machine.travel(later):
        admin.mark_completed(request, Booking.objects.filter(pk=first.pk))
        admin.mark_no_show(request, Booking.objects.filter(pk=second.pk))
    assert history(first)[-1] == (EventKind.STATUS, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, "admin")
    assert history(second)[-1] == (EventKind.STATUS, BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, "admin")
    assert BookingEvent.objects.filter(booking=first).last().actor_id == staff.pk


def test_no_show_before_the_start_is_refused(spa):
    booking = book(spa)
    with pytest.raises(InvalidBookingState):
        booking_mark_no_show(booking=booking, now=NOW)


def test_receivers_hear_each_change_inside_its_transaction(spa):
    heard = []

    def receiver(sender, booking, event, **kwargs):
        from django.db import connection

        heard.append((event.kind, event.to_status, connection.in_atomic_block))

    booking_changed.connect(receiver, weak=False)
    try:
        booking = book(spa)
        booking_cancel(booking=booking, now=NOW)
    finally:
        booking_changed.disconnect(receiver)
    assert heard == [(EventKind.CREATED, BookingStatus.CONFIRMED, True), (EventKind.STATUS, BookingStatus.CANCELLED, True)]


def _on_model(call: ast.Call, models: set[str]) -> bool:
    """Whether ``call``'s receiver chain starts at one of ``models`` (``Booking.objects.filter(...).update``)."""
    node = call.func
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return isinstance(node, ast.Name) and node.id in models


def _status_writes_outside_transitions() -> list[str]:
    """``.update(status=...)`` or ``.status = ...`` on a booking or membership anywhere but the transition modules."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or rel.endswith("transitions.py") or "demo" in rel:
            continue
        tree = ast.parse(path.read_text())
        own_app = rel.startswith(("bookings/", "memberships/"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "update":
                if any(kw.arg == "status" for kw in node.keywords) and (own_app or _on_model(node, {"Booking", "Membership"})):
                    found.append(f"{rel}:{node.lineno}")
    return found


def test_no_bulk_status_update_bypasses_the_transition_table():
    offenders = [f for f in _status_writes_outside_transitions() if not f.startswith(("notifications/", "ai_agent/", "outbox/"))]
    assert offenders == [], "status changes must go through bookings/memberships transitions"
