"""Google Calendar v3 through google-api-python-client, with the discovery document shipped in the package.

``GoogleCalendarClient`` is the only code that touches the SDK. It takes and returns
plain dataclasses; errors become ``ProviderError`` (429/5xx/timeouts retryable, 403/404
not), except the two answers callers act on: ``SyncTokenExpired`` (410 on an
incremental list: do a full sync) and a 409 on insert (the event id exists: update it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings

from coresync.core.errors import ProviderError

from . import auth

logger = logging.getLogger(__name__)
PROVIDER = "google_calendar"
PRIVATE_BOOKING_KEY = "coresync_booking"
PRIVATE_CALENDAR_KEY = "coresync_calendar"
# 403 reasons that mean "too fast" or "quota", not "forbidden": retried later like a 429.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"})


class SyncTokenExpired(ProviderError):
    """Google answered 410 Gone to a sync token: the caller must forget it and list everything again."""


@dataclass(frozen=True)
class CalendarEvent:
    """An event we write: ``id`` is ours (client-chosen, base32hex), so a retried insert finds its own event."""

    id: str
    summary: str
    start: datetime
    end: datetime
    time_zone: str
    description: str = ""
    location: str = ""
    private: dict[str, str] = field(default_factory=dict)
    color_id: str = ""

    def body(self) -> dict:
        body = {
            "id": self.id,
            "summary": self.summary,
            "description": self.description,
            "location": self.location,
            "start": {"dateTime": self.start.isoformat(), "timeZone": self.time_zone},
            "end": {"dateTime": self.end.isoformat(), "timeZone": self.time_zone},
            "status": "confirmed",
            "transparency": "opaque",
            "guestsCanInviteOthers": False,
            "extendedProperties": {"private": dict(self.private)},
            "reminders": {"useDefault": False},
        }
        if self.color_id:
            body["colorId"] = self.color_id
        return body


@dataclass(frozen=True)
class RemoteEvent:
    """An event as Google lists it. Timed events have ``start``/``end``; all-day ones ``start_date``/``end_date``."""

    id: str
    status: str  # confirmed | tentative | cancelled
    summary: str = ""
    start: datetime | None = None
    end: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    transparent: bool = False
    private: dict[str, str] = field(default_factory=dict)
    updated: str = ""

    @property
    def booking_id(self) -> int | None:
        value = self.private.get(PRIVATE_BOOKING_KEY, "")
        return int(value) if value.isdigit() else None

    @classmethod
    def from_api(cls, item: dict) -> RemoteEvent:
        start, end = item.get("start") or {}, item.get("end") or {}
        return cls(
            id=item["id"],
            status=item.get("status", "confirmed"),
            summary=(item.get("summary") or "")[:300],
            start=_parse_datetime(start.get("dateTime")),
            end=_parse_datetime(end.get("dateTime")),
            start_date=_parse_date(start.get("date")),
            end_date=_parse_date(end.get("date")),
            transparent=item.get("transparency") == "transparent",
            private=dict((item.get("extendedProperties") or {}).get("private") or {}),
            updated=item.get("updated", ""),
        )


@dataclass(frozen=True)
class EventPage:
    events: list[RemoteEvent]
    next_sync_token: str


@dataclass(frozen=True)
class Channel:
    id: str
    resource_id: str
    expires_at_ms: int


def _parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _default_http():
    import google_auth_httplib2
    import httplib2

    return google_auth_httplib2.AuthorizedHttp(
        auth.credentials(auth.CALENDAR_SCOPES), http=httplib2.Http(timeout=settings.GOOGLE_TIMEOUT_SECONDS)
    )


#: Builds the HTTP transport (an ``httplib2.Http``-like object). Tests put a fake Google here: the network edge.
http_factory: Callable[[], object] = _default_http


class GoogleCalendarClient:
    """One Calendar API service object over one transport; one HTTP request per call (pages aside)."""

    def __init__(self, http=None):
        from googleapiclient.discovery import build

        base = auth.api_base()
        options = {"api_endpoint": f"{base}/calendar/v3/"} if base else None
        self.http = http if http is not None else http_factory()
        self.service = build(
            "calendar", "v3", http=self.http, static_discovery=True, cache_discovery=False, client_options=options,
        )

    # --- calls --------------------------------------------------------------------------

    def _execute(self, request, *, what: str):
        from googleapiclient.errors import HttpError

        started = time.monotonic()
        try:
            response = request.execute(num_retries=0)
        except HttpError as error:
            status = int(error.resp.status)
            logger.info("google calendar %s → %s (%.0f ms)", what, status, (time.monotonic() - started) * 1000)
            detail = _error_reason(error)
            failure = ProviderError.from_status(PROVIDER, status, f"{what}: {detail}")
            if status == 403 and _error_reasons(error) & RATE_LIMIT_REASONS:
                failure.retryable = True  # Calendar says "slow down" with a 403 as often as with a 429
            raise failure from error
        except (TimeoutError, OSError, ConnectionError) as error:
            raise ProviderError(f"google calendar {what}: {error}", retryable=True, provider=PROVIDER) from error
        except Exception as error:  # httplib2 raises its own kinds for a broken connection
            if error.__class__.__module__.startswith("httplib2"):
                raise ProviderError(f"google calendar {what}: {error}", retryable=True, provider=PROVIDER) from error
            raise
        logger.info("google calendar %s → ok (%.0f ms)", what, (time.monotonic() - started) * 1000)
        return response

    def calendars_by_summary(self) -> dict[str, str]:
        """``{summary: calendar id}`` of every calendar the service account can write to (one request per page)."""
        found: dict[str, str] = {}
        page_token = None
        while True:
            listing = self._execute(self.service.calendarList().list(pageToken=page_token, minAccessRole="writer"), what="calendarList.list")
            for item in listing.get("items", []):
                found.setdefault(item.get("summary", ""), item["id"])
            page_token = listing.get("nextPageToken")
            if not page_token:
                return found

    def calendar_create(self, *, summary: str, time_zone: str) -> str:
        created = self._execute(self.service.calendars().insert(body={"summary": summary, "timeZone": time_zone}), what="calendars.insert")
        return created["id"]

    def calendar_find_or_create(self, *, summary: str, time_zone: str) -> str:
        """The id of the service account's calendar named ``summary``, created when missing."""
        return self.calendars_by_summary().get(summary) or self.calendar_create(summary=summary, time_zone=time_zone)

    def calendar_share(self, *, calendar_id: str, email: str, role: str = "writer") -> None:
        rule = {"role": role, "scope": {"type": "user", "value": email}}
        self._execute(self.service.acl().insert(calendarId=calendar_id, body=rule, sendNotifications=False), what="acl.insert")

    def event_put(self, *, calendar_id: str, event: CalendarEvent, exists: bool) -> dict:
        """Make ``event`` be in the calendar as given: one request.

        ``exists`` says whether we believe it is there (then ``update``, which also
        revives an event someone deleted). A create whose answer was lost is retried
        as an insert; Google's 409 for the id we chose means "already made", and we
        update instead: never a duplicate. A 404 on update (deleted for good) inserts.
        """
        body = event.body()
        if exists:
            try:
                return self._execute(
                    self.service.events().update(calendarId=calendar_id, eventId=event.id, body=body, sendUpdates="none"),
                    what="events.update",
                )
            except ProviderError as error:
                if error.status not in (404, 410):
                    raise
        try:
            return self._execute(self.service.events().insert(calendarId=calendar_id, body=body, sendUpdates="none"), what="events.insert")
        except ProviderError as error:
            if error.status != 409:
                raise
        return self._execute(
            self.service.events().update(calendarId=calendar_id, eventId=event.id, body=body, sendUpdates="none"),
            what="events.update",
        )

    def event_delete(self, *, calendar_id: str, event_id: str) -> None:
        """Delete; an event already gone (404/410) counts as deleted."""
        try:
            self._execute(self.service.events().delete(calendarId=calendar_id, eventId=event_id, sendUpdates="none"), what="events.delete")
        except ProviderError as error:
            if error.status not in (404, 410):
                raise

    def events_changed(self, *, calendar_id: str, sync_token: str = "", time_min: datetime | None = None) -> EventPage:
        """Every event changed since ``sync_token`` (all of them from ``time_min`` without one), deleted ones included."""
        events: list[RemoteEvent] = []
        next_sync_token = ""
        for page in self._pages(calendar_id=calendar_id, sync_token=sync_token, time_min=time_min):
            events += [RemoteEvent.from_api(item) for item in page.get("items", [])]
            next_sync_token = page.get("nextSyncToken", next_sync_token)
        return EventPage(events=events, next_sync_token=next_sync_token)

    def _pages(self, *, calendar_id: str, sync_token: str, time_min: datetime | None) -> Iterator[dict]:
        page_token = None
        while True:
            kwargs = {"calendarId": calendar_id, "singleEvents": True, "showDeleted": True, "maxResults": 2500}
            if page_token:
                kwargs["pageToken"] = page_token
            if sync_token:
                kwargs["syncToken"] = sync_token
            elif time_min is not None:
                kwargs["timeMin"] = time_min.isoformat()
            try:
                page = self._execute(self.service.events().list(**kwargs), what="events.list")
            except ProviderError as error:
                if error.status == 410:
                    raise SyncTokenExpired("the sync token expired (410): full resync", status=410, provider=PROVIDER) from error
                raise
            yield page
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    def watch(self, *, calendar_id: str, channel_id: str, token: str, address: str, ttl_seconds: int) -> Channel:
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token, "params": {"ttl": str(ttl_seconds)}}
        answer = self._execute(self.service.events().watch(calendarId=calendar_id, body=body), what="events.watch")
        return Channel(id=answer.get("id", channel_id), resource_id=answer.get("resourceId", ""), expires_at_ms=int(answer.get("expiration", 0)))

    def channel_stop(self, *, channel_id: str, resource_id: str) -> None:
        try:
            self._execute(self.service.channels().stop(body={"id": channel_id, "resourceId": resource_id}), what="channels.stop")
        except ProviderError as error:
            if error.status not in (404, 410):
                raise


def _error_reasons(error) -> set[str]:
    try:
        import json

        payload = json.loads(error.content.decode("utf-8"))
        return {str(item.get("reason", "")) for item in payload.get("error", {}).get("errors", []) if isinstance(item, dict)}
    except Exception:
        return set()


def _error_reason(error) -> str:
    try:
        import json

        payload = json.loads(error.content.decode("utf-8"))
        return str(payload.get("error", {}).get("message", ""))[:300] or f"HTTP {error.resp.status}"
    except Exception:
        return f"HTTP {getattr(error.resp, 'status', '?')}"
