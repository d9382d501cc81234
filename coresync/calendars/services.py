"""Mirror bookings into Google Calendar, read busy time back, keep push channels alive, rotate feed tokens.

Writes only; every Google call goes through ``GoogleCalendarClient``. The outbox
handler calls ``booking_event_sync``; the push endpoint and beat call
``calendar_sync``; beat calls ``channels_renew``.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from coresync.audit.models import SecurityKind
from coresync.audit.services import security_event
from coresync.bookings.models import RELEASED_STATUSES, Booking
from coresync.catalog.models import Location, Room
from coresync.core.errors import ProviderError
from coresync.integrations.calendar.google import busy_blocks_changed
from coresync.integrations.google.calendar import GoogleCalendarClient, RemoteEvent, SyncTokenExpired
from coresync.integrations.models import ExternalBusyBlock, FeedToken, MirroredCalendar, SyncState, System
from coresync.integrations.references import external_ref, external_ref_set
from coresync.outbox.services import outbox_enqueue
from coresync.technicians.models import Technician

from . import layout

logger = logging.getLogger(__name__)
CONFIGURED_IDS = {
    layout.MASTER: "GOOGLE_CALENDAR_MASTER_ID",
    layout.TECHNICIANS: "GOOGLE_CALENDAR_TECHNICIANS_ID",
    layout.PRIVATE: "GOOGLE_CALENDAR_PRIVATE_ID",
}
FULL_SYNC_PAST_DAYS = 1
RENEW_BEFORE = timedelta(days=1)
SYNC_LOCK_SECONDS = 300


def _client(client: GoogleCalendarClient | None) -> GoogleCalendarClient:
    return client if client is not None else GoogleCalendarClient()


def _event_kind(calendar: str) -> str:
    return f"event:{calendar}"


# --- Set-up -------------------------------------------------------------------------------


def calendars_setup(*, client: GoogleCalendarClient | None = None, time_zone: str = "America/New_York") -> dict[str, str]:
    """Create or find Master, Technicians and Private; an id given in settings wins. Returns ``{key: calendar id}``."""
    client = _client(client)
    found = {}
    existing = None
    for key in layout.SHARED_CALENDARS:
        calendar_id = getattr(settings, CONFIGURED_IDS[key])
        if not calendar_id:
            existing = client.calendars_by_summary() if existing is None else existing  # one listing for the three
            calendar_id = existing.get(layout.CALENDAR_TITLES[key]) or client.calendar_create(
                summary=layout.CALENDAR_TITLES[key], time_zone=time_zone
            )
        MirroredCalendar.objects.update_or_create(key=key, defaults={"calendar_id": calendar_id})
        found[key] = calendar_id
    for technician in Technician.objects.filter(active=True).exclude(calendar_id=""):
        MirroredCalendar.objects.update_or_create(key=layout.technician_feed(technician.pk), defaults={"calendar_id": technician.calendar_id})
        found[layout.technician_feed(technician.pk)] = technician.calendar_id
    return found


def mirrored_calendar_id(key: str) -> str:
    configured = getattr(settings, CONFIGURED_IDS.get(key, ""), "") if key in CONFIGURED_IDS else ""
    if configured:
        return configured
    row = MirroredCalendar.objects.filter(key=key).first()
    if row is None:
        raise ProviderError(f"the {key} calendar is not set up: run `manage.py setup_google_calendars`", provider="google_calendar")
    return row.calendar_id


# --- Events out ---------------------------------------------------------------------------


def booking_events_enqueue(booking: Booking, *, first: bool) -> None:
    """Outbox rows (in the caller's transaction) that bring each calendar in line with the booking as it is now.

    A new booking touches only the calendars it belongs to; a later change also the
    others, so a move out of the private spa takes the event out of Private.
    """
    keys = layout.booking_calendars(booking) if first else layout.SHARED_CALENDARS
    for key in keys:
        outbox_enqueue(
            kind="google.calendar.event",
            dedupe_key=f"gcal:{booking.pk}:{key}:{booking.ics_sequence}:{booking.status}",
            payload={"booking_id": booking.pk, "calendar": key},
        )


def calendars_push_all(*, now: datetime | None = None) -> int:
    """Queue every live booking that has not ended for each of its calendars again; returns the rows queued.

    For bookings made before Google was switched on, or after a calendar was deleted
    and made again in Google. Safe to repeat: the event ids are ours, so an event that
    is there is updated, one that is missing is inserted.
    """
    now = now or timezone.now()
    run = uuid.uuid4().hex[:8]
    queued = 0
    bookings = Booking.objects.exclude(status__in=RELEASED_STATUSES).filter(end__gte=now).select_related("room__room_type")
    with transaction.atomic():
        for booking in bookings.order_by("start").iterator():
            for key in layout.booking_calendars(booking):
                outbox_enqueue(kind="google.calendar.event", dedupe_key=f"gcal:{booking.pk}:{key}:push-{run}",
                               payload={"booking_id": booking.pk, "calendar": key})
                queued += 1
    return queued


def _booking_for_event(booking_id: int) -> Booking | None:
    return (
        Booking.objects.select_related("service", "technician", "room__room_type", "location")
        .prefetch_related("booking_addons").filter(pk=booking_id).first()
    )


def _wanted(booking: Booking, calendar: str) -> bool:
    return booking.status not in RELEASED_STATUSES and calendar in layout.booking_calendars(booking)


def booking_event_sync(*, booking_id: int, calendar: str, client: GoogleCalendarClient | None = None) -> str:
    """Make ``calendar`` show the booking as it is now (or not at all). Safe to run twice; returns what it did.

    The event id is derived from the booking and the calendar and recorded before
    the call, so a retry after a lost answer updates the event instead of adding one.
    """
    booking = _booking_for_event(booking_id)
    if booking is None:
        return "missing"
    reference = external_ref(booking, system=System.GOOGLE_CALENDAR, kind=_event_kind(calendar))
    if not _wanted(booking, calendar):
        if reference is None or reference.sync_state == SyncState.DELETED:
            return "nothing"
        _client(client).event_delete(calendar_id=mirrored_calendar_id(calendar), event_id=reference.external_id)
        external_ref_set(booking, system=System.GOOGLE_CALENDAR, kind=_event_kind(calendar), external_id=reference.external_id,
                         state=SyncState.DELETED)
        return "deleted"
    event = layout.booking_event(booking, calendar)
    calendar_id = mirrored_calendar_id(calendar)
    if reference is None:
        reference = external_ref_set(booking, system=System.GOOGLE_CALENDAR, kind=_event_kind(calendar), external_id=event.id,
                                     state=SyncState.PENDING)
    exists = reference.sync_state in (SyncState.SYNCED, SyncState.DELETED)
    _client(client).event_put(calendar_id=calendar_id, event=event, exists=exists)
    external_ref_set(booking, system=System.GOOGLE_CALENDAR, kind=_event_kind(calendar), external_id=event.id,
                     data={"calendar_id": calendar_id, "start": booking.start.isoformat(), "end": booking.end.isoformat()})
    return "put"


# --- Events in ----------------------------------------------------------------------------


@dataclass
class SyncResult:
    calendar: str
    full: bool = False
    busy_added: int = 0
    busy_removed: int = 0
    restored: list[str] = field(default_factory=list)
    skipped: bool = False


def calendar_sync(*, key: str, client: GoogleCalendarClient | None = None, now: datetime | None = None) -> SyncResult:
    """Bring in what changed in one calendar since its sync token (everything, after a 410)."""
    lock = f"calendars:sync:{key}"
    if not cache.add(lock, "1", timeout=SYNC_LOCK_SECONDS):
        cache.set(f"{lock}:again", "1", timeout=SYNC_LOCK_SECONDS)  # the running sync goes round once more
        return SyncResult(calendar=key, skipped=True)
    try:
        while True:
            cache.delete(f"{lock}:again")
            result = _calendar_sync_once(key=key, client=_client(client), now=now or timezone.now())
            if not cache.get(f"{lock}:again"):
                return result
    finally:
        cache.delete(lock)


def _calendar_sync_once(*, key: str, client: GoogleCalendarClient, now: datetime) -> SyncResult:
    calendar = MirroredCalendar.objects.get(key=key)
    result = SyncResult(calendar=key)
    try:
        page = client.events_changed(calendar_id=calendar.calendar_id, sync_token=calendar.sync_token,
                                     time_min=now - timedelta(days=FULL_SYNC_PAST_DAYS))
        result.full = not calendar.sync_token
    except SyncTokenExpired:
        logger.info("calendar %s: sync token expired, full resync", key)
        page = client.events_changed(calendar_id=calendar.calendar_id, time_min=now - timedelta(days=FULL_SYNC_PAST_DAYS))
        result.full = True
    ours = [event for event in page.events if event.booking_id is not None]
    theirs = [event for event in page.events if event.booking_id is None]
    matcher = _BlockMatcher.load(key)
    with transaction.atomic():
        if result.full:
            keep = {event.id for event in theirs if event.status != "cancelled"}
            result.busy_removed += ExternalBusyBlock.objects.filter(calendar=calendar).exclude(event_id__in=keep).delete()[0]
        for event in theirs:
            added, removed = _busy_block_apply(calendar, event, matcher)
            result.busy_added += added
            result.busy_removed += removed
        calendar.sync_token = page.next_sync_token
        calendar.last_synced_at = now
        if result.full:
            calendar.last_full_sync_at = now
        calendar.save(update_fields=["sync_token", "last_synced_at", "last_full_sync_at"])
        if result.busy_added or result.busy_removed:
            busy_blocks_changed()
    for event in ours:
        if _restore_if_changed(key, event, client):
            result.restored.append(event.id)
    return result


@dataclass
class _BlockMatcher:
    """Who a block someone typed in Google is for: a technician named in it, a room named in it, or the whole spa."""

    key: str
    location_tz: ZoneInfo
    technicians: list[tuple[str, int]]
    rooms: list[tuple[str, int]]
    private_rooms: list[tuple[str, int]]

    @classmethod
    def load(cls, key: str) -> _BlockMatcher:
        location = Location.objects.order_by("pk").first()
        rooms = list(Room.objects.select_related("room_type").order_by("pk"))
        return cls(
            key=key,
            location_tz=ZoneInfo(location.timezone if location else settings.TIME_ZONE),
            technicians=sorted(((t.display_name.lower(), t.pk) for t in Technician.objects.filter(active=True)), key=lambda x: -len(x[0])),
            rooms=sorted(((r.name.lower(), r.pk) for r in rooms), key=lambda x: -len(x[0])),
            private_rooms=[(r.room_type.name.lower(), r.pk) for r in rooms if r.room_type.slug in layout.PRIVATE_ROOM_TYPES],
        )

    def target(self, summary: str) -> tuple[int | None, int | None] | None:
        """``(technician_id, room_id)``; ``(None, None)`` closes the spa; None: ignore the event."""
        if self.key.startswith("technician-"):
            return int(self.key.removeprefix("technician-")), None
        text = summary.lower()
        first_name = re.split(r"[:\-–—,]", text, maxsplit=1)[0].strip()
        for name, pk in self.technicians:
            if text.startswith(name) or first_name == name.split()[0]:
                return pk, None
        for name, pk in self.rooms:
            if name in text:
                return None, pk
        if self.key == layout.PRIVATE:
            matched = [pk for name, pk in self.private_rooms if any(word in text for word in name.split() if len(word) > 3)]
            return (None, matched[0]) if len(matched) == 1 else None
        if self.key == layout.TECHNICIANS:
            return None  # a block in the technicians' calendar naming nobody closes nothing
        return None, None

    def span(self, event: RemoteEvent) -> tuple[datetime, datetime] | None:
        if event.start and event.end:
            return event.start.astimezone(UTC), event.end.astimezone(UTC)
        if event.start_date and event.end_date:
            start = datetime.combine(event.start_date, time.min, self.location_tz)
            end = datetime.combine(event.end_date, time.min, self.location_tz)
            return start.astimezone(UTC), end.astimezone(UTC)
        return None


def _busy_block_apply(calendar: MirroredCalendar, event: RemoteEvent, matcher: _BlockMatcher) -> tuple[int, int]:
    """Store, move or drop the busy block of one event that is not ours; returns (added or changed, removed)."""
    target = matcher.target(event.summary) if event.status != "cancelled" and not event.transparent else None
    span = matcher.span(event) if target is not None else None
    if target is None or span is None or span[1] <= span[0]:
        removed = ExternalBusyBlock.objects.filter(calendar=calendar, event_id=event.id).delete()[0]
        return 0, removed
    technician_id, room_id = target
    ExternalBusyBlock.objects.update_or_create(
        calendar=calendar, event_id=event.id,
        defaults={"summary": event.summary, "start": span[0], "end": span[1], "technician_id": technician_id, "room_id": room_id},
    )
    return 1, 0


def _restore_if_changed(key: str, event: RemoteEvent, client: GoogleCalendarClient) -> bool:
    """An event of ours that someone moved or deleted in Google is put back as the database has it; the manager is told."""
    if key not in layout.SHARED_CALENDARS:
        return False
    booking = _booking_for_event(event.booking_id)
    if booking is None or not _wanted(booking, key):
        return False
    reference = external_ref(booking, system=System.GOOGLE_CALENDAR, kind=_event_kind(key))
    if reference is None or reference.sync_state != SyncState.SYNCED:
        return False  # not written yet, or deleted by us: the outbox row on its way decides
    deleted = event.status == "cancelled"
    moved = not deleted and (event.start != booking.start or event.end != booking.end)
    if moved and event.start and event.end and _as_written(reference) == (event.start, event.end):
        return False  # the event still has the time we last wrote: our own update is on its way, nobody moved it
    if not (deleted or moved):
        return False
    client.event_put(calendar_id=mirrored_calendar_id(key), event=layout.booking_event(booking, key), exists=True)
    external_ref_set(booking, system=System.GOOGLE_CALENDAR, kind=_event_kind(key), external_id=event.id,
                     data={"calendar_id": mirrored_calendar_id(key), "start": booking.start.isoformat(), "end": booking.end.isoformat()})
    what = "deleted" if deleted else "moved"
    tz = ZoneInfo(booking.location.timezone)
    lines = [
        f"Booking {booking.reference} ({booking.service.name} with {booking.technician.display_name}) was {what} "
        f"in the {layout.CALENDAR_TITLES[key]} calendar.",
        f"CoreSync keeps the booking at {booking.start.astimezone(tz):%A %B %-d, %-I:%M %p} and has put the event back.",
        "To move or cancel a booking, do it in CoreSync (admin, the account pages or the concierge): the calendars follow.",
    ]
    if moved and event.start:
        lines.insert(1, f"It had been moved to {event.start.astimezone(tz):%A %B %-d, %-I:%M %p}.")
    outbox_enqueue(
        kind="email.sync_notice", dedupe_key=f"gcal-restored:{key}:{event.id}:{event.updated or uuid.uuid4().hex}",
        payload={"title": f"A calendar event was {what} in Google and put back", "lines": lines,
                 "link": f"{settings.SITE_URL}/admin/bookings/booking/{booking.pk}/change/", "link_label": "Open the booking"},
    )
    logger.warning("calendar %s: event %s of booking %s was %s in Google; restored", key, event.id, booking.reference, what)
    return True


def _as_written(reference) -> tuple[datetime, datetime] | None:
    try:
        return datetime.fromisoformat(reference.data["start"]), datetime.fromisoformat(reference.data["end"])
    except (KeyError, TypeError, ValueError):
        return None


# --- Push channels ------------------------------------------------------------------------


def notify_address() -> str:
    return f"{settings.SITE_URL}/api/integrations/google/calendar/notify/"


def channels_renew(*, client: GoogleCalendarClient | None = None, now: datetime | None = None) -> list[str]:
    """Open a push channel for each calendar without one or whose channel ends within a day; stop the old one."""
    now = now or timezone.now()
    renewed = []
    for calendar in MirroredCalendar.objects.all():
        if calendar.channel_id and calendar.channel_expires_at and calendar.channel_expires_at > now + RENEW_BEFORE:
            continue
        client = _client(client)
        old_id, old_resource = calendar.channel_id, calendar.channel_resource_id
        channel_id, token = uuid.uuid4().hex, secrets.token_urlsafe(32)
        channel = client.watch(calendar_id=calendar.calendar_id, channel_id=channel_id, token=token, address=notify_address(),
                               ttl_seconds=settings.GOOGLE_CHANNEL_TTL_SECONDS)
        expires = (datetime.fromtimestamp(channel.expires_at_ms / 1000, UTC) if channel.expires_at_ms
                   else now + timedelta(seconds=settings.GOOGLE_CHANNEL_TTL_SECONDS))
        MirroredCalendar.objects.filter(pk=calendar.pk).update(
            channel_id=channel.id, channel_token=token, channel_resource_id=channel.resource_id, channel_expires_at=expires
        )
        renewed.append(calendar.key)
        if old_id:
            try:
                client.channel_stop(channel_id=old_id, resource_id=old_resource)
            except ProviderError as error:  # the old channel dies at its expiry anyway
                logger.warning("calendar %s: could not stop channel %s: %s", calendar.key, old_id, error)
    return renewed


def channel_for_notification(*, channel_id: str, token: str) -> MirroredCalendar | None:
    """The calendar a push notification is about, when its channel id and token both match (constant-time)."""
    import hmac

    calendar = MirroredCalendar.objects.filter(channel_id=channel_id).first() if channel_id else None
    expected = calendar.channel_token if calendar is not None else secrets.token_urlsafe(32)
    matches = hmac.compare_digest(expected.encode(), token.encode())
    return calendar if calendar is not None and calendar.channel_token and matches else None


# --- Feed tokens --------------------------------------------------------------------------


def feed_token(name: str) -> str:
    token = FeedToken.objects.filter(name=name).values_list("token", flat=True).first()
    if token is None:
        token = FeedToken.objects.get_or_create(name=name, defaults={"token": secrets.token_urlsafe(24)})[0].token
    return token


def feed_token_rotate(*, name: str, actor=None) -> str:
    """A new secret for one feed: every URL with the old one stops working at once."""
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        FeedToken.objects.update_or_create(name=name, defaults={"token": token, "rotated_by": actor if getattr(actor, "pk", None) else None})
        security_event(SecurityKind.TOKEN_ROTATED, actor=actor if getattr(actor, "pk", None) else None, detail={"feed": name})
    return token
