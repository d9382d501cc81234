"""Vendor ids live here, not as columns on domain models.

One ``ExternalReference`` row says: this object of ours (a booking, a membership, a
customer, a payment) is that object in that system (a Stripe PaymentIntent, a
Google Calendar event in one calendar, a QuickBooks SalesReceipt), with the
state of its mirror. A new integration adds rows, not columns.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from coresync.core.fields import EncryptedCharField


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


# --- Google Calendar and Sheets (SPEC §10.4) ------------------------------------------------


class MirroredCalendar(models.Model):
    """One external calendar we mirror bookings into and read busy time from, with its sync state.

    ``key`` is ``master``, ``technicians``, ``private`` (the three shared calendars) or
    ``technician-<id>`` (a technician's own calendar, read for free/busy only).
    """

    key = models.CharField(max_length=40, unique=True)
    calendar_id = models.CharField(max_length=255, help_text="Google's calendar id (…@group.calendar.google.com).")
    sync_token = models.TextField(blank=True, help_text="Google's nextSyncToken: the next sync asks only for what changed since.")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    channel_id = models.CharField(max_length=64, blank=True, db_index=True, help_text="Our id of the push channel watching it.")
    channel_token = EncryptedCharField(max_length=128, blank=True, help_text="Secret Google echoes in X-Goog-Channel-Token (encrypted at rest).")
    channel_resource_id = models.CharField(max_length=255, blank=True)
    channel_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} → {self.calendar_id}"


class ExternalBusyBlock(models.Model):
    """Busy time someone entered in Google (a technician's dentist, a spa closure): availability reads this table.

    ``technician_id`` / ``room_id`` are plain ids (this app sits below the catalog);
    both empty means the whole spa is closed.
    """

    calendar = models.ForeignKey(MirroredCalendar, on_delete=models.CASCADE, related_name="busy_blocks")
    event_id = models.CharField(max_length=1024)
    summary = models.CharField(max_length=300, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    technician_id = models.PositiveBigIntegerField(null=True, blank=True)
    room_id = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        constraints = [models.UniqueConstraint(fields=["calendar", "event_id"], name="busy_block_once_per_event")]
        indexes = [models.Index(fields=["end", "start"], name="busy_block_span")]

    def __str__(self) -> str:
        return f"{self.summary or 'busy'} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class FeedToken(models.Model):
    """The secret in a subscribable iCalendar feed's URL; rotating it cuts off every old subscriber."""

    name = models.CharField(max_length=40, unique=True, help_text="master, technicians, private or technician-<id>.")
    token = models.CharField(max_length=64, unique=True)
    rotated_at = models.DateTimeField(auto_now=True)
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriceVersion(models.Model):
    """One accepted change of the prices (from the pricing sheet or a file): who, when, what changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=20, help_text="sheets, file or admin.")
    actor = models.CharField(max_length=200, blank=True, help_text="Who made it: a user's e-mail, 'schedule', 'sheet edit'.")
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=list, blank=True, help_text='[{"item", "column", "old", "new"}, …]')
    snapshot = models.JSONField(default=dict, blank=True, help_text="Every price after the change.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.summary}"


class SyncHealth(models.Model):
    """Whether a recurring sync is failing, so the manager is told once when it starts failing, not every run."""

    name = models.CharField(max_length=60, unique=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {'failing' if self.failing_since else 'ok'}"
