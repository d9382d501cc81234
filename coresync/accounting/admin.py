"""The manager's and the bookkeeper's view: the item mapping (editable), the ledger (browse, export CSV, retry), reports."""

from __future__ import annotations

import csv
import json

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils import timezone

from coresync.core.errors import ProviderError

from .models import AccountingCustomer, Discrepancy, ItemMapping, QuickBooksConnection, Receipt, ReconcileReport, SyncStatus
from .services import receipt_send

CSV_COLUMNS = ["txn_date", "kind", "doc_number", "customer_email", "total", "tax", "status", "provider", "external_id", "payment_id"]


@admin.register(ItemMapping)
class ItemMappingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "item_id", "item_name", "income_account_name", "is_default"]
    list_filter = ["is_default", "category"]
    autocomplete_fields = []
    fieldsets = [
        ("What is sold", {"fields": ["is_default", "service", "addon", "category"],
                          "description": "One of: the default row, a service, an add-on, or a whole category."}),
        ("Booked in QuickBooks to", {"fields": ["item_id", "item_name", "income_account_id", "income_account_name"]}),
    ]


def _lines_text(body: dict) -> str:
    rows = []
    for line in body.get("Line", []):
        detail = line.get("SalesItemLineDetail") or {}
        code = (detail.get("TaxCodeRef") or {}).get("value", "")
        sign = "−" if line.get("DetailType") == "DiscountLineDetail" else ""
        rows.append(f"{line.get('Description', '')}: {sign}{line.get('Amount')} {code}".strip())
    tax = (body.get("TxnTaxDetail") or {}).get("TotalTax")
    rows.append(f"Tax: {tax}")
    rows.append(f"Total: {body.get('TotalAmt')}")
    return "\n".join(rows)


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    list_display = ["txn_date", "kind", "doc_number", "customer_email", "total", "tax", "status", "provider", "external_id"]
    list_filter = ["status", "kind", "provider", "txn_date"]
    search_fields = ["doc_number", "=customer_email", "external_id", "request_id"]
    date_hierarchy = "txn_date"
    readonly_fields = ["kind", "payment", "booking", "doc_number", "txn_date", "customer_email", "covers_refunded", "total", "tax",
                       "lines", "request_id", "provider", "status", "external_id", "attempts", "last_error", "synced_at", "created_at"]
    fields = [*readonly_fields[:9], "body", *readonly_fields[9:]]
    actions = ["export_csv", "send_now"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Lines, tax and total")
    def lines(self, obj):
        return _lines_text(obj.body or {})

    @admin.action(description="Export the selected receipts as CSV (with their lines)")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="ledger-{timezone.localdate():%Y%m%d}.csv"'
        writer = csv.writer(response)
        writer.writerow([*CSV_COLUMNS, "lines", "body"])
        for receipt in queryset.order_by("txn_date", "pk"):
            writer.writerow([getattr(receipt, column) for column in CSV_COLUMNS]
                            + [_lines_text(receipt.body).replace("\n", "; "), json.dumps(receipt.body, sort_keys=True)])
        return response

    @admin.action(description="Send now (refused receipts after a fix: same requestid)")
    def send_now(self, request, queryset):
        sent = 0
        for receipt in queryset.exclude(status=SyncStatus.SYNCED):
            Receipt.objects.filter(pk=receipt.pk, status=SyncStatus.FAILED).update(status=SyncStatus.PENDING)
            try:
                receipt_send(receipt_id=receipt.pk)
                sent += 1
            except ProviderError as error:
                self.message_user(request, f"{receipt.doc_number}: {error}", messages.ERROR)
        self.message_user(request, f"{sent} receipt(s) sent.", messages.SUCCESS)


class DiscrepancyInline(admin.TabularInline):
    model = Discrepancy
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "receipt_kind", "doc_number", "payment_ref", "expected_total", "actual_total", "expected_tax", "actual_tax"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReconcileReport)
class ReconcileReportAdmin(admin.ModelAdmin):
    list_display = ["day", "discrepancy_count", "payments_checked", "receipts_checked", "provider", "seconds", "created_at"]
    list_filter = ["provider"]
    date_hierarchy = "day"
    readonly_fields = [f.name for f in ReconcileReport._meta.fields]
    inlines = [DiscrepancyInline]

    def has_add_permission(self, request):
        return False


@admin.register(AccountingCustomer)
class AccountingCustomerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "email", "created_at"]
    search_fields = ["=email"]
    readonly_fields = ["email", "display_name", "request_id", "created_at"]


@admin.register(QuickBooksConnection)
class QuickBooksConnectionAdmin(admin.ModelAdmin):
    """State only: the tokens are encrypted and never shown."""

    list_display = ["realm_id", "status", "refreshed_at", "refresh_token_expires_at", "disconnected_at"]
    fields = readonly_fields = ["realm_id", "status", "refreshed_at", "refresh_count", "access_token_expires_at",
                                "refresh_token_expires_at", "disconnected_at", "last_error"]

    def has_add_permission(self, request):
        return False
