"""The ``google`` calendar provider: busy blocks from the synced ``ExternalBusyBlock`` table, never the network.

The sync (``coresync.calendars.services``) writes the table and calls
``busy_blocks_changed()``, which moves the version every cached availability answer
is keyed by. Blocks are read once per version and kept in process memory, so a warm
availability request costs no query for them.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import BusyBlock, CalendarProvider

VERSION_KEY = "calendar:busy:version"
HORIZON_DAYS = 130  # a little past the longest booking window and availability range


def busy_blocks_changed() -> None:
    """Retire cached availability and the in-memory blocks, now and again after commit."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None))


class GoogleCalendarProvider(CalendarProvider):
    identifier = "google"
    mirrors_events = True

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded: tuple[str, datetime, datetime, tuple[BusyBlock, ...]] | None = None

    def version(self) -> str:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            cache.add(VERSION_KEY, version, timeout=None)
            version = cache.get(VERSION_KEY, version)
        return f"google:{version}"

    def busy_blocks(self, *, location_id: int, start: datetime, end: datetime) -> list[BusyBlock]:
        blocks = self._blocks_covering(start, end)
        return [b for b in blocks if b.start < end and b.end > start]

    def _blocks_covering(self, start: datetime, end: datetime) -> tuple[BusyBlock, ...]:
        version = self.version()
        loaded = self._loaded
        if loaded is not None and loaded[0] == version and loaded[1] <= start and end <= loaded[2]:
            return loaded[3]
        with self._lock:
            now = timezone.now()
            span_start = min(start, now - timedelta(days=2))
            span_end = max(end, now + timedelta(days=HORIZON_DAYS))
            from coresync.integrations.models import ExternalBusyBlock

            rows = ExternalBusyBlock.objects.filter(start__lt=span_end, end__gt=span_start).values_list(
                "start", "end", "technician_id", "room_id"
            )
            blocks = tuple(BusyBlock(start=s, end=e, technician_id=t, room_id=r) for s, e, t, r in rows)
            self._loaded = (version, span_start, span_end, blocks)
            return blocks
