"""The transaction-queue sheet: the outbox as three tabs (Pending, Synced, Errors), for an owner who lives in Sheets.

Each run rewrites the three tabs in two requests (one clear, one write), so the
sheet costs at most 2 of Sheets' 60 requests per minute however busy the outbox
is. A 429 or an outage doubles the pause before the next run (up to 30 minutes).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from coresync.core.errors import ProviderError
from coresync.integrations.google import sheets
from coresync.outbox.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)
TABS = {
    "Pending": ["Created", "Kind", "Key", "Attempts", "Next attempt", "Last error"],
    "Synced": ["Done", "Kind", "Key", "Attempts"],
    "Errors": ["Updated", "Kind", "Key", "Status", "Attempts", "Last error"],
}
ROWS_PER_TAB = 500
BACKOFF_KEY = "sheets:queue:backoff"
BACKOFF_START, BACKOFF_MAX = 60, 1800


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def queue_rows() -> dict[str, list[list]]:
    """The three tabs' contents, header first, newest first (three queries)."""
    fields = ("created_at", "updated_at", "done_at", "kind", "dedupe_key", "attempts", "next_attempt_at", "last_error", "status")
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, last_error="").order_by("next_attempt_at")
    synced = OutboxMessage.objects.filter(status=OutboxStatus.DONE).order_by("-done_at")
    errors = OutboxMessage.objects.filter(Q(status=OutboxStatus.DEAD) | (Q(status=OutboxStatus.PENDING) & ~Q(last_error=""))).order_by("-updated_at")
    rows = {name: [header] for name, header in TABS.items()}
    for m in pending.values(*fields)[:ROWS_PER_TAB]:
        rows["Pending"].append([_when(m["created_at"]), m["kind"], m["dedupe_key"], m["attempts"], _when(m["next_attempt_at"]), ""])
    for m in synced.values(*fields)[:ROWS_PER_TAB]:
        rows["Synced"].append([_when(m["done_at"]), m["kind"], m["dedupe_key"], m["attempts"]])
    for m in errors.values(*fields)[:ROWS_PER_TAB]:
        status = "dead" if m["status"] == OutboxStatus.DEAD else "retrying"
        rows["Errors"].append([_when(m["updated_at"]), m["kind"], m["dedupe_key"], status, m["attempts"], m["last_error"][:500]])
    return rows


def queue_sheet_mirror() -> str:
    """Rewrite the queue sheet now, unless a recent 429 asked us to wait. Returns what happened."""
    if not settings.GOOGLE_SHEETS_QUEUE_ID:
        return "off"
    backoff = cache.get(BACKOFF_KEY)
    if backoff and backoff["until"] > timezone.now().timestamp():
        return "backing off"
    try:
        sheets.tabs_write(settings.GOOGLE_SHEETS_QUEUE_ID, queue_rows())
    except ProviderError as error:
        pause = min(BACKOFF_MAX, (backoff or {}).get("pause", BACKOFF_START // 2) * 2)
        cache.set(BACKOFF_KEY, {"until": timezone.now().timestamp() + pause, "pause": pause}, timeout=pause + 60)
        logger.warning("queue sheet not written (%s); next try in %s s", error, pause)
        return "failed"
    cache.delete(BACKOFF_KEY)
    return "written"


def queue_sheet_template() -> list[str]:
    """Add the three tabs (and their headers) when missing."""
    added = sheets.tabs_ensure(settings.GOOGLE_SHEETS_QUEUE_ID, list(TABS))
    sheets.tabs_write(settings.GOOGLE_SHEETS_QUEUE_ID, {name: [header] for name, header in TABS.items()}, clear=False)
    return added
