"""Accounting providers: the one seam between CoreSync and the books (SPEC §10.3).

Domain code asks ``accounting_provider()`` and never imports a vendor SDK. Two
implementations: ``local`` (``coresync.accounting.ledger``: the ledger of receipts
in our own database, kept as the exact JSON QuickBooks would receive) and
``quickbooks`` (``coresync.integrations.quickbooks``: python-quickbooks and
intuit-oauth). Each registers itself with ``accounting_provider_register``;
``ACCOUNTING_PROVIDER`` chooses. Every create takes the ``request_id`` its caller
persisted *before* the call: QuickBooks answers a repeated ``requestid`` with the
first result, so a retry after a timeout never books a sale twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from coresync.core.errors import ProviderError
from coresync.integrations.common.registry import ProviderRegistry

__all__ = [
    "AccountingProvider", "BookedReceipt", "ProviderError", "ReceiptSummary", "accounting_provider",
    "accounting_provider_register", "accounting_provider_reset",
]

SALES_RECEIPT = "SalesReceipt"
REFUND_RECEIPT = "RefundReceipt"


@dataclass(frozen=True)
class BookedReceipt:
    """What the books answered to a create: the receipt's id there and the totals they computed."""

    external_id: str
    total: Decimal
    tax: Decimal
    sync_token: str = ""


@dataclass(frozen=True)
class ReceiptSummary:
    """One receipt as the books hold it, for the nightly reconcile. ``kind`` is SalesReceipt or RefundReceipt."""

    kind: str
    external_id: str
    doc_number: str
    payment_ref: str
    txn_date: date
    total: Decimal
    tax: Decimal


class AccountingProvider:
    """Hooks every accounting provider implements. Bodies are QuickBooks Online JSON (dicts)."""

    identifier = "base"

    def customer_find_or_create(self, *, email: str, display_name: str, given_name: str, family_name: str,
                                request_id: str) -> str:
        """The id of the customer with this e-mail in the books, created once (``request_id`` names the create)."""
        raise NotImplementedError

    def receipt_create(self, *, kind: str, body: dict, request_id: str, receipt_id: int) -> BookedReceipt:
        """Book a SalesReceipt or RefundReceipt. Raises ``ProviderError`` (retryable for timeouts, 429, 5xx)."""
        raise NotImplementedError

    def receipts_on(self, day: date) -> list[ReceiptSummary]:
        """Every sales and refund receipt dated ``day`` in the books."""
        raise NotImplementedError

    def health(self) -> dict:
        """What /readyz shows: ``{"provider", "ok", "state", ...}``; never raises, never calls the network."""
        return {"provider": self.identifier, "ok": True, "state": "ready"}


ACCOUNTING: ProviderRegistry[AccountingProvider] = ProviderRegistry(
    "accounting", setting="ACCOUNTING_PROVIDER", providers={}, settings_prefixes=("QUICKBOOKS_",),
)  # both live above the seam (coresync.accounting: the ledger is its tables; QuickBooks needs its stored tokens)


def accounting_provider_register(identifier: str, factory: Callable[[], AccountingProvider]) -> None:
    ACCOUNTING.register(identifier, factory)


def accounting_provider(identifier: str | None = None) -> AccountingProvider:
    """The configured provider (``ACCOUNTING_PROVIDER``), or the one named."""
    return ACCOUNTING.get(identifier)


def accounting_provider_reset() -> None:
    """Forget built providers (done by itself when an ``ACCOUNTING_PROVIDER`` or ``QUICKBOOKS_*`` setting changes)."""
    ACCOUNTING.reset()
