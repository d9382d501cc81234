"""The Stripe payment provider: one ``StripeClient`` built from settings, vendor objects mapped to our dataclasses.

Every mutating call carries the ``Idempotency-Key`` its caller persisted before
calling, so a retry after a timeout returns Stripe's first answer instead of a
second charge. The SDK's own network retries are off: the outbox retries, with
the same key. ``STRIPE_API_BASE`` points the client at a fake in tests and mocks.
HTTP goes through ``requests`` (``stripe.RequestsClient``), so tests fake the
network edge with ``responses``.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

import stripe
from django.conf import settings

from coresync.core.errors import ProviderError, ValidationFailed
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
)

logger = logging.getLogger("coresync.http")
PROVIDER = "stripe"


def stripe_client() -> stripe.StripeClient:
    """The one ``StripeClient``, from ``STRIPE_SECRET_KEY`` and (when set) ``STRIPE_API_BASE``."""
    base = {"api": settings.STRIPE_API_BASE.rstrip("/")} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


@contextmanager
def _mapped_errors(operation: str):
    """Stripe's errors → ours: cards the bank refuses are the customer's to fix (402), outages are retryable."""
    started = time.perf_counter()
    status = 200
    try:
        yield
    except stripe.CardError as error:
        status = error.http_status or 402
        if error.code == "authentication_required" or getattr(error.error, "decline_code", "") == "authentication_required":
            raise AuthenticationRequired() from error
        raise CardDeclined(error.user_message or "The card was declined.") from error
    except stripe.APIConnectionError as error:
        status = None
        raise ProviderError("Stripe did not answer (timeout or connection error)", retryable=True, provider=PROVIDER) from error
    except stripe.StripeError as error:
        status = error.http_status or 500
        raise ProviderError.from_status(PROVIDER, status, error.code or error.__class__.__name__) from error
    finally:
        elapsed = int((time.perf_counter() - started) * 1000)
        logger.info("provider=stripe operation=%s status=%s ms=%s", operation, status, elapsed)


def _plain(obj) -> dict:
    """A Stripe object as plain dicts and lists: vendor objects stop at this module's edge."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _intent(obj) -> IntentResult:
    obj = _plain(obj)
    last_error = obj.get("last_payment_error") or {}
    return IntentResult(
        id=obj["id"], status=obj["status"], amount=obj["amount"], currency=obj["currency"],
        amount_received=obj.get("amount_received") or 0, client_secret=obj.get("client_secret") or "",
        customer=_id(obj.get("customer")), payment_method=_id(obj.get("payment_method")),
        metadata=dict(obj.get("metadata") or {}), error_code=last_error.get("code", "") if last_error else "",
        amount_refunded=_refunded(obj),
    )


def _refunded(obj) -> int:
    charge = obj.get("latest_charge")
    if charge and not isinstance(charge, str):
        return charge.get("amount_refunded") or 0
    return 0


def _id(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else value["id"]


def _subscription(obj) -> SubscriptionResult:
    obj = _plain(obj)
    period_end = obj.get("current_period_end")
    items = (obj.get("items") or {}).get("data") or []
    if period_end is None and items:
        period_end = items[0].get("current_period_end")  # newer API versions keep the period on the item
    invoice = obj.get("latest_invoice")
    secret = ""
    if invoice and not isinstance(invoice, str):
        confirmation = invoice.get("confirmation_secret") or {}
        secret = confirmation.get("client_secret", "") if confirmation else ""
    return SubscriptionResult(
        id=obj["id"], status=obj["status"], customer=_id(obj.get("customer")),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")), current_period_end=period_end,
        client_secret=secret, metadata=dict(obj.get("metadata") or {}),
    )


class StripePaymentProvider(PaymentProvider):
    identifier = "stripe"
    uses_stripe_js = True

    def __init__(self, client: stripe.StripeClient | None = None):
        self.client = client or stripe_client()
        self.publishable_key = settings.STRIPE_PUBLISHABLE_KEY

    def customer_create(self, *, email: str, name: str, idempotency_key: str) -> str:
        with _mapped_errors("customers.create"):
            customer = self.client.v1.customers.create({"email": email, "name": name}, {"idempotency_key": idempotency_key})
        return customer.id

    def intent_create(
        self, *, amount: int, currency: str, metadata: dict, idempotency_key: str, customer: str = "",
        payment_method: str = "", off_session: bool = False, description: str = "",
    ) -> IntentResult:
        params: dict = {"amount": amount, "currency": currency, "metadata": metadata}
        if description:
            params["description"] = description
        if customer:
            params["customer"] = customer
        if payment_method:
            params.update(payment_method=payment_method, off_session=off_session, confirm=True)
        else:
            params["automatic_payment_methods"] = {"enabled": True}
            if customer:
                params["setup_future_usage"] = "off_session"
        with _mapped_errors("payment_intents.create"):
            intent = self.client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        return _intent(intent)

    def intent_get(self, intent_id: str) -> IntentResult:
        with _mapped_errors("payment_intents.retrieve"):
            intent = self.client.v1.payment_intents.retrieve(intent_id, {"expand": ["latest_charge"]})
        return _intent(intent)

    def intent_confirm(self, intent_id: str, *, payment_method: str, idempotency_key: str) -> IntentResult:
        with _mapped_errors("payment_intents.confirm"):
            intent = self.client.v1.payment_intents.confirm(
                intent_id, {"payment_method": payment_method, "off_session": True}, {"idempotency_key": idempotency_key})
        return _intent(intent)

    def setup_create(self, *, customer: str, metadata: dict, idempotency_key: str) -> SetupResult:
        params = {"customer": customer, "usage": "off_session", "metadata": metadata, "automatic_payment_methods": {"enabled": True}}
        with _mapped_errors("setup_intents.create"):
            setup = self.client.v1.setup_intents.create(params, {"idempotency_key": idempotency_key})
        return self._setup(setup)

    def setup_get(self, setup_id: str) -> SetupResult:
        with _mapped_errors("setup_intents.retrieve"):
            setup = self.client.v1.setup_intents.retrieve(setup_id)
        return self._setup(setup)

    @staticmethod
    def _setup(obj) -> SetupResult:
        obj = _plain(obj)
        return SetupResult(
            id=obj["id"], status=obj["status"], client_secret=obj.get("client_secret") or "", customer=_id(obj.get("customer")),
            payment_method=_id(obj.get("payment_method")), metadata=dict(obj.get("metadata") or {}),
        )

    def card_get(self, payment_method_id: str) -> CardInfo:
        with _mapped_errors("payment_methods.retrieve"):
            method = self.client.v1.payment_methods.retrieve(payment_method_id)
        method = _plain(method)
        card = method.get("card") or {}
        return CardInfo(id=method["id"], brand=card.get("brand", ""), last4=card.get("last4", ""),
                        exp_month=card.get("exp_month") or 0, exp_year=card.get("exp_year") or 0)

    def refund_create(self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict | None = None) -> RefundResult:
        params = {"payment_intent": intent_id, "amount": amount, "metadata": metadata or {}}
        with _mapped_errors("refunds.create"):
            refund = self.client.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        refund = _plain(refund)
        return RefundResult(id=refund["id"], status=refund["status"], amount=refund["amount"])

    def _tier_product(self, *, tier_slug: str, tier_name: str) -> str:
        """The tier's Product, with a client-chosen id: creating it twice finds the first one."""
        product_id = f"coresync-tier-{tier_slug}"
        try:
            with _mapped_errors("products.create"):
                self.client.v1.products.create({"id": product_id, "name": f"{tier_name} membership"},
                                               {"idempotency_key": f"product:{product_id}"})
        except ProviderError as error:
            if error.status != 400:  # 400 resource_already_exists: it is there
                raise
        return product_id

    def subscription_create(
        self, *, customer: str, tier_slug: str, tier_name: str, amount: int, currency: str, metadata: dict, idempotency_key: str,
        payment_method: str = "",
    ) -> SubscriptionResult:
        product = self._tier_product(tier_slug=tier_slug, tier_name=tier_name)
        params: dict = {
            "customer": customer,
            "items": [{"price_data": {"currency": currency, "product": product, "unit_amount": amount, "recurring": {"interval": "month"}}}],
            "metadata": metadata,
            "payment_behavior": "default_incomplete",
            "payment_settings": {"save_default_payment_method": "on_subscription"},
            "expand": ["latest_invoice.confirmation_secret"],
        }
        if payment_method:
            params.update(default_payment_method=payment_method, payment_behavior="allow_incomplete")
        with _mapped_errors("subscriptions.create"):
            subscription = self.client.v1.subscriptions.create(params, {"idempotency_key": idempotency_key})
        return _subscription(subscription)

    def subscription_get(self, subscription_id: str) -> SubscriptionResult:
        with _mapped_errors("subscriptions.retrieve"):
            subscription = self.client.v1.subscriptions.retrieve(subscription_id)
        return _subscription(subscription)

    def subscription_cancel(self, subscription_id: str, *, idempotency_key: str) -> SubscriptionResult:
        with _mapped_errors("subscriptions.update"):
            subscription = self.client.v1.subscriptions.update(
                subscription_id, {"cancel_at_period_end": True}, {"idempotency_key": idempotency_key}
            )
        return _subscription(subscription)

    def event_parse(self, payload: bytes, signature: str) -> ProviderEvent:
        # The endpoint's secret, then the previous ones while a roll is in progress (the SDK checks one at a time).
        secrets = [s for s in (settings.STRIPE_WEBHOOK_SECRET, *settings.STRIPE_WEBHOOK_SECRET_PREVIOUS) if s]
        if not secrets:
            raise ValidationFailed("Webhook secret not configured.", code="invalid_signature")
        if not _signed_at_fresh(signature, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE):
            raise ValidationFailed("The signature's timestamp is missing or too far from the current time.", code="invalid_signature")
        for secret in secrets:
            try:
                event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE)
            except stripe.SignatureVerificationError:
                continue
            except (ValueError, KeyError, TypeError):
                raise ValidationFailed("The body is not a Stripe event.", code="invalid_payload") from None
            try:
                return event_from_stripe(event)
            except (KeyError, TypeError, AttributeError):
                raise ValidationFailed("The body is not a Stripe event.", code="invalid_payload") from None
        raise ValidationFailed("The signature does not match.", code="invalid_signature")


def _signed_at_fresh(header: str, *, tolerance: int, now: float | None = None) -> bool:
    """Is the header's ``t=`` within ``tolerance`` of now, either way? (The SDK refuses old ones, not future ones.)"""
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            if not (value.isascii() and value.isdigit()) or len(value) > 12:
                return False
            return abs((now if now is not None else time.time()) - int(value)) <= tolerance
    return False


def event_from_stripe(event) -> ProviderEvent:
    """Name the object a handler re-fetches: the PaymentIntent of a charge, the subscription of an invoice."""
    event = _plain(event)
    obj = event["data"]["object"]
    kind = event["type"]
    object_id = obj.get("id", "")
    if kind.startswith("charge."):
        object_id = _id(obj.get("payment_intent"))
    elif kind.startswith("invoice."):
        object_id = _id(obj.get("subscription")) or _invoice_subscription(obj)
    return ProviderEvent(id=event["id"], type=kind, object_id=object_id, created=event.get("created") or 0)


def _invoice_subscription(invoice) -> str:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _id(details.get("subscription"))

