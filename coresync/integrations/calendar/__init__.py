"""Calendar providers: external busy blocks in, booking events out.

Domain code asks ``calendar_provider()`` and never imports a vendor SDK.
The local default has no external calendar: no busy blocks, events stay in
CoreSync. The Google Calendar provider (google-api-python-client) plugs in
behind the same interface when ``CALENDAR_PROVIDER=google``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coresync.integrations.common.registry import ProviderRegistry


@dataclass(frozen=True)
class BusyBlock:
    """Time that an external calendar marks busy: for one technician, one room, or (both None) the whole spa."""

    start: datetime
    end: datetime
    technician_id: int | None = None
    room_id: int | None = None


class CalendarProvider:
    identifier = "base"
    #: Whether bookings are mirrored into the provider's calendars through the outbox.
    mirrors_events = False

    def busy_blocks(self, *, location_id: int, start: datetime, end: datetime) -> list[BusyBlock]:
        """Busy blocks overlapping ``[start, end)``. Must be fast (serve from a synced cache, not the network)."""
        raise NotImplementedError

    def version(self) -> str:
        """Changes whenever ``busy_blocks`` may answer differently: part of every cached availability answer's key.

        A synced provider bumps it when a sync brings new busy blocks; without an
        external calendar nothing outside changes, so it is a constant.
        """
        return self.identifier


class LocalCalendarProvider(CalendarProvider):
    """No external calendar: CoreSync's own bookings are the whole truth."""

    identifier = "local"

    def busy_blocks(self, *, location_id: int, start: datetime, end: datetime) -> list[BusyBlock]:
        return []


CALENDARS: ProviderRegistry[CalendarProvider] = ProviderRegistry(
    "calendar",
    setting="CALENDAR_PROVIDER",
    providers={
        "local": "coresync.integrations.calendar.LocalCalendarProvider",
        "google": "coresync.integrations.calendar.google.GoogleCalendarProvider",
    },
    settings_prefixes=("GOOGLE_",),
)


def calendar_provider() -> CalendarProvider:
    return CALENDARS.get()


def calendar_version() -> str:
    """The external calendars' version (a constant for the local provider: no cache round trip)."""
    return calendar_provider().version()
