"""A read-only, in-memory snapshot of what the spa sells and where: the catalog.

Availability, quotes and the concierge's entity extraction read the catalog
(locations and opening hours, categories, services, add-ons, prices, rooms) on
every request. Reading it from the database each time costs about ten queries,
so it is built once per *catalog version* and kept in process memory
(``core.snapshots``). The version lives in the shared cache and is bumped
whenever any of those rows change (``catalog.signals``); a time-to-live
(``CATALOG_CACHE_SECONDS``) bounds staleness should a change bypass the signals.

The catalog is the ground floor of the domain: it knows nothing of technicians
(their schedules are ``technicians.selectors.schedule_snapshot``) or membership
tiers (``memberships.selectors.tiers_snapshot``); availability combines the three.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from coresync.core.snapshots import VersionedSnapshot

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
class RoomInfo:
    id: int
    name: str
    location_id: int
    room_type_id: int
    capacity: int = 1


@dataclass
class CatalogSnapshot:
    version: str
    locations: dict[int, LocationInfo]
    categories: dict[int, CategoryInfo]
    services: dict[int, ServiceInfo]
    addons: dict[int, AddOnInfo]
    rooms: dict[int, RoomInfo]
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
    """Read the catalog in a fixed number of queries (about ten), whatever its size."""
    from coresync.catalog.models import AddOn, Location, Price, Room, Service, ServiceCategory

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
    rooms = {
        r.id: RoomInfo(id=r.id, name=r.name, location_id=r.location_id, room_type_id=r.room_type_id, capacity=r.capacity)
        for r in Room.objects.filter(active=True).order_by("id")
    }
    return CatalogSnapshot(
        version=version, locations=locations, categories=categories, services=services, addons=addons,
        rooms=rooms, prices=prices,
    )


def _split(text: str) -> tuple[str, ...]:
    return tuple(word.strip().lower() for word in text.split(",") if word.strip())


_snapshot: VersionedSnapshot[CatalogSnapshot] = VersionedSnapshot(
    VERSION_KEY, _load_snapshot, max_age=lambda: settings.CATALOG_CACHE_SECONDS
)


def catalog_version() -> str:
    return _snapshot.version()


def catalog_snapshot(version: str | None = None) -> CatalogSnapshot:
    """The current catalog; zero queries when warm (one cache read for the version unless ``version`` is given)."""
    return _snapshot.get(version)


def catalog_invalidate() -> None:
    """Make every process rebuild its snapshot on its next read."""
    _snapshot.invalidate()


def catalog_invalidate_on_commit(**_signal_kwargs) -> None:
    _snapshot.invalidate_on_commit()
