"""The booking lifecycle as one transition table, and the history every change leaves.

Every writer (API, account pages, concierge, admin, beat jobs, payments) changes a
booking's status through ``booking_transition``: it refuses a move the table does
not allow, records a ``BookingEvent`` (who, what, when, channel) and sends
``booking_changed`` *inside* the transaction, so receivers can write outbox rows
that commit or roll back with the change. ``queryset.update(status=...)`` anywhere
else is a bug.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from coresync.core.errors import InvalidBookingState

from .models import Booking, BookingEvent, BookingStatus, EventChannel, EventKind
from .signals import booking_changed

S = BookingStatus
ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.CANCELLED, S.COMPLETED, S.NO_SHOW}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.COMPLETED: frozenset(),
    S.NO_SHOW: frozenset(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, frozenset())


def actor_fields(actor, channel: str, label: str = "") -> dict:
    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    return {
        "actor": actor if signed_in else None,
        "actor_label": label or (getattr(actor, "email", "") if signed_in else ""),
        "channel": channel,
    }


def booking_record(
    booking: Booking, *, kind: str, actor=None, channel: str, label: str = "", reason: str = "",
    from_status: str = "", to_status: str = "", data: dict | None = None, persist: bool = True,
) -> BookingEvent:
    """Append an event to ``booking``'s history and announce it inside the current transaction.

    ``persist=False`` announces without storing: a creation, whose who/when/channel the
    booking row itself holds (``customer``, ``created_at``, ``channel``), so booking
    creation stays within its query budget (SPEC S4: ≤ 8).
    """
    event = BookingEvent(
        booking=booking, kind=kind, from_status=from_status, to_status=to_status, reason=reason[:200],
        data=data or {}, **actor_fields(actor, channel, label),
    )
    if persist:
        event.save()
    booking_changed.send(sender=Booking, booking=booking, event=event)
    return event


def booking_transition(
    booking: Booking, *, to: str, actor=None, channel: str, label: str = "", reason: str = "",
    now: datetime | None = None, extra_fields: dict | None = None,
) -> BookingEvent:
    """Move a *locked* booking (``select_for_update`` in the caller's transaction) to status ``to``.

    Raises ``InvalidBookingState`` (409) for a move the table refuses. ``extra_fields``
    are saved with the status (e.g. ``cancelled_at``).
    """
    if channel not in EventChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    previous = booking.status
    if not can_transition(previous, to):
        raise InvalidBookingState(f"A {booking.get_status_display().lower()} booking cannot become {BookingStatus(to).label.lower()}.")
    booking.status = to
    fields = {"status", "updated_at"}
    for name, value in (extra_fields or {}).items():
        setattr(booking, name, value)
        fields.add(name)
    booking.updated_at = now or timezone.now()
    booking.save(update_fields=sorted(fields))
    return booking_record(booking, kind=EventKind.STATUS, actor=actor, channel=channel, label=label, reason=reason,
                          from_status=previous, to_status=to)
