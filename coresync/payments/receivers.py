"""Booking changes → payment follow-ups, written to the outbox in the change's own transaction.

- cancelled inside the free window, paid: refund in full (``payments.refund``);
- cancelled late (staff only, after the deadline): keep the location's late-cancellation
  fee and refund the rest if paid, else charge the fee to the card on file (``payments.fee``);
- no-show, unpaid: charge the location's no-show fee to the card on file.
Nothing here calls a provider: the outbox handlers do, after commit.
"""

from __future__ import annotations

from django.dispatch import receiver

from coresync.bookings.models import BookingStatus, EventKind
from coresync.bookings.services import booking_change_deadline
from coresync.bookings.signals import booking_changed
from coresync.outbox.services import outbox_enqueue

from .models import Payment, Purpose
from .services import SETTLED, refund_request


def _late(booking) -> bool:
    """Cancelled after the free-cancellation deadline (the booking service's one rule)."""
    return booking.cancelled_at is not None and booking.cancelled_at > booking_change_deadline(booking)


def _charge_fee(booking, purpose: str) -> None:
    key = f"payments.fee:{purpose}:{booking.pk}"
    outbox_enqueue(kind="payments.fee", dedupe_key=key, payload={"booking_id": booking.pk, "purpose": purpose})


def _on_cancelled(booking) -> None:
    payment = Payment.objects.filter(booking=booking, purpose=Purpose.BOOKING, status__in=SETTLED).first()
    late = _late(booking)
    fee = booking.location.late_cancellation_fee if late else 0
    if payment is None:
        if late and fee and booking.customer_id:
            _charge_fee(booking, Purpose.LATE_CANCELLATION_FEE)
        return
    amount = max(payment.refundable - fee, 0)
    if amount > 0:
        reason = "late cancellation: fee kept" if fee else "free cancellation"
        refund_request(payment=payment, amount=amount, reason=reason, key=f"refund:{payment.pk}:cancellation")


@receiver(booking_changed, dispatch_uid="payments.booking_changed")
def on_booking_changed(sender, booking, event, **kwargs) -> None:
    if event.kind == EventKind.CREATED:
        booking._coresync_payment = None  # a new booking has no payment: its JSON needs no query to say so (S4 budget)
        return
    if event.kind != EventKind.STATUS:
        return
    if event.to_status == BookingStatus.CANCELLED:
        _on_cancelled(booking)
    elif event.to_status == BookingStatus.NO_SHOW and booking.customer_id:
        paid = Payment.objects.filter(booking=booking, purpose=Purpose.BOOKING, status__in=SETTLED).exists()
        if not paid:
            _charge_fee(booking, Purpose.NO_SHOW_FEE)
