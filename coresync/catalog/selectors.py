"""A read-only, in-memory snapshot of everything that changes rarely.

Availability, quotes and the concierge's entity extraction read the catalog
(services, add-ons, prices, rooms, technicians with their weekly schedules,
time off and extra shifts, membership tiers) on every request. Reading it
from the database each time costs about fifteen queries, so it is built once
per *catalog version* and kept in process memory. The version lives in the
shared cache and is bumped after commit whenever any of those rows change
(``catalog.signals``); a time-to-live bounds staleness should a change bypass
the signals (``QuerySet.update``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

VERSION_KEY = "catalog:version"


@dataclass(frozen=True)
class LocationInfo:
    id: int
    slug: str
    name: str
    tz: ZoneInfo
    opening: dict[int, tuple[tuple[int, int], ...]]  # weekday -> ((open_minute, close_minute), ...) local wall time
    slot_step: int
    lead_minutes: int
    guest_window_days: int
    free_cancellation_hours: int
    tax_rate: Decimal
    currency: str
    # What guests are told (concierge answers, e-mails): editable in the admin.
    address: str = ""
    phone: str = ""
    email: str = ""
    map_url: str = ""
    directions: str = ""
    parking: str = ""
    what_to_bring: str = ""
    cancellation_policy: str = ""
    google_review_url: str = ""

    @property
    def hours(self) -> tuple[tuple[int, str, str], ...]:
        """Opening hours as ``(weekday, "09:00", "21:00")``, in weekday order."""
        return tuple(
            (day, f"{opens // 60:02d}:{opens % 60:02d}", f"{closes // 60:02d}:{closes % 60:02d}")
            for day in sorted(self.opening)
            for opens, closes in self.opening[day]
        )


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    slug: str
    name: str
    description: str
    image: str
    taxable: bool
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    slug: str
    name: str
    category_id: int
    location_id: int
    duration: int
    buffer: int
    room_type_id: int
    skill_id: int
    taxable: bool
    description: str
    short_description: str
    image: str
    synonyms: tuple[str, ...]
    addon_ids: tuple[int, ...]


@dataclass(frozen=True)
class AddOnInfo:
    id: int
    slug: str
    name: str
    extra_minutes: int
    description: str
    taxable: bool


@dataclass(frozen=True)
class TechnicianInfo:
    id: int
    name: str
    location_id: int
    skill_ids: frozenset[int]
    weekly: dict[int, tuple[tuple[int, int], ...]]  # weekday -> ((start_minute, end_minute), ...) local wall time
    time_off: tuple[tuple[int, int], ...]  # epoch minutes, sorted
    extra_shifts: tuple[tuple[int, int], ...]  # epoch minutes, sorted


@dataclass(frozen=True)
class RoomInfo:
    id: int
    name: str
    location_id: int
    room_type_id: int


@dataclass(frozen=True)
class TierInfo:
    id: int
    slug: str
    name: str
    price_column: str
    discount_percent: Decimal
    window_days: int


@dataclass
class CatalogSnapshot:
    version: str
    locations: dict[int, LocationInfo]
    categories: dict[int, CategoryInfo]
    services: dict[int, ServiceInfo]
    addons: dict[int, AddOnInfo]
    technicians: dict[int, TechnicianInfo]
    rooms: dict[int, RoomInfo]
    tiers: dict[int, TierInfo]
    # (kind, id, column) -> amount, kind is "service" or "addon"
    prices: dict[tuple[str, int, str], Decimal]
    services_by_slug: dict[str, ServiceInfo] = field(default_factory=dict)
    addons_by_slug: dict[str, AddOnInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.services_by_slug = {s.slug: s for s in self.services.values()}
        self.addons_by_slug = {a.slug: a for a in self.addons.values()}

    @property
    def main_location(self) -> LocationInfo | None:
        """The spa's (first) location: what the concierge talks about."""
        return self.locations[min(self.locations)] if self.locations else None

    def technicians_for(self, service: ServiceInfo) -> list[TechnicianInfo]:
        return [
            t for t in self.technicians.values() if t.location_id == service.location_id and service.skill_id in t.skill_ids
        ]

    def rooms_for(self, service: ServiceInfo) -> list[RoomInfo]:
        return [
            r for r in self.rooms.values() if r.location_id == service.location_id and r.room_type_id == service.room_type_id
        ]

    def price(self, kind: str, item_id: int, column: str) -> Decimal | None:
        return self.prices.get((kind, item_id, column))


def epoch_minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _minutes(t) -> int:
    return t.hour * 60 + t.minute


def _load_snapshot(version: str) -> CatalogSnapshot:
    """Read the catalog in a fixed number of queries (about fifteen), whatever its size."""
    from coresync.catalog.models import AddOn, Location, Price, Room, Service, ServiceCategory
    from coresync.memberships.models import MembershipTier
    from coresync.technicians.models import ExtraShift, Technician, TimeOff, WeeklyShift

    locations: dict[int, LocationInfo] = {}
    for loc in Location.objects.prefetch_related("opening_hours"):
        opening: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for hours in loc.opening_hours.all():
            opening[hours.weekday].append((_minutes(hours.opens), _minutes(hours.closes)))
        locations[loc.id] = LocationInfo(
            id=loc.id, slug=loc.slug, name=loc.name, tz=ZoneInfo(loc.timezone),
            opening={day: tuple(sorted(blocks)) for day, blocks in opening.items()},
            slot_step=loc.slot_step_minutes, lead_minutes=loc.lead_time_minutes,
            guest_window_days=loc.guest_booking_window_days, free_cancellation_hours=loc.free_cancellation_hours,
            tax_rate=loc.sales_tax_rate, currency=loc.currency,
            address=loc.address, phone=loc.phone, email=loc.email, map_url=loc.map_url, directions=loc.directions,
            parking=loc.parking, what_to_bring=loc.what_to_bring, cancellation_policy=loc.cancellation_policy,
            google_review_url=loc.google_review_url,
        )
    categories = {
        c.id: CategoryInfo(
            id=c.id, slug=c.slug, name=c.name, description=c.description, image=c.image.name if c.image else "",
            taxable=c.taxable, synonyms=_split(c.synonyms),
        )
        for c in ServiceCategory.objects.all()
    }
    addon_links: dict[int, list[int]] = defaultdict(list)
    for service_id, addon_id in AddOn.services.through.objects.filter(addon__active=True).values_list("service_id", "addon_id"):
        addon_links[service_id].append(addon_id)
    services = {
        s.id: ServiceInfo(
            id=s.id, slug=s.slug, name=s.name, category_id=s.category_id, location_id=s.location_id,
            duration=s.duration_minutes, buffer=s.buffer_minutes, room_type_id=s.required_room_type_id,
            skill_id=s.required_skill_id, taxable=s.taxable and categories[s.category_id].taxable,
            description=s.description, short_description=s.short_description, image=s.image.name if s.image else "",
            synonyms=_split(s.synonyms), addon_ids=tuple(sorted(addon_links.get(s.id, ()))),
        )
        for s in Service.objects.filter(active=True).order_by("category__position", "position", "name")
    }
    addons = {
        a.id: AddOnInfo(id=a.id, slug=a.slug, name=a.name, extra_minutes=a.extra_minutes, description=a.description, taxable=a.taxable)
        for a in AddOn.objects.filter(active=True)
    }
    prices = {
        ("service" if p.service_id else "addon", p.service_id or p.addon_id, p.column): p.amount
        for p in Price.objects.all()
    }
    horizon = timezone.now() - timedelta(days=1)
    weekly: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for shift in WeeklyShift.objects.all():
        weekly[shift.technician_id][shift.weekday].append((_minutes(shift.starts), _minutes(shift.ends)))
    off: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in TimeOff.objects.filter(ends_at__gte=horizon).values_list("technician_id", "starts_at", "ends_at"):
        off[row[0]].append((epoch_minutes(row[1]), epoch_minutes(row[2])))
    extra: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in ExtraShift.objects.filter(ends_at__gte=horizon).values_list("technician_id", "starts_at", "ends_at"):
        extra[row[0]].append((epoch_minutes(row[1]), epoch_minutes(row[2])))
    technicians = {
        t.id: TechnicianInfo(
            id=t.id, name=t.display_name, location_id=t.location_id,
            skill_ids=frozenset(skill.id for skill in t.skills.all()),
            weekly={day: tuple(sorted(blocks)) for day, blocks in weekly[t.id].items()},
            time_off=tuple(sorted(off[t.id])), extra_shifts=tuple(sorted(extra[t.id])),
        )
        for t in Technician.objects.filter(active=True).prefetch_related("skills").order_by("id")
    }
    rooms = {
        r.id: RoomInfo(id=r.id, name=r.name, location_id=r.location_id, room_type_id=r.room_type_id)
        for r in Room.objects.filter(active=True).order_by("id")
    }
    tiers = {
        t.id: TierInfo(
            id=t.id, slug=t.slug, name=t.name, price_column=t.price_column,
            discount_percent=t.discount_percent, window_days=t.booking_window_days,
        )
        for t in MembershipTier.objects.all()
    }
    return CatalogSnapshot(
        version=version, locations=locations, categories=categories, services=services, addons=addons,
        technicians=technicians, rooms=rooms, tiers=tiers, prices=prices,
    )


def _split(text: str) -> tuple[str, ...]:
    return tuple(word.strip().lower() for word in text.split(",") if word.strip())


_memo_lock = threading.Lock()
_memo: dict[str, tuple[float, CatalogSnapshot]] = {}


def catalog_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        # add() so that concurrent first readers agree on one version.
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def catalog_snapshot() -> CatalogSnapshot:
    """The current catalog; zero queries when warm (one cache read for the version)."""
    version = catalog_version()
    entry = _memo.get("current")
    now = time.monotonic()
    if entry and entry[1].version == version and now - entry[0] < settings.CATALOG_CACHE_SECONDS:
        return entry[1]
    snapshot = _load_snapshot(version)
    with _memo_lock:
        _memo["current"] = (now, snapshot)
    return snapshot


def catalog_invalidate() -> None:
    """Make every process rebuild its snapshot on its next read."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _memo.clear()
