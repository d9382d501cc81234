"""Reads for bookings: availability, booking windows, a caller's tier, one booking.

``availability_for`` costs one query for the bookings in the window, plus one
for the caller's membership when signed in. What it combines comes from three
in-memory read models, each with its own version in the shared cache, all read
in one cache round trip (``read_models``): the catalog (``catalog.selectors``),
the technicians' schedules (``technicians.selectors``) and the membership tiers
(``memberships.selectors``). Nothing here depends on how many days or bookings
there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from functools import cache as memoize
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.db.models import Func, IntegerField, Q
from django.utils import timezone

from coresync.catalog.selectors import VERSION_KEY as CATALOG_VERSION_KEY
from coresync.catalog.selectors import AddOnInfo, CatalogSnapshot, LocationInfo, ServiceInfo, catalog_snapshot, epoch_minutes
from coresync.core.errors import NotFound, ValidationFailed
from coresync.core.snapshots import bump_version, current_versions, version_key
from coresync.integrations.calendar import calendar_provider, calendar_version
from coresync.memberships.selectors import TIERS_VERSION_KEY, TierInfo, TierSnapshot, membership_tier_for, tiers_snapshot
from coresync.technicians.selectors import SCHEDULE_VERSION_KEY, ScheduleSnapshot, schedule_snapshot

from .availability import LocalClock, RoomCalendar, SlotQuery, TechnicianCalendar, find_slot_arrays, iso_local
from .models import ACTIVE_Q, RELEASED_STATUSES, Booking

MAX_RANGE_DAYS = 120
BOOKINGS_VERSION_KEY = version_key("bookings:version")


def bookings_version() -> str:
    """Changes whenever any booking is written: part of every cached availability answer's key."""
    return current_versions(BOOKINGS_VERSION_KEY)[0]


def bookings_invalidate() -> None:
    """Retire cached availability: now (for this transaction's own reads) and again after commit."""
    bump_version(BOOKINGS_VERSION_KEY)
    transaction.on_commit(lambda: bump_version(BOOKINGS_VERSION_KEY))


def availability_versions() -> tuple[str, ...]:
    """Everything a cached availability answer depends on besides the question, in one cache round trip.

    The catalog, the technicians' schedules, the membership tiers, the bookings,
    and the external calendars (a constant without one).
    """
    return (*current_versions(CATALOG_VERSION_KEY, SCHEDULE_VERSION_KEY, TIERS_VERSION_KEY, BOOKINGS_VERSION_KEY), calendar_version())


@dataclass(frozen=True)
class ReadModels:
    """The three in-memory read models availability and placement combine."""

    catalog: CatalogSnapshot
    schedule: ScheduleSnapshot
    tiers: TierSnapshot


def read_models() -> ReadModels:
    """The current catalog, schedules and tiers: one cache round trip for their versions, no query when warm."""
    catalog, schedule, tiers = current_versions(CATALOG_VERSION_KEY, SCHEDULE_VERSION_KEY, TIERS_VERSION_KEY)
    return ReadModels(catalog=catalog_snapshot(catalog), schedule=schedule_snapshot(schedule), tiers=tiers_snapshot(tiers))


class EpochMinute(Func):
    """A timestamp column as whole minutes since the Unix epoch, computed by the database."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor == "postgresql":
            return super().as_sql(compiler, connection, template="(EXTRACT(EPOCH FROM %(expressions)s)::bigint / 60)", **extra)
        return super().as_sql(compiler, connection, template="(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)", **extra)


@memoize
def local_clock(tz: ZoneInfo) -> LocalClock:
    return LocalClock(tz)


@dataclass(frozen=True)
class BookingWindow:
    days: int
    ends: date
    tier: TierInfo | None


@memoize
def _fixed_offset(offset_minutes: int) -> dt_timezone:
    """The fixed UTC offset of a slot (what ``datetime.fromisoformat`` of its ISO string carries)."""
    return dt_timezone(timedelta(minutes=offset_minutes))


@dataclass(frozen=True)
class Slot:
    start_minute: int
    end_minute: int
    offset_minutes: int
    technician_id: int
    technician_name: str

    # Computed on first use and remembered: callers filter and sort long lists of slots by these.
    @cached_property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_minute * 60, _fixed_offset(self.offset_minutes))

    @cached_property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.end_minute * 60, _fixed_offset(self.offset_minutes))

    @cached_property
    def start_iso(self) -> str:
        return iso_local(self.start_minute, self.offset_minutes)

    @cached_property
    def end_iso(self) -> str:
        return iso_local(self.end_minute, self.offset_minutes)

    def as_dict(self) -> dict:
        return {
            "start": self.start_iso,
            "end": self.end_iso,
            "technician": {"id": self.technician_id, "name": self.technician_name},
        }


@dataclass(frozen=True)
class Availability:
    """The answer: ``starts`` (epoch minutes), ``technician_ids`` and ``offsets`` (local UTC offset of each start,
    minutes) as arrays, as the engine found them; ``slots`` builds ``Slot`` objects from them on first use
    (the API writes its JSON straight from the arrays)."""

    service: ServiceInfo
    location: LocationInfo
    window_ends: date
    date_from: date
    date_to: date
    need: int
    starts: np.ndarray
    technician_ids: np.ndarray
    offsets: np.ndarray
    names: dict[int, str]

    @cached_property
    def slots(self) -> list[Slot]:
        need, names = self.need, self.names
        return [
            Slot(start, start + need, offset, tech_id, names[tech_id])
            for start, tech_id, offset in zip(self.starts.tolist(), self.technician_ids.tolist(), self.offsets.tolist(), strict=True)
        ]


def viewer_tier(user, *, tiers: TierSnapshot | None = None) -> TierInfo | None:
    """The caller's active membership tier (one query, remembered on the user object)."""
    return membership_tier_for(user, tiers=tiers)


def booking_window_for(
    *, viewer, location: LocationInfo, now: datetime | None = None, tiers: TierSnapshot | None = None
) -> BookingWindow:
    tier = viewer_tier(viewer, tiers=tiers)
    days = tier.window_days if tier else location.guest_window_days
    today = local_clock(location.tz).today(epoch_minutes(now or timezone.now()))
    return BookingWindow(days=days, ends=today + timedelta(days=days), tier=tier)


def service_info(snapshot: CatalogSnapshot, slug: str) -> ServiceInfo:
    service = snapshot.services_by_slug.get(slug) if isinstance(slug, str) else None
    if service is None:
        raise ValidationFailed(f"No service called {slug!r}.", code="unknown_service", fields={"service": ["Unknown service."]})
    return service


def addon_infos(snapshot: CatalogSnapshot, service: ServiceInfo, slugs: Sequence[str]) -> list[AddOnInfo]:
    addons = []
    for slug in dict.fromkeys(slugs):
        addon = snapshot.addons_by_slug.get(slug)
        if addon is None or addon.id not in service.addon_ids:
            raise ValidationFailed(
                f"{slug!r} is not an add-on of {service.name}.", code="unknown_addon", fields={"addons": [f"Unknown add-on {slug!r}."]}
            )
        addons.append(addon)
    return addons


_NO_PAIRS = np.zeros((0, 2), dtype=np.int64)


def _group_pairs(ids: np.ndarray, pairs: np.ndarray, wanted: Sequence[int]) -> dict[int, np.ndarray]:
    """Rows of ``pairs`` grouped by ``ids`` (only the ``wanted`` ones), each group sorted by start."""
    order = np.lexsort((pairs[:, 0], ids))
    ids, pairs = ids[order], pairs[order]
    out = {}
    for resource_id in wanted:
        lo, hi = np.searchsorted(ids, resource_id, side="left"), np.searchsorted(ids, resource_id, side="right")
        out[resource_id] = pairs[lo:hi]
    return out


def busy_intervals(
    *, technician_ids: Sequence[int], room_ids: Sequence[int], start: datetime, end: datetime,
    exclude_booking_id: int | tuple[int, ...] | None = None,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Blocked intervals of active bookings overlapping ``[start, end)``, as epoch minutes, in one query.

    Per technician and per room, an (n, 2) int64 array sorted by start: the engine
    takes arrays as they are, so nothing per booking happens in Python after the
    driver has parsed the rows.
    """
    if connection.vendor == "postgresql":
        excluded = list(exclude_booking_id) if isinstance(exclude_booking_id, tuple) else [exclude_booking_id] if exclude_booking_id else []
        with connection.cursor() as cursor:
            cursor.execute(_BUSY_SQL_POSTGRESQL, [list(RELEASED_STATUSES), end, start, list(technician_ids), list(room_ids), excluded])
            fetched = cursor.fetchall()
        return _busy_from_rows(fetched, technician_ids, room_ids)
    rows = (
        Booking.objects.filter(ACTIVE_Q, start__lt=end, blocked_until__gt=start)
        .filter(Q(technician_id__in=technician_ids) | Q(room_id__in=room_ids))
        .annotate(s=EpochMinute("start"), e=EpochMinute("blocked_until"))
        .order_by()
    )
    if exclude_booking_id:  # one booking being moved, or a tuple of them (a group moved together)
        rows = rows.exclude(pk__in=exclude_booking_id) if isinstance(exclude_booking_id, tuple) else rows.exclude(pk=exclude_booking_id)
    # The ORM builds the SQL; the cursor reads the rows: four integers per booking need no model machinery.
    sql, params = rows.values_list("technician_id", "room_id", "s", "e").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return _busy_from_rows(fetched, technician_ids, room_ids)


# ``busy_intervals``' one query on PostgreSQL: the filter the ORM builds on SQLite, with arrays for the id lists.
# Building it through the ORM cost ≈ 1 ms of CPU per call (two thirds of a contested booking's check); with
# arrays the text is the same for every call, so psycopg also prepares it once per connection. The two paths
# are pinned to the same answers by the availability tests, which CI runs on both databases.
_BUSY_SQL_POSTGRESQL = (
    "SELECT technician_id, room_id, (EXTRACT(EPOCH FROM start)::bigint / 60), (EXTRACT(EPOCH FROM blocked_until)::bigint / 60)"
    " FROM bookings_booking WHERE NOT (status = ANY(%s)) AND start < %s AND blocked_until > %s"
    " AND (technician_id = ANY(%s) OR room_id = ANY(%s)) AND NOT (id = ANY(%s))"
)


def _busy_from_rows(fetched, technician_ids, room_ids) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    if not fetched:
        return {t: _NO_PAIRS for t in technician_ids}, {r: _NO_PAIRS for r in room_ids}
    table = np.array(fetched, dtype=np.int64)
    pairs = table[:, 2:4]
    return _group_pairs(table[:, 0], pairs, technician_ids), _group_pairs(table[:, 1], pairs, room_ids)


def _with_blocks(busy: np.ndarray, blocks: list[tuple[int, int]]) -> np.ndarray:
    if not blocks:
        return busy
    merged = np.concatenate([busy, np.asarray(blocks, dtype=np.int64).reshape(-1, 2)])
    return merged[np.argsort(merged[:, 0], kind="stable")]


@dataclass
class SearchPlan:
    """Everything the engine needs for one service and one range of days."""

    query: SlotQuery
    clock: LocalClock
    technicians: list[TechnicianCalendar]
    rooms: list[RoomCalendar]
    names: dict[int, str]


def search_plan(
    *,
    snapshot: CatalogSnapshot,
    service: ServiceInfo,
    addons: Sequence[AddOnInfo],
    days: list[date],
    technician_id: int | None,
    now: datetime,
    exclude_booking_id: int | None = None,
    ignore_lead_time: bool = False,
    schedule: ScheduleSnapshot | None = None,
) -> SearchPlan:
    """The engine's input: ``snapshot`` (the catalog) for the service and rooms, ``schedule`` for who works when."""
    location = snapshot.locations[service.location_id]
    clock = local_clock(location.tz)
    need = service.duration + sum(a.extra_minutes for a in addons)
    technicians = (schedule or schedule_snapshot()).technicians_for(service)
    if technician_id is not None:
        technicians = [t for t in technicians if t.id == technician_id]
        if not technicians:
            raise ValidationFailed(
                "That technician does not offer this service.",
                code="unknown_technician",
                fields={"technician": ["Unknown technician for this service."]},
            )
    rooms = snapshot.rooms_for(service)
    span_start = datetime.combine(days[0] - timedelta(days=1), datetime.min.time(), location.tz) if days else now
    span_end = datetime.combine(days[-1] + timedelta(days=2), datetime.min.time(), location.tz) if days else now
    tech_busy: dict[int, np.ndarray] = {}
    room_busy: dict[int, np.ndarray] = {}
    if days:
        tech_busy, room_busy = busy_intervals(
            technician_ids=[t.id for t in technicians], room_ids=[r.id for r in rooms],
            start=span_start, end=span_end, exclude_booking_id=exclude_booking_id,
        )
    closed: list[tuple[int, int]] = []
    tech_blocks: dict[int, list[tuple[int, int]]] = defaultdict(list)
    room_blocks: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if days:
        for block in calendar_provider().busy_blocks(location_id=location.id, start=span_start, end=span_end):
            interval = (epoch_minutes(block.start), epoch_minutes(block.end))
            if block.technician_id is not None:
                tech_blocks[block.technician_id].append(interval)
            elif block.room_id is not None:
                room_blocks[block.room_id].append(interval)
            else:
                closed.append(interval)
    earliest = epoch_minutes(now) + (0 if ignore_lead_time else location.lead_minutes)
    query = SlotQuery(
        days=days, opening=location.opening, step=location.slot_step, need=need,
        block=need + service.buffer, earliest=earliest, closed=closed,
    )
    return SearchPlan(
        query=query,
        clock=clock,
        technicians=[
            TechnicianCalendar(
                id=t.id, weekly=t.weekly, extra_shifts=t.extra_shifts, time_off=t.time_off,
                busy=_with_blocks(tech_busy.get(t.id, _NO_PAIRS), tech_blocks.get(t.id, [])),
            )
            for t in technicians
        ],
        rooms=[RoomCalendar(id=r.id, busy=_with_blocks(room_busy.get(r.id, _NO_PAIRS), room_blocks.get(r.id, []))) for r in rooms],
        names={t.id: t.name for t in technicians},
    )


def availability_for(
    *,
    service: str | ServiceInfo,
    date_from: date,
    date_to: date,
    viewer=None,
    technician_id: int | None = None,
    addon_slugs: Sequence[str] = (),
    now: datetime | None = None,
) -> Availability:
    """Free start times for ``service`` between two local dates, clipped to the viewer's window."""
    now = now or timezone.now()
    models = read_models()
    snapshot = models.catalog
    info = service if isinstance(service, ServiceInfo) else service_info(snapshot, service)
    addons = addon_infos(snapshot, info, addon_slugs)
    location = snapshot.locations[info.location_id]
    if date_to < date_from:
        raise ValidationFailed("date_to must not be before date_from.", fields={"date_to": ["Must be on or after date_from."]})
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed(f"Ask for at most {MAX_RANGE_DAYS} days at once.", fields={"date_to": ["Range too long."]})
    window = booking_window_for(viewer=viewer, location=location, now=now, tiers=models.tiers)
    clock = local_clock(location.tz)
    first = max(date_from, clock.today(epoch_minutes(now)))
    last = min(date_to, window.ends)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    plan = search_plan(
        snapshot=snapshot, schedule=models.schedule, service=info, addons=addons, days=days, technician_id=technician_id, now=now
    )
    starts, technician_ids = find_slot_arrays(plan.query, plan.clock, plan.technicians, plan.rooms)
    return Availability(
        service=info, location=location, window_ends=window.ends, date_from=date_from, date_to=date_to,
        need=plan.query.need, starts=starts, technician_ids=technician_ids, offsets=_offsets(clock, starts), names=plan.names,
    )


def _offsets(clock: LocalClock, starts: np.ndarray) -> np.ndarray:
    """The local UTC offset (minutes) at each start: looked up once per distinct hour, not per start."""
    if not len(starts):
        return starts
    offsets = np.empty(len(starts), dtype=np.int64)
    days = starts // 1440
    bounds = np.flatnonzero(np.diff(days)) + 1
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(starts)], strict=True):
        first, last = int(starts[lo]), int(starts[hi - 1])
        offset = clock.offset_at(first)
        if clock.offset_at(last) == offset:  # one offset all day (UTC day; every start is in it)
            offsets[lo:hi] = offset
        else:  # a DST change within these starts: each one on its own
            offsets[lo:hi] = [clock.offset_at(int(start)) for start in starts[lo:hi].tolist()]
    return offsets


def booking_get_for(*, reference: str, user=None, email: str | None = None) -> Booking:
    """A booking its owner may see: the signed-in customer, staff, or whoever knows reference and e-mail."""
    booking = (
        Booking.objects.select_related("service", "technician", "room", "location", "customer")
        .prefetch_related("booking_addons")
        .filter(reference=str(reference).upper()[:12])
        .first()
    )
    if booking is None:
        raise NotFound("No booking with that reference.", code="booking_not_found")
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if signed_in and (user.is_staff or booking.customer_id == user.pk):
        return booking
    if email and booking.customer_email.lower() == email.strip().lower():
        return booking
    # Same answer as a missing booking: a reference alone reveals nothing.
    raise NotFound("No booking with that reference.", code="booking_not_found")

