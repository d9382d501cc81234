"""Payments: what a booking or a membership was charged, refunded, and with which saved card.

Provider ids (a Stripe PaymentIntent, Customer, PaymentMethod, Subscription) live in
``integrations.ExternalReference`` (system = the provider), never as columns here.
Every row that leads to a mutating provider call holds the ``idempotency_key`` that
call uses, committed *before* the call: a retry after a timeout sends the same key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coresync.core.fields import EncryptedJSONField
from coresync.core.models import TimeStampedModel


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", "Unpaid"
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    FAILED = "failed", "Failed"


class Purpose(models.TextChoices):
    BOOKING = "booking", "Booking"
    LATE_CANCELLATION_FEE = "late_cancellation_fee", "Late cancellation fee"
    NO_SHOW_FEE = "no_show_fee", "No-show fee"


class Payment(TimeStampedModel):
    """One charge for a booking: the booking itself, or a policy fee. At most one per (booking, purpose)."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="payments")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    purpose = models.CharField(max_length=24, choices=Purpose.choices, default=Purpose.BOOKING)
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID)
    currency = models.CharField(max_length=3, default="USD")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    amount_refunded = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    idempotency_key = models.CharField(max_length=120, unique=True, help_text="Sent with the PaymentIntent creation.")
    failure_code = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "purpose"], name="payment_once_per_booking_purpose"),
            models.CheckConstraint(condition=Q(amount_refunded__lte=models.F("amount_paid")), name="payment_refund_within_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} · {self.get_purpose_display()} · {self.amount} {self.currency} · {self.status}"

    @property
    def refundable(self):
        return self.amount_paid - self.amount_refunded


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(TimeStampedModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"refund {self.amount} of payment {self.payment_id} · {self.status}"


class ProviderEventRecord(models.Model):
    """Each provider event id, stored once in the transaction that takes it in: a repeat is acknowledged and ignored."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=255, blank=True)
    data = EncryptedJSONField(default=dict, blank=True, help_text="The event's object (billing names and e-mails): encrypted at rest.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "provider event"
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class PaymentCustomer(TimeStampedModel):
    """A person as a customer of one provider (its id in ExternalReference, kind ``customer``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customers")
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=120, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "provider"], name="payment_customer_once")]

    def __str__(self) -> str:
        return f"{self.user} at {self.provider}"


class CardSetup(TimeStampedModel):
    """A request to save a card for later (a SetupIntent), with the consent the person gave."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_setups")
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=32, default="requires_payment_method")
    consent_at = models.DateTimeField()
    consent_version = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=120, unique=True)

    def __str__(self) -> str:
        return f"card setup {self.pk} for {self.user} · {self.status}"


class SavedCard(TimeStampedModel):
    """A card on file (its PaymentMethod id in ExternalReference, kind ``payment_method``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_cards")
    provider = models.CharField(max_length=20)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=False)
    consent_at = models.DateTimeField(help_text="When the person agreed to off-session charges on this card.")
    consent_version = models.CharField(max_length=40, help_text="Which consent text they agreed to.")
    setup = models.OneToOneField(CardSetup, null=True, blank=True, on_delete=models.SET_NULL, related_name="card")

    class Meta:
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], condition=Q(is_default=True), name="saved_card_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4} ({self.user})"


class MembershipSubscription(TimeStampedModel):
    """A membership billed monthly by the provider (its subscription id in ExternalReference, kind ``subscription``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_subscriptions")
    tier = models.ForeignKey("memberships.MembershipTier", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("memberships.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=20, default="incomplete", help_text="The provider's subscription status.")
    cancel_at_period_end = models.BooleanField(default=False)
    current_period_end = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.tier} · {self.status}"


class LocalGatewayObject(models.Model):
    """The built-in test gateway's own records (``local`` provider): intents, setups, cards, refunds, subscriptions."""

    id = models.CharField(primary_key=True, max_length=40)
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=32)
    idempotency_key = models.CharField(max_length=160, null=True, blank=True, unique=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "local gateway object"

    def __str__(self) -> str:
        return f"{self.id} · {self.status}"
