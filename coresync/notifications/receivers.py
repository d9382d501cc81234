"""Domain events → outbox rows (written in the change's own transaction) and a few after-commit chores.

Every e-mail a booking or membership change causes is an outbox message keyed by
what it announces (``email:<kind>:<booking>:<sequence>``), so it commits with the
change and is delivered even if the process dies right after commit (the outbox
sweep). The handler (``outbox_handlers.py``) hands it to the e-mail log, which sends
it once per (booking, kind, change) and retries the mail provider with backoff.
"""

from __future__ import annotations

from django.dispatch import receiver

from coresync.bookings.models import BookingStatus, EventKind
from coresync.bookings.signals import booking_changed, booking_rescheduled
from coresync.core.transactions import delay_on_commit
from coresync.memberships.signals import membership_changed
from coresync.outbox.services import outbox_enqueue
from coresync.outbox.signals import message_dead

from . import tasks
from .models import EmailKind


def _booking_mail_for(event) -> str | None:
    if event.kind == EventKind.CREATED and event.to_status == BookingStatus.CONFIRMED:
        return EmailKind.BOOKING_CONFIRMATION
    if event.kind == EventKind.STATUS and event.to_status == BookingStatus.CONFIRMED:
        return EmailKind.BOOKING_CONFIRMATION  # a paid hold
    if event.kind == EventKind.RESCHEDULED:
        return EmailKind.BOOKING_RESCHEDULED
    if event.kind == EventKind.STATUS and event.to_status == BookingStatus.CANCELLED:
        return EmailKind.BOOKING_CANCELLED
    return None


@receiver(booking_changed, dispatch_uid="notifications.booking_changed")
def on_booking_changed(sender, booking, event, **kwargs) -> None:
    kind = _booking_mail_for(event)
    if kind is None:
        return
    # The sequence the change gave the booking names this change: one mail per reschedule or cancellation.
    sequence = booking.ics_sequence if kind in (EmailKind.BOOKING_RESCHEDULED, EmailKind.BOOKING_CANCELLED) else 0
    outbox_enqueue(
        kind="email.booking", dedupe_key=f"email:{kind}:{booking.pk}:{sequence}",
        payload={"booking_id": booking.pk, "kind": kind, "sequence": sequence},
    )


@receiver(booking_rescheduled, dispatch_uid="notifications.booking_rescheduled")
def on_booking_rescheduled(sender, booking, previous_start=None, **kwargs) -> None:
    # A reminder already sent for the old time goes out again for the new one (our own state, not a message).
    delay_on_commit(tasks.rearm_booking_reminder, booking.pk)


@receiver(membership_changed, dispatch_uid="notifications.membership_changed")
def on_membership_changed(sender, membership, event, **kwargs) -> None:
    if not event.from_status and event.to_status == "active":  # the membership started
        outbox_enqueue(kind="email.membership_welcome", dedupe_key=f"email:membership_welcome:{membership.pk}",
                       payload={"membership_id": membership.pk})


@receiver(message_dead, dispatch_uid="notifications.outbox_dead")
def on_outbox_message_dead(sender, message, **kwargs) -> None:
    """Tell the manager once per dead letter (the alert itself goes through the e-mail log and its retries)."""
    from .services import dead_letter_notice_send

    dead_letter_notice_send(message_id=message.pk, kind=message.kind, dedupe_key=message.dedupe_key,
                            attempts=message.attempts, error=message.last_error)
