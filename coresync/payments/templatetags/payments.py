"""What a booking page needs to offer payment: whether it can be paid online, and the signed-in owner's card on file."""

from __future__ import annotations

from django import template

from coresync.bookings.models import BookingStatus
from coresync.integrations.payments import payment_provider

register = template.Library()


@register.simple_tag
def pay_options(booking, user) -> dict:
    """``{"payable": bool, "card": SavedCard | None}``: payable while held, or confirmed and not yet paid (pay ahead)."""
    from ..models import Purpose
    from ..services import SETTLED, default_card

    payment = next((p for p in booking.payments.all() if p.purpose == Purpose.BOOKING), None)
    paid = payment is not None and payment.status in SETTLED
    payable = booking.status == BookingStatus.PENDING_PAYMENT or (booking.status == BookingStatus.CONFIRMED and not paid and booking.total > 0)
    owner = getattr(user, "is_authenticated", False) and booking.customer_id == user.pk
    card = default_card(user, provider=payment_provider().identifier) if payable and owner else None
    return {"payable": payable, "held": booking.status == BookingStatus.PENDING_PAYMENT, "card": card}


@register.simple_tag
def card_on_file(user):
    """The signed-in person's default saved card at the configured provider, or None."""
    from ..services import default_card

    return default_card(user, provider=payment_provider().identifier)
