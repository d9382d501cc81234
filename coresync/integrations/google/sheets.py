"""Google Sheets through gspread: read tabs in one ``batch_get``, write tabs in one ``batchUpdate``.

``GOOGLE_API_BASE`` is honoured by an ``HTTPClient`` that rebases gspread's URLs.
Every request passes a process-wide throttle that keeps us under Sheets' quota of
60 requests per minute per user; a 429 (or 5xx, timeout) becomes a retryable
``ProviderError`` with ``status`` so callers back off and keep what they had.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from django.conf import settings

from coresync.core.errors import ProviderError

from . import auth

logger = logging.getLogger(__name__)
PROVIDER = "google_sheets"


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds (sleeping when needed), shared by the process."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.limit, self.window, self.clock, self.sleep = limit, window, clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Wait until one more request fits; returns the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return waited
                pause = self.window - (now - self._sent[0])
                self.sleep(pause)
                waited += pause


budget = RequestBudget(limit=50)  # below 60/min/user, leaving room for the owner's own scripts


def _rebased_http_client():
    import gspread.http_client

    class RebasedHTTPClient(gspread.http_client.HTTPClient):
        def request(self, method, endpoint, *args, **kwargs):
            budget.take()
            started = time.monotonic()
            try:
                return super().request(method, auth.rebase(endpoint), *args, **kwargs)
            finally:
                logger.info("google sheets %s %s (%.0f ms)", method.upper(), endpoint.rsplit("/", 1)[-1][:60], (time.monotonic() - started) * 1000)

    return RebasedHTTPClient


def client():
    """A gspread client on the service account; its session refreshes tokens at the key's ``token_uri``."""
    import gspread

    http_client = _rebased_http_client()
    gc = gspread.Client(auth=auth.credentials(auth.SHEETS_SCOPES), http_client=http_client)
    gc.set_timeout(settings.GOOGLE_TIMEOUT_SECONDS)
    return gc


def _call(what: str, func, *args, **kwargs):
    import gspread
    import requests

    try:
        return func(*args, **kwargs)
    except gspread.exceptions.APIError as error:
        status = int(getattr(error.response, "status_code", 0) or error.code or 0)
        raise ProviderError.from_status(PROVIDER, status, f"{what}: {str(error)[:300]}") from error
    except (requests.RequestException, TimeoutError, OSError) as error:
        raise ProviderError(f"google sheets {what}: {error}", retryable=True, provider=PROVIDER) from error


def _quoted(tab: str) -> str:
    return "'" + tab.replace("'", "''") + "'"


def tabs_read(spreadsheet_id: str, tabs: list[str]) -> dict[str, list[list[str]]]:
    """``{tab: rows}`` (each row a list of cell texts, header first) of several tabs, in ONE request."""
    answer = _call("values:batchGet", client().http_client.values_batch_get, spreadsheet_id, [_quoted(t) for t in tabs],
                   params={"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"})
    ranges = answer.get("valueRanges", [])
    result: dict[str, list[list[str]]] = {}
    for tab, value_range in zip(tabs, ranges, strict=False):
        result[tab] = [[str(cell) for cell in row] for row in value_range.get("values", [])]
    return result


def tab_titles(spreadsheet_id: str) -> list[str]:
    metadata = _call("get", client().http_client.fetch_sheet_metadata, spreadsheet_id, params={"fields": "sheets.properties.title"})
    return [sheet["properties"]["title"] for sheet in metadata.get("sheets", [])]


def tabs_ensure(spreadsheet_id: str, tabs: list[str]) -> list[str]:
    """Add the tabs that are missing (one batchUpdate); returns the ones added."""
    existing = set(tab_titles(spreadsheet_id))
    missing = [tab for tab in tabs if tab not in existing]
    if missing:
        body = {"requests": [{"addSheet": {"properties": {"title": tab}}} for tab in missing]}
        _call("batchUpdate", client().http_client.batch_update, spreadsheet_id, body)
    return missing


def tabs_write(spreadsheet_id: str, contents: dict[str, list[list]], *, clear: bool = True) -> None:
    """Replace each tab's contents with ``rows`` (header first): one clear and one write for all tabs."""
    gc = client()
    if clear:
        _call("values:batchClear", gc.http_client.values_batch_clear, spreadsheet_id, body={"ranges": [_quoted(t) for t in contents]})
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": f"{_quoted(tab)}!A1", "values": rows} for tab, rows in contents.items()],
    }
    _call("values:batchUpdate", gc.http_client.values_batch_update, spreadsheet_id, body=body)


def rows_append(spreadsheet_id: str, tab: str, rows: list[list]) -> None:
    """Append rows at the end of ``tab``: one request however many rows."""
    _call("values:append", client().http_client.values_append, spreadsheet_id, f"{_quoted(tab)}!A1",
          params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}, body={"values": rows})
