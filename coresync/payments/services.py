"""Writes for payments: start paying a booking, one-tap with the card on file, apply what the provider says, refund.

Check, then do: each public function validates and commits the row that holds the
idempotency key *before* calling the provider, outside any transaction (no lock is
held across the network). What the provider answers, now or later by event, goes
through ``payment_intent_apply``: a monotonic state machine (an older answer never
overwrites a newer state), under the booking's lock, so a payment and a
cancellation of the same booking are serialised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from coresync.audit.changes import record_update
from coresync.audit.models import SecurityKind
from coresync.audit.services import security_event
from coresync.bookings.models import Booking, BookingStatus, EventChannel
from coresync.bookings.services import booking_confirm
from coresync.core.errors import Conflict, InvalidBookingState, ValidationFailed
from coresync.integrations.payments import AuthenticationRequired, CardDeclined, IntentResult, payment_provider
from coresync.integrations.references import external_ref, external_ref_set
from coresync.outbox.services import outbox_enqueue

from .models import Payment, PaymentCustomer, PaymentStatus, Purpose, Refund, RefundStatus, SavedCard

logger = logging.getLogger(__name__)
S = PaymentStatus
# Later states outrank earlier ones: an event that would move a payment back is an old one, and is ignored.
RANK = {S.UNPAID: 0, S.PENDING: 1, S.FAILED: 1, S.PAID: 2, S.PARTIALLY_REFUNDED: 3, S.REFUNDED: 4}
SETTLED = (S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED)
UNPAYABLE = (BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
CENT = Decimal("0.01")


def cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(CENT)


@dataclass(frozen=True)
class PaymentStart:
    """What the pay endpoint answers (SPEC §10.2)."""

    provider: str
    status: str
    amount: Decimal
    currency: str
    client_secret: str = ""
    checkout_url: str = ""

    def as_dict(self) -> dict:
        body = {"provider": self.provider, "status": self.status, "amount": str(self.amount), "currency": self.currency}
        if self.client_secret:
            body["client_secret"] = self.client_secret
        if self.checkout_url:
            body["checkout_url"] = self.checkout_url
        return body


def _payment_for_booking(booking: Booking, *, provider: str) -> Payment:
    """The booking's payment row, created with its idempotency key (committed before any provider call)."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if locked.status in UNPAYABLE:
            raise InvalidBookingState(f"This booking is {locked.get_status_display().lower()}: there is nothing to pay.")
        payment, _ = Payment.objects.get_or_create(
            booking=locked, purpose=Purpose.BOOKING,
            defaults={"customer_id": locked.customer_id, "provider": provider, "amount": locked.total, "currency": locked.currency,
                      "idempotency_key": f"payment:{locked.pk}:booking"},
        )
        if payment.status in SETTLED:
            raise Conflict("This booking is already paid.", code="already_paid")
        if locked.total <= 0:
            raise Conflict("This booking has nothing to pay.", code="nothing_to_pay")
    return payment


def payment_start(*, booking: Booking, actor=None, use_saved_card: bool = False) -> PaymentStart:
    """Start paying ``booking``: a PaymentIntent (created once, whatever the retries), or one-tap with the card on file.

    Raises 409 ``already_paid`` / ``invalid_booking_state``, 402 ``authentication_required``
    (a payment link is e-mailed) or ``card_declined``, 503 when the provider is down
    (the booking is kept; trying again reuses the same idempotency key).
    """
    payment = _payment_for_booking(booking, provider=payment_provider().identifier)
    provider = payment_provider(payment.provider)
    if use_saved_card:
        return _pay_with_saved_card(payment, booking=booking, actor=actor)
    reference = external_ref(payment, system=payment.provider, kind="payment_intent")
    if reference is not None:
        intent = provider.intent_get(reference.external_id)
    else:
        customer = customer_id_for(booking.customer, provider=payment.provider) if booking.customer_id else ""
        intent = provider.intent_create(
            amount=cents(payment.amount), currency=payment.currency.lower(), customer=customer,
            metadata=_metadata(payment, booking), idempotency_key=payment.idempotency_key,
            description=f"{booking.reference} · {booking.service.name}",
        )
        external_ref_set(payment, system=payment.provider, kind="payment_intent", external_id=intent.id)
    payment = payment_intent_apply(payment_id=payment.pk, intent=intent)
    return PaymentStart(provider=payment.provider, status=payment.status, amount=payment.amount, currency=payment.currency,
                        client_secret=intent.client_secret, checkout_url=intent.checkout_url)


def _metadata(payment: Payment, booking: Booking) -> dict:
    return {"booking_reference": booking.reference, "payment_id": str(payment.pk), "purpose": payment.purpose}


def default_card(user, *, provider: str) -> SavedCard | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return SavedCard.objects.filter(user=user, provider=provider, is_default=True).first()


def _pay_with_saved_card(payment: Payment, *, booking: Booking, actor) -> PaymentStart:
    user = booking.customer
    card = default_card(user, provider=payment.provider)
    if card is None:
        raise Conflict("There is no card on file. Save a card first, or pay on the card page.", code="no_saved_card")
    try:
        intent = _charge_saved_card(payment, card=card, key=f"{payment.idempotency_key}:card:{card.pk}")
    except AuthenticationRequired:
        with transaction.atomic():
            outbox_enqueue(kind="payments.email", dedupe_key=f"payments.email:payment_link:{payment.pk}",
                           payload={"kind": "payment_link", "booking_id": booking.pk})
        raise
    payment = payment_intent_apply(payment_id=payment.pk, intent=intent)
    return PaymentStart(provider=payment.provider, status=payment.status, amount=payment.amount, currency=payment.currency)


def _charge_saved_card(payment: Payment, *, card: SavedCard, key: str) -> IntentResult:
    """Charge ``card`` off-session for ``payment`` under ``key`` (already persisted by the caller's row or outbox message)."""
    provider = payment_provider(payment.provider)
    method = external_ref(card, system=card.provider, kind="payment_method")
    customer = customer_id_for(card.user, provider=card.provider)
    booking = payment.booking
    opened = external_ref(payment, system=payment.provider, kind="payment_intent")
    try:
        if opened is not None:  # the pay page made an intent already: pay that one, so two can never both succeed
            intent = provider.intent_confirm(opened.external_id, payment_method=method.external_id if method else "",
                                             idempotency_key=key)
        else:
            intent = provider.intent_create(
                amount=cents(payment.amount), currency=payment.currency.lower(), customer=customer,
                payment_method=method.external_id if method else "", off_session=True, metadata=_metadata(payment, booking),
                idempotency_key=key, description=f"{booking.reference} · {payment.get_purpose_display()}",
            )
    except (AuthenticationRequired, CardDeclined) as error:
        with transaction.atomic():
            if Payment.objects.filter(pk=payment.pk, status__in=[S.UNPAID, S.PENDING, S.FAILED]).update(
                    status=S.FAILED, failure_code=error.code, updated_at=timezone.now()):
                record_update(payment, {"status": payment.status, "failure_code": payment.failure_code},
                              {"status": S.FAILED, "failure_code": error.code})
        raise
    external_ref_set(payment, system=payment.provider, kind="payment_intent", external_id=intent.id)
    return intent


def customer_id_for(user, *, provider: str) -> str:
    """``user``'s customer id at ``provider``, created once (the key row commits before the call)."""
    customer, _ = PaymentCustomer.objects.get_or_create(
        user=user, provider=provider, defaults={"idempotency_key": f"customer:{provider}:{user.pk}"})
    reference = external_ref(customer, system=provider, kind="customer")
    if reference is not None:
        return reference.external_id
    customer_id = payment_provider(provider).customer_create(email=user.email, name=user.name or user.email,
                                                             idempotency_key=customer.idempotency_key)
    external_ref_set(customer, system=provider, kind="customer", external_id=customer_id)
    return customer_id


def _status_of(intent: IntentResult) -> str:
    if intent.status == "succeeded":
        if intent.amount_refunded and intent.amount_refunded >= intent.amount_received:
            return S.REFUNDED
        return S.PARTIALLY_REFUNDED if intent.amount_refunded else S.PAID
    if intent.status == "canceled" or (intent.status == "requires_payment_method" and intent.error_code):
        return S.FAILED
    return S.PENDING


def payment_intent_apply(*, payment_id: int, intent: IntentResult) -> Payment:
    """Apply the provider's current view of an intent. Monotonic and idempotent: duplicates and late events change nothing.

    A payment that succeeds for a booking cancelled or expired meanwhile (pay vs
    cancel) is refunded in full; a held booking becomes confirmed (its confirmation
    e-mail follows from the transition).
    """
    confirm = False
    with transaction.atomic():
        booking_id = Payment.objects.values_list("booking_id", flat=True).get(pk=payment_id)
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)  # same lock order as a cancellation
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        new = _status_of(intent)
        if RANK[new] < RANK[payment.status] or (new == payment.status and new != S.FAILED):
            _amounts_update(payment, intent)
            return payment
        previous = payment.status
        payment.status = new
        payment.failure_code = intent.error_code if new == S.FAILED else ""
        _amounts_update(payment, intent, save=False)
        if new in SETTLED and previous not in SETTLED:
            payment.paid_at = timezone.now()
        payment.save()
        if new in SETTLED and previous not in SETTLED and payment.purpose == Purpose.BOOKING:
            if booking.status == BookingStatus.PENDING_PAYMENT:
                confirm = True
            elif booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
                refund_request(payment=payment, amount=payment.refundable, reason=f"paid after the booking was {booking.status}",
                               key=f"refund:{payment.pk}:late-payment")
        if confirm:
            try:
                booking_confirm(booking=booking, channel=EventChannel.PAYMENT, reason="paid")
            except InvalidBookingState:  # changed under us: cannot happen while we hold the lock, but never lose the money
                refund_request(payment=payment, amount=payment.refundable, reason="booking not payable",
                               key=f"refund:{payment.pk}:late-payment")
    return payment


def _amounts_update(payment: Payment, intent: IntentResult, *, save: bool = True) -> None:
    paid = max(payment.amount_paid, from_cents(intent.amount_received))
    refunded = min(paid, max(payment.amount_refunded, from_cents(intent.amount_refunded)))
    if (paid, refunded) == (payment.amount_paid, payment.amount_refunded):
        return
    payment.amount_paid, payment.amount_refunded = paid, refunded
    if payment.amount_paid and payment.status in SETTLED:
        payment.status = S.REFUNDED if refunded >= paid else S.PARTIALLY_REFUNDED if refunded else S.PAID
    if save:
        payment.save(update_fields=["amount_paid", "amount_refunded", "status", "updated_at"])


def refund_request(*, payment: Payment, amount: Decimal | None = None, reason: str = "", actor=None, key: str = "") -> Refund | None:
    """Ask for a refund of ``amount`` (everything left, by default); sent from the outbox. Runs in the caller's transaction.

    ``key`` names the refund once (e.g. one per cancellation); without it every
    call is a new refund (an admin's partial refunds). Returns None when nothing
    is left to refund.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if key and Refund.objects.filter(idempotency_key=key).exists():
            return Refund.objects.get(idempotency_key=key)
        pending = sum((r.amount for r in locked.refunds.filter(status=RefundStatus.PENDING)), Decimal("0"))
        left = locked.refundable - pending
        amount = left if amount is None else Decimal(amount).quantize(CENT)
        if amount <= 0 and left <= 0:
            return None
        if amount <= 0 or amount > left:
            raise ValidationFailed(f"At most {left} {locked.currency} is left to refund.", code="refund_too_large",
                                   fields={"amount": [f"At most {left}."]})
        refund = Refund.objects.create(payment=locked, amount=amount, reason=reason[:200], actor=actor if getattr(actor, "pk", None) else None,
                                       idempotency_key=key or f"refund:{locked.pk}:{timezone.now().timestamp():.6f}")
        outbox_enqueue(kind="payments.refund", dedupe_key=f"payments.refund:{refund.pk}", payload={"refund_id": refund.pk})
        security_event(SecurityKind.REFUND, actor=refund.actor,  # None: whoever the audit context names (a cancellation's)
                       detail={"refund": refund.pk, "payment": locked.pk, "amount": str(amount), "currency": locked.currency,
                               "reason": refund.reason})  # fmt: skip
    return refund


def refund_send(*, refund_id: int) -> Refund:
    """The outbox handler's work: send the refund under its own key (safe to run twice), then apply the intent."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = refund.payment
    provider = payment_provider(payment.provider)
    reference = external_ref(payment, system=payment.provider, kind="payment_intent")
    provider.refund_create(intent_id=reference.external_id, amount=cents(refund.amount), idempotency_key=refund.idempotency_key,
                           metadata={"booking_reference": payment.booking.reference, "refund_id": str(refund.pk)})
    with transaction.atomic():
        if Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(status=RefundStatus.SUCCEEDED, updated_at=timezone.now()):
            record_update(refund, {"status": RefundStatus.PENDING}, {"status": RefundStatus.SUCCEEDED})
    payment_intent_apply(payment_id=payment.pk, intent=provider.intent_get(reference.external_id))
    refund.refresh_from_db()
    return refund


def fee_charge(*, booking_id: int, purpose: str, key: str) -> Payment | None:
    """Charge a late-cancellation or no-show fee (the location's policy) to the customer's card on file.

    Without a fee, an account or a saved card there is nothing to charge (the manager
    sees the booking's history). A refused card leaves the fee ``failed``.
    """
    booking = Booking.objects.select_related("location", "customer").get(pk=booking_id)
    fee = booking.location.late_cancellation_fee if purpose == Purpose.LATE_CANCELLATION_FEE else booking.location.no_show_fee
    card = default_card(booking.customer, provider=payment_provider().identifier) if fee and booking.customer_id else None
    if card is None:
        return None
    payment, _ = Payment.objects.get_or_create(
        booking=booking, purpose=purpose,
        defaults={"customer_id": booking.customer_id, "provider": card.provider, "amount": fee, "currency": booking.currency,
                  "idempotency_key": key},
    )
    if payment.status in SETTLED:
        return payment
    try:
        intent = _charge_saved_card(payment, card=card, key=payment.idempotency_key)
    except (AuthenticationRequired, CardDeclined):
        logger.warning("%s for %s refused by the bank", purpose, booking.reference)
        return Payment.objects.get(pk=payment.pk)
    return payment_intent_apply(payment_id=payment.pk, intent=intent)


def payment_event_for_intent(*, provider: str, intent_id: str) -> Payment | None:
    """Re-fetch an intent named by an event and apply it to the payment it belongs to (metadata or our reference)."""
    from coresync.integrations.references import external_lookup

    intent = payment_provider(provider).intent_get(intent_id)
    payment = external_lookup(Payment, system=provider, kind="payment_intent", external_id=intent_id)
    if payment is None and intent.metadata.get("payment_id", "").isdigit():
        payment = Payment.objects.filter(pk=int(intent.metadata["payment_id"]), provider=provider).first()
    if payment is None:
        logger.info("%s intent %s is not one of ours: ignored", provider, intent_id)
        return None
    return payment_intent_apply(payment_id=payment.pk, intent=intent)
