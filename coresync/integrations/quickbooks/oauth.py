"""Intuit OAuth 2.0 through the official ``intuit-oauth`` SDK: the authorization URL, the code exchange, the refresh.

Intuit rotates the refresh token on every refresh: the caller must store the new
one (``coresync.accounting.connection`` does, encrypted, under a row lock) before
anything else can fail. ``QUICKBOOKS_OAUTH_TOKEN_URL`` points the token calls at
a fake in tests and mocks; the discovery document is fetched as the SDK does.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from coresync.core.errors import ProviderError

logger = logging.getLogger("coresync.http")
PROVIDER = "quickbooks"


class InvalidGrant(ProviderError):
    """Intuit refused the refresh token (revoked, expired after 100 days, or already rotated away): reconnect."""

    code = "quickbooks_disconnected"
    default_message = "QuickBooks refused our refresh token: the owner must reconnect (manage.py quickbooks_connect)."


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds
    refresh_expires_in: int | None = None
    realm_id: str = ""


def auth_client(*, refresh_token: str | None = None) -> AuthClient:
    environment = "production" if settings.QUICKBOOKS_ENVIRONMENT == "production" else "sandbox"
    try:
        client = AuthClient(settings.QUICKBOOKS_CLIENT_ID, settings.QUICKBOOKS_CLIENT_SECRET, settings.QUICKBOOKS_REDIRECT_URI,
                            environment, refresh_token=refresh_token)
    except (requests.RequestException, AuthClientError, ValueError) as error:
        raise ProviderError("Intuit's OAuth discovery document could not be fetched", retryable=True, provider=PROVIDER) from error
    if settings.QUICKBOOKS_OAUTH_TOKEN_URL:
        client.token_endpoint = settings.QUICKBOOKS_OAUTH_TOKEN_URL
    return client


def _tokens(client: AuthClient, realm_id: str = "") -> TokenSet:
    return TokenSet(access_token=client.access_token, refresh_token=client.refresh_token, expires_in=int(client.expires_in or 3600),
                    refresh_expires_in=int(client.x_refresh_token_expires_in) if client.x_refresh_token_expires_in else None,
                    realm_id=realm_id or client.realm_id or "")


def _mapped(error: AuthClientError, operation: str) -> ProviderError:
    try:
        code = json.loads(error.content or b"{}").get("error", "")
    except ValueError:
        code = ""
    if code == "invalid_grant":
        return InvalidGrant(provider=PROVIDER, status=error.status_code)
    return ProviderError.from_status(PROVIDER, error.status_code, f"{operation}: {code or 'token endpoint error'}")


def token_refresh(refresh_token: str) -> TokenSet:
    """New tokens for ``refresh_token``. Raises ``InvalidGrant`` when Intuit refuses it, ``ProviderError`` otherwise."""
    client = auth_client(refresh_token=refresh_token)
    started = time.perf_counter()
    status = 200
    try:
        client.refresh()
    except AuthClientError as error:
        status = error.status_code
        raise _mapped(error, "refresh") from error
    except requests.RequestException as error:
        status = None
        raise ProviderError("Intuit's token endpoint did not answer", retryable=True, provider=PROVIDER) from error
    finally:
        logger.info("provider=quickbooks operation=token_refresh status=%s ms=%s", status, int((time.perf_counter() - started) * 1000))
    return _tokens(client)


def authorization_url(*, state: str) -> str:
    """Where the owner signs in to Intuit and picks the company (scope: accounting)."""
    return auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def token_exchange(*, code: str, realm_id: str) -> TokenSet:
    """Trade the redirect's authorization code for the first tokens."""
    client = auth_client()
    try:
        client.get_bearer_token(code, realm_id=realm_id)
    except AuthClientError as error:
        raise _mapped(error, "code exchange") from error
    except requests.RequestException as error:
        raise ProviderError("Intuit's token endpoint did not answer", retryable=True, provider=PROVIDER) from error
    return _tokens(client, realm_id)
