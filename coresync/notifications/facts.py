"""The plain facts an e-mail is made of, read once from the database.

Templates render these dataclasses, never model instances, so the manager's
preview page and the screenshot test render exactly what a guest receives
from sample facts that need no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.http import urlencode

from coresync.core.formatting import format_date, format_money, format_time
from coresync.core.links import booking_manage_url

# Price lines the booking's quote writes beside the treatments; the e-mails show each once, by its own label.
DISCOUNT_LINE, TAX_LINE = "discount", "tax"


def money(amount: Decimal | int | str, currency: str = "USD") -> str:
    return format_money(Decimal(amount), currency)


def local_time(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def format_day(moment: datetime) -> str:
    """``Sunday, March 9, 2025``."""
    return format_date(moment, with_year=True)


def format_clock(moment: datetime, *, zone_name: bool = True) -> str:
    """``3:00 PM EDT``: the abbreviation tells which side of a DST change the time is on."""
    text = format_time(moment)
    return f"{text} {moment.tzname()}" if zone_name else text


@dataclass(frozen=True)
class PlaceFacts:
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    map_url: str = ""
    directions: str = ""
    parking: str = ""
    what_to_bring: str = ""
    cancellation_policy: str = ""
    review_url: str = ""
    timezone: str = "America/New_York"
    free_cancellation_hours: int = 24

    @property
    def address_one_line(self) -> str:
        return ", ".join(line.strip() for line in self.address.splitlines() if line.strip())


@dataclass(frozen=True)
class PriceLine:
    description: str
    amount: str


@dataclass(frozen=True)
class BookingFacts:
    reference: str
    guest_name: str
    guest_email: str
    service_name: str
    technician_name: str
    room_name: str
    start: datetime
    end: datetime
    place: PlaceFacts
    currency: str
    total: Decimal
    tax: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    paid: bool = False
    addons: tuple[str, ...] = ()
    price_lines: tuple[PriceLine, ...] = ()
    duration_minutes: int = 0
    manage_link: str = ""
    discount_label: str = "Member discount"
    tax_label: str = "Sales tax"
    ics_sequence: int = 0
    previous_start: datetime | None = None

    @property
    def first_name(self) -> str:
        return (self.guest_name or "").split(" ")[0] or "there"

    @property
    def start_local(self) -> datetime:
        return local_time(self.start, self.place.timezone)

    @property
    def end_local(self) -> datetime:
        return local_time(self.end, self.place.timezone)

    @property
    def day_text(self) -> str:
        return format_day(self.start_local)

    @property
    def time_text(self) -> str:
        return f"{format_clock(self.start_local, zone_name=False)} – {format_clock(self.end_local)}"

    @property
    def when_text(self) -> str:
        return f"{self.day_text}, {self.time_text}"

    @property
    def previous_when_text(self) -> str:
        if self.previous_start is None:
            return ""
        previous = local_time(self.previous_start, self.place.timezone)
        return f"{format_day(previous)}, {format_clock(previous)}"

    @property
    def total_text(self) -> str:
        return money(self.total, self.currency)

    @property
    def tax_text(self) -> str:
        return money(self.tax, self.currency)

    @property
    def discount_text(self) -> str:
        return money(self.discount, self.currency) if self.discount else ""

    @property
    def payment_text(self) -> str:
        return f"Paid {self.total_text}" if self.paid else f"{self.total_text} due at the spa"

    @property
    def free_cancellation_until(self) -> datetime:
        return self.start_local - timedelta(hours=self.place.free_cancellation_hours)

    @property
    def cancellation_text(self) -> str:
        if self.place.cancellation_policy:
            return self.place.cancellation_policy
        until = self.free_cancellation_until
        return (
            f"Free cancellation or rescheduling until {format_day(until)} at {format_clock(until)}. "
            "After that, please call the spa."
        )

    def manage_url(self, action: str = "") -> str:
        """The guest's page for this booking (signed by the web app when it provides one)."""
        if self.manage_link:
            base, query = self.manage_link, {}
        else:
            base = settings.NOTIFICATIONS_MANAGE_BOOKING_URL.format(site=settings.SITE_URL, reference=self.reference)
            query = {"email": self.guest_email}
        if action:
            query["action"] = action
        return f"{base}{'&' if '?' in base else '?'}{urlencode(query)}" if query else base

    @property
    def reschedule_url(self) -> str:
        return self.manage_url("reschedule")

    @property
    def cancel_url(self) -> str:
        return self.manage_url("cancel")


@dataclass(frozen=True)
class MemberFacts:
    member_name: str
    member_email: str
    member_number: str
    tier_name: str
    started_on: date
    place: PlaceFacts
    monthly_price: Decimal = Decimal("0")
    currency: str = "USD"
    discount_percent: Decimal = Decimal("0")
    booking_window_days: int = 0
    renews_on: date | None = None
    card_on_file: bool = False
    benefits: tuple[str, ...] = field(default_factory=tuple)

    @property
    def first_name(self) -> str:
        return (self.member_name or "").split(" ")[0] or "there"

    @property
    def started_text(self) -> str:
        return f"{self.started_on:%B} {self.started_on.day}, {self.started_on.year}"

    @property
    def renews_text(self) -> str:
        return f"{self.renews_on:%B} {self.renews_on.day}, {self.renews_on.year}" if self.renews_on else ""

    @property
    def monthly_price_text(self) -> str:
        return money(self.monthly_price, self.currency)

    @property
    def discount_text(self) -> str:
        return f"{self.discount_percent.normalize():f}%" if self.discount_percent else ""


@dataclass(frozen=True)
class HandoffFacts:
    """A conversation waiting for a person, as the manager's notice shows it (read by the concierge)."""

    manager_email: str
    channel: str
    reason: str
    contact: str
    last_message: str
    replay_url: str
    place: PlaceFacts = field(default_factory=lambda: PlaceFacts(name="CoreSync Spa"))


@dataclass(frozen=True)
class DeadLetterFacts:
    """An outbox message that used its last attempt, as the manager's notice shows it."""

    manager_email: str
    kind: str
    dedupe_key: str
    attempts: int
    error: str
    admin_url: str
    place: PlaceFacts = field(default_factory=lambda: PlaceFacts(name="CoreSync Spa"))


@dataclass(frozen=True)
class SyncNoticeFacts:
    """Something the Google mirrors did that the manager should know (an event put back, a sheet not applied)."""

    manager_email: str
    title: str
    lines: tuple[str, ...]
    link: str = ""
    link_label: str = "Open it"
    place: PlaceFacts = field(default_factory=lambda: PlaceFacts(name="CoreSync Spa"))


# --- From the database ------------------------------------------------------------


def place_facts(location) -> PlaceFacts:
    return PlaceFacts(
        name=location.name,
        address=location.address,
        phone=location.phone,
        email=location.email,
        map_url=location.map_url,
        directions=location.directions,
        parking=location.parking,
        what_to_bring=location.what_to_bring,
        cancellation_policy=location.cancellation_policy,
        review_url=location.google_review_url or settings.NOTIFICATIONS_GOOGLE_REVIEW_URL,
        timezone=location.timezone,
        free_cancellation_hours=location.free_cancellation_hours,
    )


def booking_facts(booking) -> BookingFacts:
    """Everything the booking e-mails show; the booking should come with its relations selected."""
    addons = tuple(line.name for line in booking.booking_addons.all())
    lines = [line for line in (booking.price_lines or []) if isinstance(line, dict)]
    labels = {line.get("kind"): str(line.get("description", "")) for line in lines}
    items = tuple(
        PriceLine(str(line.get("description", "")), money(line.get("amount", "0"), booking.currency))
        for line in lines
        # The discount and the tax have their own rows (from the booking's totals): listing them here too
        # showed "Sales tax" twice.
        if line.get("kind") not in (DISCOUNT_LINE, TAX_LINE)
    )
    return BookingFacts(
        reference=booking.reference,
        guest_name=booking.customer_name,
        guest_email=booking.customer_email,
        service_name=booking.service.name,
        technician_name=booking.technician.display_name,
        room_name=booking.room.name,
        start=booking.start,
        end=booking.end,
        place=place_facts(booking.location),
        currency=booking.currency,
        total=booking.total,
        tax=booking.tax,
        discount=booking.discount,
        paid=False,  # set from the payment record once online payment lands (payments app)
        addons=addons,
        price_lines=items,
        duration_minutes=int((booking.end - booking.start).total_seconds() // 60),
        manage_link=booking_manage_url(booking),
        discount_label=labels.get(DISCOUNT_LINE) or "Member discount",
        tax_label=labels.get(TAX_LINE) or "Sales tax",
        ics_sequence=booking.ics_sequence,
        previous_start=booking.rescheduled_from,
    )


def member_facts(membership) -> MemberFacts:
    from coresync.catalog.models import Location

    user, tier = membership.user, membership.tier
    location = Location.objects.order_by("pk").first()
    place = place_facts(location) if location else PlaceFacts(name="CoreSync Spa")
    return MemberFacts(
        member_name=user.name or user.email,
        member_email=user.email,
        member_number=membership.member_number,
        tier_name=tier.name,
        started_on=membership.started_on,
        renews_on=membership.renews_on,
        card_on_file=membership.card_on_file,
        monthly_price=tier.monthly_price,
        currency=location.currency if location else "USD",
        discount_percent=tier.discount_percent,
        booking_window_days=tier.booking_window_days,
        benefits=tuple(tier.benefit_list),
        place=place,
    )
