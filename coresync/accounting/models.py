"""Accounting: the ledger of receipts, the item mapping, the QuickBooks connection and the nightly reconcile.

The ledger (``Receipt``) is both the local provider's books and the queue of what
must reach QuickBooks: each row holds the exact JSON body, the ``request_id`` sent
with its create (committed before the first call, reused on every retry) and its
sync state. QuickBooks ids live here and in ``integrations.ExternalReference``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from coresync.core.fields import BlindIndexedModel, BlindIndexField, EncryptedCharField, EncryptedEmailField, EncryptedJSONField
from coresync.core.models import TimeStampedModel


class ItemMapping(TimeStampedModel):
    """Which QuickBooks item (and income account) a service, an add-on or a whole category is booked to.

    The most specific row wins: add-on or service, then the service's category,
    then the one default row. Editable by the manager in the admin.
    """

    service = models.OneToOneField("catalog.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    addon = models.OneToOneField("catalog.AddOn", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.OneToOneField("catalog.ServiceCategory", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    is_default = models.BooleanField(default=False, help_text="Used for anything without its own mapping (the manager is told).")
    item_id = models.CharField(max_length=40, help_text="The QuickBooks Item id (Sales > Products and services).")
    item_name = models.CharField(max_length=100)
    income_account_id = models.CharField(max_length=40, blank=True)
    income_account_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-is_default", "category__name", "service__name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="item_mapping_one_default"),
            models.CheckConstraint(
                condition=(
                    Q(is_default=True, service__isnull=True, addon__isnull=True, category__isnull=True)
                    | Q(is_default=False, service__isnull=False, addon__isnull=True, category__isnull=True)
                    | Q(is_default=False, service__isnull=True, addon__isnull=False, category__isnull=True)
                    | Q(is_default=False, service__isnull=True, addon__isnull=True, category__isnull=False)
                ),
                name="item_mapping_one_target",
            ),
        ]

    def __str__(self) -> str:
        target = "default" if self.is_default else self.service or self.addon or self.category
        return f"{target} → {self.item_name} ({self.item_id})"


class AccountingCustomer(BlindIndexedModel, TimeStampedModel):
    """A customer in the books, found or created by e-mail (QuickBooks id in ExternalReference, kind ``customer``)."""

    email = EncryptedEmailField(unique=True, blind_index="email_bidx")  # encrypted at rest, found by blind index
    email_bidx = BlindIndexField(source="email", kind="email", unique=True)
    display_name = EncryptedCharField(max_length=200)
    request_id = models.CharField(max_length=50, unique=True, help_text="The requestid of its create in QuickBooks.")

    def __str__(self) -> str:
        return self.display_name


class ReceiptKind(models.TextChoices):
    SALES = "SalesReceipt", "Sales receipt"
    REFUND = "RefundReceipt", "Refund receipt"


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SYNCED = "synced", "In the books"
    FAILED = "failed", "Refused (needs a fix)"


class Receipt(BlindIndexedModel, TimeStampedModel):
    """One receipt of the ledger: the body exactly as QuickBooks receives it, and whether it got there."""

    kind = models.CharField(max_length=16, choices=ReceiptKind.choices)
    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="+")
    doc_number = models.CharField(max_length=21, db_index=True)
    txn_date = models.DateField(db_index=True, help_text="The day in the spa's time zone.")
    customer_email = EncryptedEmailField(blind_index="customer_email_bidx")
    customer_email_bidx = BlindIndexField(source="customer_email", kind="email", db_index=True)
    covers_refunded = models.DecimalField(
        max_digits=10, decimal_places=2, default=0,
        help_text="Refund receipts: the payment's refunded total this receipt brings the books up to.")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    tax = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    body = EncryptedJSONField(help_text="The exact JSON QuickBooks receives (and the local ledger keeps); it names the guest: encrypted at rest.")
    request_id = models.CharField(max_length=50, unique=True, help_text="QuickBooks requestid: the same on every retry.")
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.PENDING, db_index=True)
    external_id = models.CharField(max_length=40, blank=True, help_text="The receipt's id in the books.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-txn_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "kind", "covers_refunded"], name="receipt_once_per_payment_step"),
        ]
        indexes = [models.Index(fields=["status", "provider"], name="receipt_status_provider")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.doc_number} · {self.total} · {self.status}"


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    DISCONNECTED = "disconnected", "Disconnected (reconnect with manage.py quickbooks_connect)"


class QuickBooksConnection(TimeStampedModel):
    """The owner's QuickBooks company: its tokens, encrypted (``accounting.secrets``), refreshed under this row's lock."""

    realm_id = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=14, choices=ConnectionStatus.choices, default=ConnectionStatus.CONNECTED)
    refresh_token = models.TextField(help_text="Encrypted. Intuit rotates it on every refresh.")
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    access_token = models.TextField(blank=True, help_text="Encrypted; valid about an hour.")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    seeded_from = models.CharField(max_length=64, blank=True, help_text="Hash of the QUICKBOOKS_REFRESH_TOKEN this row started from.")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_count = models.PositiveIntegerField(default=0)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "QuickBooks connection"

    def __str__(self) -> str:
        return f"QuickBooks company {self.realm_id} · {self.status}"


class ReconcileReport(TimeStampedModel):
    """One run of the nightly reconcile for one day: what was compared and what differs."""

    day = models.DateField(db_index=True)
    provider = models.CharField(max_length=20)
    payments_checked = models.PositiveIntegerField(default=0)
    receipts_checked = models.PositiveIntegerField(default=0)
    discrepancy_count = models.PositiveIntegerField(default=0)
    seconds = models.DecimalField(max_digits=8, decimal_places=3, default=0)

    class Meta:
        ordering = ["-day", "-created_at"]

    def __str__(self) -> str:
        return f"{self.day} · {self.discrepancy_count} discrepancies"


class DiscrepancyKind(models.TextChoices):
    MISSING = "missing", "Missing in the books"
    EXTRA = "extra", "In the books, not in payments"
    AMOUNT = "amount", "Amount differs"
    TAX = "tax", "Tax differs"


class Discrepancy(models.Model):
    report = models.ForeignKey(ReconcileReport, on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(max_length=8, choices=DiscrepancyKind.choices)
    receipt_kind = models.CharField(max_length=16, choices=ReceiptKind.choices)
    doc_number = models.CharField(max_length=21, blank=True)
    payment_ref = models.CharField(max_length=40, blank=True)
    expected_total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    actual_total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    expected_tax = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    actual_tax = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["kind", "doc_number"]
        verbose_name_plural = "discrepancies"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.receipt_kind} {self.doc_number}"
