"""The ``local`` payment provider: a built-in test gateway, so the whole paid flow runs offline.

It keeps its intents, setups, cards, refunds and subscriptions in
``LocalGatewayObject`` rows and answers the same hooks as Stripe. Customers pay on
a hosted card page on our own site (``payments.views.local_checkout``) that takes
Stripe's test numbers: ``4242 4242 4242 4242`` succeeds, ``4000 0000 0000 0002`` is
declined, ``4000 0027 6000 3184`` succeeds on the page but asks for authentication
when charged off-session. Like Stripe it then announces what changed as events,
which go through the same intake as the Stripe webhook (``webhooks.event_take``):
stored once, handled from the outbox, the object re-fetched from here.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from coresync.core.errors import NotFound, ValidationFailed
from coresync.integrations.payments import (
    AuthenticationRequired,
    CardDeclined,
    CardInfo,
    IntentResult,
    PaymentProvider,
    ProviderEvent,
    RefundResult,
    SetupResult,
    SubscriptionResult,
    payment_provider_register,
)

from .models import LocalGatewayObject

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_NEEDS_AUTHENTICATION = "4000002760003184"
TEST_CARDS = {CARD_SUCCEEDS: "succeeds", CARD_DECLINED: "declined", CARD_NEEDS_AUTHENTICATION: "authenticate"}
PREFIX = {"customer": "lcus", "payment_intent": "lpi", "setup_intent": "lseti", "payment_method": "lpm",
          "refund": "lre", "subscription": "lsub", "event": "levt"}


def _new_id(kind: str) -> str:
    return f"{PREFIX[kind]}_{secrets.token_hex(10)}"


def _create(kind: str, *, status: str, idempotency_key: str | None, data: dict) -> LocalGatewayObject:
    """Create once per idempotency key (a repeat returns the first object), as Stripe does."""
    if idempotency_key:
        existing = LocalGatewayObject.objects.filter(idempotency_key=f"{kind}:{idempotency_key}").first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return LocalGatewayObject.objects.create(
                id=_new_id(kind), kind=kind, status=status, data=data,
                idempotency_key=f"{kind}:{idempotency_key}" if idempotency_key else None,
            )
    except IntegrityError:
        return LocalGatewayObject.objects.get(idempotency_key=f"{kind}:{idempotency_key}")


def _get(kind: str, object_id: str) -> LocalGatewayObject:
    found = LocalGatewayObject.objects.filter(pk=object_id, kind=kind).first()
    if found is None:
        raise NotFound(f"No such {kind.replace('_', ' ')}.", code="payment_object_not_found")
    return found


def checkout_url(object_id: str) -> str:
    return settings.SITE_URL + reverse("payments:local-checkout", kwargs={"object_id": object_id})


def emit(event_type: str, object_id: str) -> None:
    """Announce a change, as Stripe would by webhook; after commit, through the webhook's own intake."""
    from coresync.core.transactions import on_commit

    from .webhooks import event_take

    event = ProviderEvent(id=_new_id("event"), type=event_type, object_id=object_id, created=int(time.time()))
    on_commit(event_take, provider="local", event=event)


@dataclass(frozen=True)
class CardEntry:
    number: str
    exp_month: int
    exp_year: int
    behaviour: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_entry_clean(*, number: str, expiry: str, cvc: str, today: date | None = None) -> CardEntry:
    """Check a card typed on the local card page: number (Luhn, a known test card), expiry MM/YY not past, CVC."""
    today = today or date.today()
    errors: dict[str, list[str]] = {}
    digits = "".join(ch for ch in number or "" if not ch.isspace())
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
        errors["number"] = ["Your card number is invalid."]
    elif digits not in TEST_CARDS:
        errors["number"] = ["This test gateway takes Stripe's test cards only, e.g. 4242 4242 4242 4242."]
    month, _, year = (expiry or "").replace(" ", "").partition("/")
    exp_month = int(month) if month.isdigit() else 0
    exp_year = int(year) + (2000 if len(year) == 2 else 0) if year.isdigit() and len(year) in (2, 4) else 0
    if not 1 <= exp_month <= 12 or not exp_year:
        errors["expiry"] = ["Enter the expiry as MM/YY."]
    elif (exp_year, exp_month) < (today.year, today.month):
        errors["expiry"] = ["Your card has expired."]
    if not (cvc or "").isdigit() or len(cvc) not in (3, 4):
        errors["cvc"] = ["Your card's security code is invalid."]
    if errors:
        raise ValidationFailed("Check the card details.", fields=errors)
    return CardEntry(number=digits, exp_month=exp_month, exp_year=exp_year, behaviour=TEST_CARDS[digits])


class LocalPaymentProvider(PaymentProvider):
    identifier = "local"

    def customer_create(self, *, email: str, name: str, idempotency_key: str) -> str:
        return _create("customer", status="active", idempotency_key=idempotency_key, data={"email": email, "name": name}).id

    def intent_create(
        self, *, amount: int, currency: str, metadata: dict, idempotency_key: str, customer: str = "",
        payment_method: str = "", off_session: bool = False, description: str = "",
    ) -> IntentResult:
        intent = _create("payment_intent", status="requires_payment_method", idempotency_key=idempotency_key, data={
            "amount": amount, "currency": currency, "metadata": metadata, "customer": customer, "description": description,
            "payment_method": "", "amount_received": 0, "amount_refunded": 0, "last_error": "",
        })
        emit("payment_intent.created", intent.id)
        if payment_method and intent.status == "requires_payment_method":
            card = _get("payment_method", payment_method)
            _raise_for(self._charge(intent, card, off_session=off_session))
        elif payment_method and intent.data.get("last_error") == "authentication_required":
            raise AuthenticationRequired()
        return self._intent(intent)

    def _charge(self, intent: LocalGatewayObject, card: LocalGatewayObject, *, off_session: bool) -> str:
        """Charge ``card``; returns the decline code ("" when paid). The failure is stored like a success."""
        behaviour = card.data["behaviour"]
        intent.data["payment_method"] = card.id
        if behaviour == "declined" or (behaviour == "authenticate" and off_session):
            code = "card_declined" if behaviour == "declined" else "authentication_required"
            intent.status = "requires_payment_method" if behaviour == "declined" else "requires_action"
            intent.data["last_error"] = code
            intent.save()
            emit("payment_intent.payment_failed", intent.id)
            return code
        intent.status = "succeeded"
        intent.data.update(amount_received=intent.data["amount"], last_error="")
        intent.save()
        emit("payment_intent.succeeded", intent.id)
        return ""

    def intent_pay(self, intent_id: str, entry: CardEntry, *, save_for: str = "") -> None:
        """The card page's submit: pay ``intent_id`` with the card typed in (raises ``CardDeclined``)."""
        with transaction.atomic():
            intent = LocalGatewayObject.objects.select_for_update().get(pk=intent_id, kind="payment_intent")
            if intent.status == "succeeded":
                return
            card = self._card_create(entry, customer=save_for or intent.data.get("customer", ""))
            code = self._charge(intent, card, off_session=False)
        _raise_for(code)

    def intent_confirm(self, intent_id: str, *, payment_method: str, idempotency_key: str) -> IntentResult:
        code = ""
        with transaction.atomic():
            intent = LocalGatewayObject.objects.select_for_update().get(pk=intent_id, kind="payment_intent")
            if intent.status != "succeeded":
                code = self._charge(intent, _get("payment_method", payment_method), off_session=True)
        _raise_for(code)
        return self._intent(intent)

    def _card_create(self, entry: CardEntry, *, customer: str) -> LocalGatewayObject:
        return _create("payment_method", status="active", idempotency_key=None, data={
            "brand": "visa" if entry.number.startswith("4") else "card", "last4": entry.last4, "exp_month": entry.exp_month,
            "exp_year": entry.exp_year, "behaviour": entry.behaviour, "customer": customer,
        })

    def intent_get(self, intent_id: str) -> IntentResult:
        return self._intent(_get("payment_intent", intent_id))

    @staticmethod
    def _intent(intent: LocalGatewayObject) -> IntentResult:
        data = intent.data
        return IntentResult(
            id=intent.id, status=intent.status, amount=data["amount"], currency=data["currency"],
            amount_received=data.get("amount_received", 0), amount_refunded=data.get("amount_refunded", 0),
            client_secret=f"{intent.id}_secret", checkout_url=checkout_url(intent.id), customer=data.get("customer", ""),
            payment_method=data.get("payment_method", ""), metadata=data.get("metadata", {}), error_code=data.get("last_error", ""),
        )

    def setup_create(self, *, customer: str, metadata: dict, idempotency_key: str) -> SetupResult:
        setup = _create("setup_intent", status="requires_payment_method", idempotency_key=idempotency_key,
                        data={"customer": customer, "metadata": metadata, "payment_method": ""})
        return self._setup(setup)

    def setup_confirm(self, setup_id: str, entry: CardEntry) -> None:
        """The card page's submit for a card saved for later."""
        with transaction.atomic():
            setup = LocalGatewayObject.objects.select_for_update().get(pk=setup_id, kind="setup_intent")
            if setup.status == "succeeded":
                return
            if entry.behaviour == "declined":
                raise CardDeclined()
            card = self._card_create(entry, customer=setup.data.get("customer", ""))
            setup.status = "succeeded"
            setup.data["payment_method"] = card.id
            setup.save()
            emit("setup_intent.succeeded", setup.id)

    def setup_get(self, setup_id: str) -> SetupResult:
        return self._setup(_get("setup_intent", setup_id))

    @staticmethod
    def _setup(setup: LocalGatewayObject) -> SetupResult:
        return SetupResult(id=setup.id, status=setup.status, client_secret=f"{setup.id}_secret", checkout_url=checkout_url(setup.id),
                           customer=setup.data.get("customer", ""), payment_method=setup.data.get("payment_method", ""),
                           metadata=setup.data.get("metadata", {}))

    def card_get(self, payment_method_id: str) -> CardInfo:
        card = _get("payment_method", payment_method_id).data
        return CardInfo(id=payment_method_id, brand=card["brand"], last4=card["last4"], exp_month=card["exp_month"],
                        exp_year=card["exp_year"])

    def refund_create(self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict | None = None) -> RefundResult:
        existing = LocalGatewayObject.objects.filter(idempotency_key=f"refund:{idempotency_key}").first()
        if existing is not None:
            return RefundResult(id=existing.id, status=existing.status, amount=existing.data["amount"])
        with transaction.atomic():
            intent = LocalGatewayObject.objects.select_for_update().get(pk=intent_id, kind="payment_intent")
            refundable = intent.data.get("amount_received", 0) - intent.data.get("amount_refunded", 0)
            if amount > refundable:
                raise ValidationFailed("Refund larger than what is left to refund.", code="refund_too_large")
            refund = _create("refund", status="succeeded", idempotency_key=idempotency_key, data={"amount": amount, "intent": intent_id})
            intent.data["amount_refunded"] = intent.data.get("amount_refunded", 0) + amount
            intent.save()
            emit("charge.refunded", intent_id)
        return RefundResult(id=refund.id, status=refund.status, amount=amount)

    def subscription_create(
        self, *, customer: str, tier_slug: str, tier_name: str, amount: int, currency: str, metadata: dict, idempotency_key: str,
        payment_method: str = "",
    ) -> SubscriptionResult:
        subscription = _create("subscription", status="incomplete", idempotency_key=idempotency_key, data={
            "customer": customer, "tier": tier_slug, "amount": amount, "currency": currency, "metadata": metadata,
            "payment_method": "", "cancel_at_period_end": False, "current_period_end": None, "failed_renewals": 0,
        })
        if payment_method and subscription.status == "incomplete":
            card = _get("payment_method", payment_method)
            if card.data["behaviour"] == "succeeds":
                self._activate(subscription, card.id)
        return self._subscription(subscription)

    def subscription_pay(self, subscription_id: str, entry: CardEntry) -> None:
        """The card page's submit for the first month of a membership."""
        with transaction.atomic():
            subscription = LocalGatewayObject.objects.select_for_update().get(pk=subscription_id, kind="subscription")
            if subscription.status != "incomplete":
                return
            if entry.behaviour == "declined":
                raise CardDeclined()
            card = self._card_create(entry, customer=subscription.data.get("customer", ""))
            self._activate(subscription, card.id)

    def _activate(self, subscription: LocalGatewayObject, card_id: str) -> None:
        subscription.status = "active"
        subscription.data.update(payment_method=card_id, current_period_end=int(time.time()) + settings.PAYMENTS_LOCAL_PERIOD_SECONDS)
        subscription.save()
        emit("customer.subscription.created", subscription.id)
        emit("invoice.paid", subscription.id)

    def subscription_get(self, subscription_id: str) -> SubscriptionResult:
        return self._subscription(_get("subscription", subscription_id))

    def subscription_cancel(self, subscription_id: str, *, idempotency_key: str) -> SubscriptionResult:
        with transaction.atomic():
            subscription = LocalGatewayObject.objects.select_for_update().get(pk=subscription_id, kind="subscription")
            if subscription.status == "incomplete":
                subscription.status = "canceled"
                emit("customer.subscription.deleted", subscription.id)
            elif not subscription.data.get("cancel_at_period_end"):
                subscription.data["cancel_at_period_end"] = True
                emit("customer.subscription.updated", subscription.id)
            subscription.save()
        return self._subscription(subscription)

    @staticmethod
    def _subscription(subscription: LocalGatewayObject) -> SubscriptionResult:
        data = subscription.data
        return SubscriptionResult(
            id=subscription.id, status=subscription.status, customer=data.get("customer", ""),
            cancel_at_period_end=bool(data.get("cancel_at_period_end")), current_period_end=data.get("current_period_end"),
            client_secret=f"{subscription.id}_secret", checkout_url=checkout_url(subscription.id), metadata=data.get("metadata", {}),
        )

    def subscriptions_renew(self, *, now: float | None = None) -> int:
        """What Stripe Billing does each month, for the local gateway's subscriptions: charge, end, or mark past due."""
        now = now or time.time()
        renewed = 0
        for subscription_id in LocalGatewayObject.objects.filter(kind="subscription", status__in=["active", "past_due"]).values_list("pk", flat=True):
            with transaction.atomic():
                subscription = LocalGatewayObject.objects.select_for_update().get(pk=subscription_id)
                period_end = subscription.data.get("current_period_end") or 0
                if subscription.status not in ("active", "past_due") or period_end > now:
                    continue
                renewed += self._renew(subscription, now)
        return renewed

    def _renew(self, subscription: LocalGatewayObject, now: float) -> int:
        data = subscription.data
        if data.get("cancel_at_period_end") or data.get("failed_renewals", 0) >= settings.PAYMENTS_LOCAL_DUNNING_ATTEMPTS:
            subscription.status = "canceled"
            subscription.save()
            emit("customer.subscription.deleted", subscription.id)
            return 1
        card = LocalGatewayObject.objects.filter(pk=data.get("payment_method") or "", kind="payment_method").first()
        if card is not None and card.data.get("behaviour") == "succeeds":
            subscription.status = "active"
            data.update(current_period_end=period_after(data["current_period_end"], now), failed_renewals=0)
            subscription.save()
            emit("invoice.paid", subscription.id)
        else:
            subscription.status = "past_due"
            data["failed_renewals"] = data.get("failed_renewals", 0) + 1
            data["current_period_end"] = int(now) + settings.PAYMENTS_LOCAL_RETRY_SECONDS  # try again then
            subscription.save()
            emit("invoice.payment_failed", subscription.id)
        return 1

    def event_parse(self, payload: bytes, signature: str) -> ProviderEvent:
        raise ValidationFailed("The local gateway sends no webhooks.", code="invalid_signature")


def _raise_for(code: str) -> None:
    if code == "authentication_required":
        raise AuthenticationRequired()
    if code:
        raise CardDeclined()


def period_after(period_end: int, now: float) -> int:
    step = settings.PAYMENTS_LOCAL_PERIOD_SECONDS
    while period_end <= now:
        period_end += step
    return period_end


def local_card_set_behaviour(payment_method_id: str, behaviour: str) -> None:
    """Tests and the demo: make a saved local card fail its next charge (an expired card, say)."""
    card = _get("payment_method", payment_method_id)
    card.data["behaviour"] = behaviour
    card.save(update_fields=["data", "updated_at"])


payment_provider_register("local", LocalPaymentProvider)
