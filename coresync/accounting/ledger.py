"""The ``local`` accounting provider: our own ledger is the books.

A receipt "sent" here is the ledger row itself, marked in the books; customers are
the ``AccountingCustomer`` rows. The manager browses, filters and exports the
ledger in the admin; the nightly reconcile reads it back from the stored JSON
bodies (so a body edited by hand shows up as a discrepancy).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from coresync.integrations.accounting import AccountingProvider, BookedReceipt, ReceiptSummary, accounting_provider_register

from .models import AccountingCustomer, Receipt, SyncStatus


def _decimal(value) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def summary_of(row_id: int, external_id: str, body: dict, kind: str, day: date) -> ReceiptSummary:
    return ReceiptSummary(kind=kind, external_id=external_id, doc_number=body.get("DocNumber", ""),
                          payment_ref=str(body.get("PaymentRefNum", "")), txn_date=day, total=_decimal(body.get("TotalAmt")),
                          tax=_decimal((body.get("TxnTaxDetail") or {}).get("TotalTax")))


class LocalLedgerProvider(AccountingProvider):
    identifier = "local"

    def customer_find_or_create(self, *, email: str, display_name: str, given_name: str, family_name: str,
                                request_id: str) -> str:
        return str(AccountingCustomer.objects.get(email=email).pk)

    def receipt_create(self, *, kind: str, body: dict, request_id: str, receipt_id: int) -> BookedReceipt:
        return BookedReceipt(external_id=f"L{receipt_id}", total=_decimal(body.get("TotalAmt")),
                             tax=_decimal((body.get("TxnTaxDetail") or {}).get("TotalTax")))

    def receipts_on(self, day: date) -> list[ReceiptSummary]:
        rows = Receipt.objects.filter(provider=self.identifier, status=SyncStatus.SYNCED, txn_date=day).values_list(
            "pk", "external_id", "body", "kind")
        return [summary_of(pk, external_id, body, kind, day) for pk, external_id, body, kind in rows]

    def health(self) -> dict:
        return {"provider": self.identifier, "ok": True, "state": "ledger",
                "unsynced": Receipt.objects.filter(provider=self.identifier).exclude(status=SyncStatus.SYNCED).count()}


accounting_provider_register("local", LocalLedgerProvider)
