"""Service-account credentials and the API base URL, from settings only."""

from __future__ import annotations

import json
from functools import cache

from django.conf import settings

from coresync.core.errors import ProviderError

CALENDAR_SCOPES = ("https://www.googleapis.com/auth/calendar",)
SHEETS_SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.file")
GOOGLE_HOSTS = ("https://www.googleapis.com", "https://sheets.googleapis.com", "https://calendar.googleapis.com")


def service_account_info() -> dict:
    """The service account key as Google issues it (``token_uri`` included), or a non-retryable ProviderError."""
    if settings.GOOGLE_SERVICE_ACCOUNT_JSON:
        raw = settings.GOOGLE_SERVICE_ACCOUNT_JSON
    elif settings.GOOGLE_SERVICE_ACCOUNT_FILE:
        try:
            with open(settings.GOOGLE_SERVICE_ACCOUNT_FILE, encoding="utf-8") as handle:
                raw = handle.read()
        except OSError as error:
            raise ProviderError(f"cannot read GOOGLE_SERVICE_ACCOUNT_FILE: {error}", provider="google") from error
    else:
        raise ProviderError("Google is not configured: set GOOGLE_SERVICE_ACCOUNT_FILE or GOOGLE_SERVICE_ACCOUNT_JSON", provider="google")
    try:
        info = json.loads(raw)
    except ValueError as error:
        raise ProviderError(f"the Google service account key is not JSON: {error}", provider="google") from error
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ProviderError("the Google key is not a service account key (type must be service_account)", provider="google")
    return info


@cache
def _credentials(scopes: tuple[str, ...], raw: str):
    from google.oauth2 import service_account

    # google-auth refreshes at the key's own token_uri, so a key pointed at a test server stays there.
    return service_account.Credentials.from_service_account_info(json.loads(raw), scopes=list(scopes))


def credentials(scopes: tuple[str, ...]):
    """Cached per key and scopes: the access token is reused until google-auth refreshes it."""
    return _credentials(tuple(scopes), json.dumps(service_account_info(), sort_keys=True))


def service_account_email() -> str:
    return service_account_info().get("client_email", "")


def api_base() -> str:
    """``GOOGLE_API_BASE`` without a trailing slash, or '' for Google's own hosts."""
    return settings.GOOGLE_API_BASE.rstrip("/")


def rebase(url: str) -> str:
    """``url`` on ``GOOGLE_API_BASE`` when set: Google's paths (/calendar/v3/…, /v4/spreadsheets/…) are kept."""
    base = api_base()
    if not base:
        return url
    for host in GOOGLE_HOSTS:
        if url.startswith(host):
            return base + url[len(host):]
    return url
