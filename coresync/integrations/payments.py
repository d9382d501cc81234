"""Payment providers: the one seam between CoreSync and whoever moves the money.

Domain code asks ``payment_provider()`` and never imports a vendor SDK. Two
implementations: ``local`` (the built-in test gateway of ``coresync.payments``:
a hosted card page on our own site taking Stripe's test numbers, so the paid flow
runs offline) and ``stripe`` (``coresync.integrations.stripe``, the official SDK).
``PAYMENT_PROVIDER`` chooses, through the one ``ProviderRegistry`` every seam uses. Vendor objects never leak inward: every hook answers with the dataclasses
below, and every mutating hook takes the ``idempotency_key`` its caller persisted
*before* the call, so a retry after a timeout never charges twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coresync.core.errors import ApplicationError, ProviderError
from coresync.integrations.common.registry import ProviderRegistry

__all__ = [
    "AuthenticationRequired", "CardDeclined", "CardInfo", "IntentResult", "PaymentProvider", "ProviderError",
    "ProviderEvent", "RefundResult", "SetupResult", "SubscriptionResult", "payment_provider", "payment_provider_register",
]


class AuthenticationRequired(ApplicationError):
    """The bank wants the card holder present (3-D Secure): an off-session charge cannot go through."""

    status_code = 402
    code = "authentication_required"
    default_message = "Your bank needs you to confirm this payment. We have e-mailed you a link to pay."


class CardDeclined(ApplicationError):
    status_code = 402
    code = "card_declined"
    default_message = "The card was declined."


@dataclass(frozen=True)
class IntentResult:
    """A PaymentIntent as we need it. ``status`` is Stripe's vocabulary (``succeeded``, ``processing``,
    ``requires_payment_method``, ``requires_action``, ``requires_confirmation``, ``canceled``)."""

    id: str
    status: str
    amount: int  # cents
    currency: str
    amount_received: int = 0
    amount_refunded: int = 0
    client_secret: str = ""
    checkout_url: str = ""
    customer: str = ""
    payment_method: str = ""
    metadata: dict = field(default_factory=dict)
    error_code: str = ""


@dataclass(frozen=True)
class SetupResult:
    id: str
    status: str
    client_secret: str = ""
    checkout_url: str = ""
    customer: str = ""
    payment_method: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CardInfo:
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount: int


@dataclass(frozen=True)
class SubscriptionResult:
    """``status`` is Stripe's: ``incomplete``, ``active``, ``past_due``, ``unpaid``, ``canceled``…"""

    id: str
    status: str
    customer: str = ""
    cancel_at_period_end: bool = False
    current_period_end: int | None = None  # unix seconds
    client_secret: str = ""
    checkout_url: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderEvent:
    """A provider's notification: which object changed. Handlers re-fetch the object instead of trusting the body."""

    id: str
    type: str
    object_id: str
    created: int = 0
    data: dict = field(default_factory=dict)  # the few fields re-fetching cannot give (e.g. an invoice's subscription)


class PaymentProvider:
    """Hooks every payment provider implements. Amounts are integer cents; currencies lower-case ISO codes."""

    identifier = "base"
    #: Whether the pay page loads Stripe.js (the only third-party script, on that page only).
    uses_stripe_js = False
    publishable_key = ""

    def customer_create(self, *, email: str, name: str, idempotency_key: str) -> str:
        raise NotImplementedError

    def intent_create(
        self, *, amount: int, currency: str, metadata: dict, idempotency_key: str, customer: str = "",
        payment_method: str = "", off_session: bool = False, description: str = "",
    ) -> IntentResult:
        """Create a PaymentIntent; with ``payment_method`` and ``off_session`` it is confirmed at once (one-tap, fees).
        Raises ``AuthenticationRequired`` or ``CardDeclined`` for an off-session charge the bank refuses."""
        raise NotImplementedError

    def intent_get(self, intent_id: str) -> IntentResult:
        raise NotImplementedError

    def intent_confirm(self, intent_id: str, *, payment_method: str, idempotency_key: str) -> IntentResult:
        """Pay an existing intent with a saved card, off-session (one-tap after the pay page was opened: one intent, never two)."""
        raise NotImplementedError

    def setup_create(self, *, customer: str, metadata: dict, idempotency_key: str) -> SetupResult:
        raise NotImplementedError

    def setup_get(self, setup_id: str) -> SetupResult:
        raise NotImplementedError

    def card_get(self, payment_method_id: str) -> CardInfo:
        raise NotImplementedError

    def refund_create(self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict | None = None) -> RefundResult:
        raise NotImplementedError

    def subscription_create(
        self, *, customer: str, tier_slug: str, tier_name: str, amount: int, currency: str, metadata: dict, idempotency_key: str,
        payment_method: str = "",
    ) -> SubscriptionResult:
        raise NotImplementedError

    def subscription_get(self, subscription_id: str) -> SubscriptionResult:
        raise NotImplementedError

    def subscription_cancel(self, subscription_id: str, *, idempotency_key: str) -> SubscriptionResult:
        """Cancel at the end of the paid period."""
        raise NotImplementedError

    def event_parse(self, payload: bytes, signature: str) -> ProviderEvent:
        """Verify a webhook body and its signature header; raises ``ValidationFailed`` when it does not verify."""
        raise NotImplementedError


PAYMENTS: ProviderRegistry[PaymentProvider] = ProviderRegistry(
    "payment",
    setting="PAYMENT_PROVIDER",
    providers={"stripe": "coresync.integrations.stripe.client.StripePaymentProvider"},
    settings_prefixes=("STRIPE_",),
)  # "local" lives above the seam (coresync.payments.gateway: it has a page) and registers itself


def payment_provider_register(identifier: str, factory: Callable[[], PaymentProvider]) -> None:
    PAYMENTS.register(identifier, factory)


def payment_provider(identifier: str | None = None) -> PaymentProvider:
    """The configured provider (``PAYMENT_PROVIDER``), or the one named: e.g. the provider that took a payment."""
    return PAYMENTS.get(identifier)


def payment_provider_reset() -> None:
    """Forget built providers (done by itself when a ``PAYMENT_PROVIDER`` or ``STRIPE_*`` setting changes)."""
    PAYMENTS.reset()
