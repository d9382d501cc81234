"""Bookings → outbox rows for the Google calendars, written inside the booking's own transaction."""

from __future__ import annotations

from django.dispatch import receiver

from coresync.bookings.models import BookingStatus, EventKind
from coresync.bookings.signals import booking_changed
from coresync.integrations.calendar import calendar_provider

from .services import booking_events_enqueue

# Status changes that change what the calendars show: a paid hold, a cancellation, an expired hold.
MIRRORED_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.EXPIRED})


@receiver(booking_changed, dispatch_uid="calendars.booking_changed")
def on_booking_changed(sender, booking, event, **kwargs) -> None:
    if not calendar_provider().mirrors_events:
        return  # the local feeds read the bookings themselves
    if event.kind == EventKind.CREATED and booking.status == BookingStatus.PENDING_PAYMENT:
        return  # a 15-minute hold waiting for its payment: it reaches the calendars once paid (an expired one never does)
    paid = event.from_status == BookingStatus.PENDING_PAYMENT and event.to_status == BookingStatus.CONFIRMED
    if event.kind in (EventKind.CREATED, EventKind.RESCHEDULED) or event.to_status in MIRRORED_STATUSES:
        # A first appearance touches only the booking's own calendars; a change also the others (a move out of Private).
        booking_events_enqueue(booking, first=event.kind == EventKind.CREATED or paid)
