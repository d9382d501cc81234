"""What the public pages show, read in a fixed number of queries and cached.

``site_content()`` builds a plain snapshot of the location, the catalog (no
prices), the membership tiers (no prices) and the galleries in five queries,
keeps it in the shared cache and rebuilds it when any of those rows change
(``web.signals``). A warm page therefore costs no catalog queries at all.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch

from coresync.core.formatting import format_time

CACHE_KEY = "web:site-content"
LOCATION_KEY = "web:site-location"
VERSION_KEY = "web:site-content:version"
DEMO_WIDTHS = {"hero": (480, 800, 1200), "cat": (480, 800), "gallery": (480, 800, 1200)}


@dataclass(frozen=True)
class Picture:
    """One picture in several widths and formats; URLs are resolved at render time (hashed static names)."""

    storage: str  # "static" or "media"
    fallback: str  # file name of the <img src>
    sources: tuple[tuple[str, tuple[tuple[int, str], ...]], ...]  # (mime type, ((width, file name), ...))
    width: int
    height: int
    alt: str
    caption: str = ""


def demo_picture(name: str, widths: tuple[int, ...], ratio: tuple[int, int], alt: str, caption: str = "") -> Picture:
    files = tuple((w, f"img/{name}-{w}") for w in widths)
    return Picture(
        storage="static",
        fallback=f"img/{name}-{widths[min(1, len(widths) - 1)]}.webp",
        sources=(
            ("image/avif", tuple((w, f"{base}.avif") for w, base in files)),
            ("image/webp", tuple((w, f"{base}.webp") for w, base in files)),
        ),
        width=ratio[0],
        height=ratio[1],
        alt=alt,
        caption=caption,
    )


def upload_picture(name: str, alt: str, width: int = 800, height: int = 600, variants: dict | None = None, caption: str = "") -> Picture:
    variants = variants or {}
    sources = ()
    if variants:
        sources = (("image/webp", tuple(sorted((int(w), f) for w, f in variants.items()))),)
    return Picture(storage="media", fallback=name, sources=sources, width=width or 800, height=height or 600, alt=alt, caption=caption)


@dataclass(frozen=True)
class AddOnView:
    name: str
    extra_minutes: int
    description: str


@dataclass(frozen=True)
class ServiceView:
    slug: str
    name: str
    duration_minutes: int
    description: str
    short_description: str
    picture: Picture
    category_slug: str
    category_name: str
    room_type_slug: str
    addons: tuple[AddOnView, ...]


@dataclass(frozen=True)
class CategoryView:
    slug: str
    name: str
    description: str
    picture: Picture
    services: tuple[ServiceView, ...]


@dataclass(frozen=True)
class TierView:
    slug: str
    name: str
    window_days: int
    discount_percent: int
    benefits: tuple[str, ...]


@dataclass(frozen=True)
class LocationView:
    name: str
    address_lines: tuple[str, ...]
    phone: str
    email: str
    map_url: str
    directions: str
    parking: str
    what_to_bring: str
    cancellation_policy: str
    free_cancellation_hours: int
    guest_window_days: int
    hours: tuple[tuple[str, str], ...]  # ("Monday", "9:00 AM – 9:00 PM")
    timezone: str = "America/New_York"  # the location's clock (the chat's "Good morning" follows it, not UTC)


@dataclass(frozen=True)
class SiteContent:
    location: LocationView | None
    categories: tuple[CategoryView, ...]
    tiers: tuple[TierView, ...]
    galleries: dict[str, tuple[Picture, ...]] = field(default_factory=dict)

    @property
    def services(self) -> dict[str, ServiceView]:
        return {s.slug: s for c in self.categories for s in c.services}

    def suite_services(self, room_types: tuple[str, ...]) -> list[ServiceView]:
        """The catalog's services booked into one of the suite's room types (e.g. ``mens-suite``, ``barber``)."""
        return [s for c in self.categories for s in c.services if s.room_type_slug in room_types]


DEMO_GALLERIES = {
    "home": [("hero", "Stacked warm stones in candlelight", "")],
    "menssuite": [
        ("menssuite-1", "Walnut and brass in the men's suite lounge", "The lounge"),
        ("menssuite-2", "Hot stones resting by the barber chair", "The chair"),
        ("menssuite-3", "Warm light over the steam room water", "The steam room"),
        ("menssuite-4", "Slate-grey towels folded in the dressing room", "The dressing room"),
    ],
    "private": [
        ("private-1", "Still water in the private spa pool", "The pool"),
        ("private-2", "Warm stones beside the double treatment beds", "Treatment for two"),
        ("private-3", "Soft steam rising from the hammam", "The hammam"),
        ("private-4", "Petals on the relaxation lounge table", "The lounge"),
    ],
}


def _demo_gallery(page: str) -> tuple[Picture, ...]:
    if page == "home":
        return (demo_picture("hero", DEMO_WIDTHS["hero"], (1200, 1500), DEMO_GALLERIES["home"][0][1]),)
    return tuple(demo_picture(name, DEMO_WIDTHS["gallery"], (1200, 800), alt, caption) for name, alt, caption in DEMO_GALLERIES[page])


def _category_picture(category) -> Picture:
    if category.image:
        return upload_picture(category.image.name, alt=category.name)
    name = f"cat-{category.slug.replace('_', '-').lower()}"
    known = {"cat-massages", "cat-facials", "cat-barber", "cat-mani-pedi"}
    return demo_picture(name if name in known else "cat-massages", DEMO_WIDTHS["cat"], (1200, 900), alt="")


def _clock(value: time) -> str:
    """An opening time as the chat and the e-mails write times: ``9:00 AM``."""
    return format_time(datetime.combine(date(2000, 1, 3), value))


def _location_view(location, hours) -> LocationView:
    return LocationView(
        name=location.name,
        address_lines=tuple(line.strip() for line in location.address.splitlines() if line.strip()),
        phone=location.phone,
        email=location.email,
        map_url=location.map_url,
        directions=location.directions,
        parking=location.parking,
        what_to_bring=location.what_to_bring,
        cancellation_policy=location.cancellation_policy,
        free_cancellation_hours=location.free_cancellation_hours,
        guest_window_days=location.guest_booking_window_days,
        hours=tuple((h.get_weekday_display(), f"{_clock(h.opens)} – {_clock(h.closes)}") for h in hours),
        timezone=location.timezone,
    )


def _load_location() -> LocationView | None:
    from coresync.catalog.models import Location, OpeningHours

    hours = list(OpeningHours.objects.select_related("location").order_by("location__name", "weekday", "opens"))
    if hours:
        location = hours[0].location
        return _location_view(location, [h for h in hours if h.location_id == location.id])
    location = Location.objects.first()
    return _location_view(location, []) if location else None


def _load_categories() -> tuple[CategoryView, ...]:
    from coresync.catalog.models import AddOn, Service

    services = Service.objects.filter(active=True).select_related("category", "required_room_type").prefetch_related(
        Prefetch("addons", queryset=AddOn.objects.filter(active=True).order_by("name"))
    )
    grouped: dict[int, list] = defaultdict(list)
    categories = {}
    for service in services.order_by("category__position", "category__name", "position", "name"):
        categories[service.category_id] = service.category
        grouped[service.category_id].append(service)
    out = []
    for category_id, category in categories.items():
        picture = _category_picture(category)
        views = tuple(
            ServiceView(
                slug=s.slug, name=s.name, duration_minutes=s.duration_minutes, description=s.description,
                short_description=s.short_description or s.description[:160],
                picture=upload_picture(s.image.name, alt=s.name) if s.image else picture,
                category_slug=category.slug, category_name=category.name, room_type_slug=s.required_room_type.slug,
                addons=tuple(AddOnView(a.name, a.extra_minutes, a.description) for a in s.addons.all()),
            )
            for s in grouped[category_id]
        )
        out.append(CategoryView(category.slug, category.name, category.description, picture, views))
    return tuple(out)


def _load_tiers() -> tuple[TierView, ...]:
    from coresync.memberships.models import MembershipTier

    return tuple(
        TierView(t.slug, t.name, t.booking_window_days, int(t.discount_percent), tuple(t.benefit_list))
        for t in MembershipTier.objects.filter(active=True).only(
            "slug", "name", "booking_window_days", "discount_percent", "benefits", "position"
        )
    )


def _load_galleries() -> dict[str, tuple[Picture, ...]]:
    from .models import GalleryImage

    uploaded: dict[str, list[Picture]] = defaultdict(list)
    for image in GalleryImage.objects.filter(active=True):
        uploaded[image.page].append(
            upload_picture(image.image.name, image.alt, image.width, image.height, image.variants, image.caption)
        )
    return {page: tuple(uploaded[page]) or _demo_gallery(page) for page in DEMO_GALLERIES}


def load_site_content() -> SiteContent:
    """Five queries: opening hours with location, services with category and room type, add-ons, tiers, gallery."""
    return SiteContent(
        location=_load_location(),
        categories=_load_categories(),
        tiers=_load_tiers(),
        galleries=_load_galleries(),
    )


def site_content() -> SiteContent:
    version = cache.get(VERSION_KEY) or "0"
    entry = cache.get(CACHE_KEY)
    if entry is not None and entry[0] == version:
        return entry[1]
    content = load_site_content()
    cache.set(CACHE_KEY, (version, content), timeout=settings.CATALOG_CACHE_SECONDS)
    return content


def site_location() -> LocationView | None:
    """The location alone (footer of pages that need nothing else): from the snapshot when it is warm,
    otherwise one query, cached under the same version."""
    found = cache.get_many([VERSION_KEY, CACHE_KEY, LOCATION_KEY])
    version = found.get(VERSION_KEY) or "0"
    for key in (CACHE_KEY, LOCATION_KEY):
        entry = found.get(key)
        if entry is not None and entry[0] == version:
            return entry[1].location if key == CACHE_KEY else entry[1]
    location = _load_location()
    cache.set(LOCATION_KEY, (version, location), timeout=settings.CATALOG_CACHE_SECONDS)
    return location


def site_content_invalidate() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
