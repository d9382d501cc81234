"""The owner's QuickBooks connection: tokens stored encrypted, refreshed once under a row lock, disconnects told.

Intuit rotates the refresh token on every refresh and the old one stops working,
so two workers refreshing at once would lose the company: the refresh runs under
``select_for_update`` of the connection row, and the second caller, once it gets
the row, finds the fresh access token and uses it. The new tokens are committed
in that same short transaction, before any API call can fail.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from coresync.audit.models import SecurityKind
from coresync.audit.services import security_event
from coresync.core.errors import ProviderError
from coresync.integrations.quickbooks import oauth
from coresync.outbox.services import outbox_enqueue

from .models import ConnectionStatus, QuickBooksConnection
from .secrets import InvalidToken, secret_decrypt, secret_encrypt

logger = logging.getLogger(__name__)
EARLY_REFRESH = timedelta(minutes=5)  # refresh an access token this long before Intuit's expiry


class QuickBooksDisconnected(ProviderError):
    """Retryable: receipts wait (in the ledger and the outbox's backoff) until the owner reconnects."""

    code = "quickbooks_disconnected"
    default_message = "QuickBooks is disconnected: run manage.py quickbooks_connect."

    def __init__(self, message: str | None = None, **kwargs):
        kwargs.setdefault("retryable", True)
        super().__init__(message, **kwargs)


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def connection_seed() -> QuickBooksConnection | None:
    """The connection row of ``QUICKBOOKS_REALM_ID``, created from the settings' refresh token the first time.

    A refresh token pasted into the settings after the row exists (a manual
    reconnect) replaces the stored one; otherwise the stored, rotated one wins.
    """
    realm = settings.QUICKBOOKS_REALM_ID
    if not realm:
        return None
    seeded = settings.QUICKBOOKS_REFRESH_TOKEN
    row = QuickBooksConnection.objects.filter(realm_id=realm).first()
    if row is None and seeded:
        row, _ = QuickBooksConnection.objects.get_or_create(
            realm_id=realm, defaults={"refresh_token": secret_encrypt(seeded), "seeded_from": _fingerprint(seeded)})
    elif row is not None and seeded and row.seeded_from != _fingerprint(seeded):
        QuickBooksConnection.objects.filter(pk=row.pk).update(
            refresh_token=secret_encrypt(seeded), seeded_from=_fingerprint(seeded), access_token="", access_token_expires_at=None,
            status=ConnectionStatus.CONNECTED, disconnected_at=None, last_error="", updated_at=timezone.now())
        row.refresh_from_db()
    return row


def tokens_store(row: QuickBooksConnection, tokens: oauth.TokenSet) -> None:
    """Save freshly issued tokens on ``row`` (the caller holds its lock)."""
    now = timezone.now()
    row.access_token = secret_encrypt(tokens.access_token)
    row.access_token_expires_at = now + timedelta(seconds=tokens.expires_in)
    row.refresh_token = secret_encrypt(tokens.refresh_token)
    if tokens.refresh_expires_in:
        row.refresh_token_expires_at = now + timedelta(seconds=tokens.refresh_expires_in)
    row.refreshed_at = now
    row.refresh_count += 1
    row.status = ConnectionStatus.CONNECTED
    row.disconnected_at = None
    row.last_error = ""
    row.save()


def access_token(*, force: bool = False) -> str:
    """A valid access token for the company, refreshing (once, whoever asks at the same time) when it is due.

    ``force`` refreshes unless another caller has refreshed since this one's token
    was handed out (QuickBooks answered 401 to it). Raises ``QuickBooksDisconnected``.
    """
    seeded = connection_seed()
    if seeded is None:
        raise QuickBooksDisconnected("QuickBooks is not connected: set QUICKBOOKS_REALM_ID and run manage.py quickbooks_connect.",
                                     provider="quickbooks")
    now = timezone.now()
    with transaction.atomic():
        row = QuickBooksConnection.objects.select_for_update().get(pk=seeded.pk)
        if row.status == ConnectionStatus.DISCONNECTED:
            raise QuickBooksDisconnected(provider="quickbooks")
        fresh = row.access_token and row.access_token_expires_at and row.access_token_expires_at - EARLY_REFRESH > now
        if fresh and not (force and row.refreshed_at and seeded.refreshed_at == row.refreshed_at):
            return _decrypted(row.access_token)
        try:
            tokens = oauth.token_refresh(_decrypted(row.refresh_token))
        except oauth.InvalidGrant as error:
            _disconnect(row, str(error))
        else:
            tokens_store(row, tokens)
            return tokens.access_token
    raise QuickBooksDisconnected(provider="quickbooks")


def _decrypted(token: str) -> str:
    try:
        return secret_decrypt(token)
    except InvalidToken as error:  # SECRET_KEY changed since: the stored tokens are unreadable
        raise QuickBooksDisconnected("The stored QuickBooks tokens cannot be read (SECRET_KEY changed?): reconnect.",
                                     provider="quickbooks") from error


def _disconnect(row: QuickBooksConnection, error: str) -> None:
    """Mark the company disconnected (in the caller's transaction) and tell the owner how to reconnect, once per disconnect."""
    now = timezone.now()
    row.status = ConnectionStatus.DISCONNECTED
    row.disconnected_at = now
    row.last_error = error[:2000]
    row.access_token = ""
    row.save()
    security_event(SecurityKind.INTEGRATION, detail={"system": "quickbooks", "state": "disconnected", "realm_id": row.realm_id})
    outbox_enqueue(kind="accounting.email", dedupe_key=f"accounting.email:disconnected:{row.pk}:{now.timestamp():.0f}",
                   payload={"kind": "quickbooks_disconnected", "connection_id": row.pk})
    logger.warning("QuickBooks company %s disconnected: %s", row.realm_id, error)


def connection_connect(*, tokens: oauth.TokenSet) -> QuickBooksConnection:
    """Store the tokens of a finished OAuth flow (``quickbooks_connect``) for their company."""
    with transaction.atomic():
        row, _ = QuickBooksConnection.objects.select_for_update().get_or_create(
            realm_id=tokens.realm_id, defaults={"refresh_token": "", "seeded_from": _fingerprint(settings.QUICKBOOKS_REFRESH_TOKEN)})
        row.seeded_from = _fingerprint(settings.QUICKBOOKS_REFRESH_TOKEN)
        tokens_store(row, tokens)
        security_event(SecurityKind.INTEGRATION, detail={"system": "quickbooks", "state": "connected", "realm_id": row.realm_id})
    return row


def connection_state() -> dict:
    """For /readyz: whether QuickBooks is connected, from the database only (no network)."""
    row = QuickBooksConnection.objects.filter(realm_id=settings.QUICKBOOKS_REALM_ID).first() if settings.QUICKBOOKS_REALM_ID else None
    if row is None:
        state = "connected" if settings.QUICKBOOKS_REFRESH_TOKEN else "not_connected"
        return {"ok": state == "connected", "state": state, "realm_id": settings.QUICKBOOKS_REALM_ID}
    body = {"ok": row.status == ConnectionStatus.CONNECTED, "state": row.status, "realm_id": row.realm_id,
            "refreshed_at": row.refreshed_at.isoformat() if row.refreshed_at else None}
    if row.refresh_token_expires_at:
        body["refresh_token_expires_at"] = row.refresh_token_expires_at.isoformat()
    return body
