"""Vendor ids live here, not as columns on domain models.

One ``ExternalReference`` row says: this object of ours (a booking, a membership, a
customer, a payment) is that object in that system (a Stripe PaymentIntent, a
Google Calendar event in one calendar, a QuickBooks SalesReceipt), with the
state of its mirror. A new integration adds rows, not columns.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class System(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    QUICKBOOKS = "quickbooks", "QuickBooks Online"
    GOOGLE_CALENDAR = "google_calendar", "Google Calendar"
    GOOGLE_SHEETS = "google_sheets", "Google Sheets"
    ATLAS = "atlas", "Atlas"
    SENDGRID = "sendgrid", "SendGrid"
    LOCAL = "local", "Local provider"


class SyncState(models.TextChoices):
    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    ERROR = "error", "Error"
    DELETED = "deleted", "Deleted"


class ExternalReference(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    system = models.CharField(max_length=20, choices=System.choices)
    kind = models.CharField(max_length=40, help_text="What the vendor object is: payment_intent, customer, event:master, sales_receipt…")
    external_id = models.CharField(max_length=255, blank=True)
    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="What the vendor told us that we keep (etag, sync token, status).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "external reference"
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "system", "kind"], name="external_ref_once_per_object"),
        ]
        indexes = [
            models.Index(fields=["system", "kind", "external_id"], name="external_ref_lookup"),
            models.Index(fields=["system", "sync_state"], name="external_ref_state"),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} → {self.system} {self.kind} {self.external_id or '—'} ({self.sync_state})"
