"""The QuickBooks Online accounting provider on the official ``python-quickbooks`` SDK.

- One ``QuickBooks`` client per call, on an ``OAuth2Session`` (a ``requests``
  session, so tests fake the network edge with ``responses``) carrying the access
  token that ``token_source`` hands out (``coresync.accounting.connection``: stored
  encrypted, refreshed under a row lock). ``QUICKBOOKS_API_BASE`` replaces Intuit's host.
- Every create carries a ``requestid``: QuickBooks answers a repeat with the first
  result, so a retry after a timeout never books twice.
- Calls to one company are serialised (``company_lock``: a PostgreSQL advisory lock
  across processes, a thread lock on the embedded database); QuickBooks allows 10
  at once per company and throttles with 429 beyond its per-minute budget.
- Errors: timeouts, connection errors, 429 and 5xx are ``ProviderError(retryable=True)``
  (the outbox backs off); 400s are not retried; a 401 refreshes the token once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import requests
from django.conf import settings
from django.db import connection
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session

from coresync.core.errors import ProviderError
from coresync.integrations.accounting import AccountingProvider, BookedReceipt, ReceiptSummary

logger = logging.getLogger("coresync.http")
PROVIDER = "quickbooks"
MINOR_VERSION = 75
PAGE = 1000
LOCK_WAIT_SECONDS = 60  # longer than a call can take (QUICKBOOKS_TIMEOUT_SECONDS) plus a few queued ones
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def company_lock(realm_id: str) -> Iterator[None]:
    """One call at a time to one QuickBooks company, across every worker (advisory lock) or thread (SQLite)."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"quickbooks:{realm_id}".encode())
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        with connection.cursor() as cursor:
            while True:  # bounded: a worker gives up (retryable) rather than queue behind a hung call for ever
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise ProviderError("another worker is still talking to this QuickBooks company", retryable=True,
                                        provider=PROVIDER)
                time.sleep(0.05)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    with _THREAD_LOCKS_GUARD:
        lock = _THREAD_LOCKS.setdefault(realm_id, threading.Lock())
    with lock:
        yield


class _TimeoutAdapter(HTTPAdapter):
    """The SDK sends without a timeout: every request from its session gets ours."""

    def __init__(self, timeout: float):
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request, **kwargs):
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


def _decimal(value) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class QuickBooksProvider(AccountingProvider):
    identifier = PROVIDER

    def __init__(self, *, token_source: Callable[..., str], state_source: Callable[[], dict] | None = None):
        self.token_source = token_source
        self.state_source = state_source

    # --- the SDK at its edge -------------------------------------------------------------
    def _client(self, token: str, statuses: list) -> QuickBooks:
        client = QuickBooks(company_id=settings.QUICKBOOKS_REALM_ID, minorversion=MINOR_VERSION)
        client.sandbox = settings.QUICKBOOKS_ENVIRONMENT != "production"
        if settings.QUICKBOOKS_API_BASE:
            client.api_url_v3 = client.sandbox_api_url_v3 = settings.QUICKBOOKS_API_BASE.rstrip("/") + "/v3"
        session = OAuth2Session(settings.QUICKBOOKS_CLIENT_ID, token={"access_token": token, "token_type": "Bearer"})
        adapter = _TimeoutAdapter(settings.QUICKBOOKS_TIMEOUT_SECONDS)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.hooks["response"].append(lambda response, *args, **kwargs: statuses.append(response.status_code))
        client.session = session
        return client

    def _call(self, operation: str, func: Callable[[QuickBooks], dict]) -> dict:
        """Run ``func`` against the company under its lock; map the SDK's errors; one token refresh on a 401."""
        for attempt in (1, 2):
            token = self.token_source(force=attempt == 2)
            statuses: list[int] = []
            started = time.perf_counter()
            try:
                with company_lock(settings.QUICKBOOKS_REALM_ID):
                    return func(self._client(token, statuses))
            except (requests.Timeout, requests.ConnectionError) as error:
                raise ProviderError(f"QuickBooks did not answer ({error.__class__.__name__})", retryable=True, provider=PROVIDER) from error
            except QuickbooksException as error:
                status = statuses[-1] if statuses else 500
                if status == 401 and attempt == 1:
                    continue
                detail = f"{error.message} {getattr(error, 'detail', '')}".strip()
                raise ProviderError.from_status(PROVIDER, status, detail[:500]) from error
            finally:
                logger.info("provider=quickbooks operation=%s status=%s ms=%s", operation, statuses[-1] if statuses else None,
                            int((time.perf_counter() - started) * 1000))
        raise ProviderError("QuickBooks refused our access token twice", status=401, provider=PROVIDER)

    # --- hooks ------------------------------------------------------------------------------
    def customer_find_or_create(self, *, email: str, display_name: str, given_name: str, family_name: str,
                                request_id: str) -> str:
        found = self._call("customer_query", lambda qb: qb.query(
            f"select * from Customer where PrimaryEmailAddr = '{_quoted(email)}'"))  # noqa: S608 (QuickBooks query, quoted)
        customers = found.get("QueryResponse", {}).get("Customer", [])
        if customers:
            return str(customers[0]["Id"])
        body = {"DisplayName": display_name[:500], "GivenName": given_name[:100], "FamilyName": family_name[:100],
                "PrimaryEmailAddr": {"Address": email}}
        created = self._call("customer_create", lambda qb: qb.create_object("Customer", json.dumps(body), request_id=request_id))
        return str(created["Customer"]["Id"])

    def receipt_create(self, *, kind: str, body: dict, request_id: str, receipt_id: int) -> BookedReceipt:
        answer = self._call(f"{kind}_create", lambda qb: qb.create_object(kind, json.dumps(body), request_id=request_id))
        obj = answer[kind]
        return BookedReceipt(external_id=str(obj["Id"]), total=_decimal(obj.get("TotalAmt")),
                             tax=_decimal((obj.get("TxnTaxDetail") or {}).get("TotalTax")), sync_token=str(obj.get("SyncToken", "")))

    def receipts_on(self, day: date) -> list[ReceiptSummary]:
        found: list[ReceiptSummary] = []
        for kind in ("SalesReceipt", "RefundReceipt"):
            start = 1
            while True:
                query = f"select * from {kind} where TxnDate = '{day.isoformat()}' STARTPOSITION {start} MAXRESULTS {PAGE}"  # noqa: S608
                rows = self._call(f"{kind}_query", lambda qb, q=query: qb.query(q)).get("QueryResponse", {}).get(kind, [])
                found += [ReceiptSummary(kind=kind, external_id=str(row["Id"]), doc_number=row.get("DocNumber", ""),
                                         payment_ref=row.get("PaymentRefNum", ""), txn_date=day, total=_decimal(row.get("TotalAmt")),
                                         tax=_decimal((row.get("TxnTaxDetail") or {}).get("TotalTax"))) for row in rows]
                if len(rows) < PAGE:
                    break
                start += PAGE
        return found

    def health(self) -> dict:
        state = self.state_source() if self.state_source else {}
        return {"provider": PROVIDER, **state}
