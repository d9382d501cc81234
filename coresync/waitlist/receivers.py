"""A booking that lets go of its time (cancelled, moved, an expired hold) → a ``waitlist.slot_freed`` outbox row,
written in the change's own transaction (``bookings.signals.booking_changed``)."""

from __future__ import annotations

from datetime import datetime

from django.dispatch import receiver

from coresync.bookings.models import BookingStatus, EventKind
from coresync.bookings.signals import booking_changed

from . import services

FREEING = (BookingStatus.CANCELLED, BookingStatus.EXPIRED)


def _cause(booking, event) -> str:
    return f"event:{event.pk}" if getattr(event, "pk", None) else f"booking:{booking.pk}:{booking.ics_sequence}:{event.kind}:{event.to_status}"


@receiver(booking_changed, dispatch_uid="waitlist.booking_changed")
def on_booking_changed(sender, booking, event, **kwargs) -> None:
    if event.kind == EventKind.STATUS and event.to_status in FREEING:
        services.slot_freed_enqueue(booking=booking, start=booking.start, cause=_cause(booking, event))
    elif event.kind == EventKind.RESCHEDULED and (event.data or {}).get("from"):
        previous = datetime.fromisoformat(event.data["from"])
        if previous != booking.start or event.data.get("technician") != booking.technician_id:
            services.slot_freed_enqueue(booking=booking, start=previous, cause=_cause(booking, event))
