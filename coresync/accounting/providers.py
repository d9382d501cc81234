"""Wire the QuickBooks provider to our connection (tokens, state), and the readiness function /readyz calls."""

from __future__ import annotations

from coresync.integrations.accounting import accounting_provider, accounting_provider_register
from coresync.integrations.quickbooks.client import QuickBooksProvider

from . import connection


def _quickbooks() -> QuickBooksProvider:
    return QuickBooksProvider(token_source=connection.access_token, state_source=connection.connection_state)


accounting_provider_register("quickbooks", _quickbooks)


def accounting_readiness() -> dict:
    """The accounting provider's state for /readyz (database only, never the network; never raises)."""
    try:
        return {"name": "accounting", **accounting_provider().health()}
    except Exception as error:  # a probe reports, it never raises
        return {"name": "accounting", "provider": "", "ok": False, "state": "error", "error": error.__class__.__name__}
