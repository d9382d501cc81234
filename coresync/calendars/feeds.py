"""The subscribable iCalendar feeds: the same three calendars (and one per technician) as text, from the bookings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from coresync.bookings.models import RELEASED_STATUSES, Booking, BookingStatus
from coresync.technicians.models import Technician

from . import layout

PAST_DAYS, FUTURE_DAYS = 60, 200
FEED_NAME = re.compile(r"^(master|technicians|private|technician-(\d{1,12}))$")


def feed_names() -> list[tuple[str, str]]:
    """``[(name, title)]`` of every feed: the three calendars, then one per active technician."""
    names = [(layout.MASTER, "Master"), (layout.TECHNICIANS, "Technicians"), (layout.PRIVATE, "Private Spa & Men's Suite")]
    names += [(layout.technician_feed(pk), name) for pk, name in Technician.objects.filter(active=True).values_list("pk", "display_name")]
    return names


def feed_exists(name: str) -> bool:
    match = FEED_NAME.match(name)
    if match is None:
        return False
    return match.group(2) is None or Technician.objects.filter(pk=int(match.group(2))).exists()


def feed_bookings(name: str, *, now: datetime | None = None):
    now = now or timezone.now()
    bookings = (
        Booking.objects.exclude(status__in=RELEASED_STATUSES)
        .filter(end__gte=now - timedelta(days=PAST_DAYS), start__lte=now + timedelta(days=FUTURE_DAYS))
        .select_related("service", "technician", "room__room_type", "location")
        .prefetch_related("booking_addons").order_by("start")
    )
    if name == layout.PRIVATE:
        return bookings.filter(room__room_type__slug__in=layout.PRIVATE_ROOM_TYPES)
    if name.startswith("technician-"):
        return bookings.filter(technician_id=int(name.removeprefix("technician-")))
    return bookings


def feed_ics(name: str, title: str, *, now: datetime | None = None) -> bytes:
    """The feed as an iCalendar file: one VEVENT per active booking, no attendees, refreshed every 15 minutes."""
    now = now or timezone.now()
    calendar_kind = layout.TECHNICIANS if name.startswith("technician-") else name
    calendar = Calendar()
    calendar.add("prodid", "-//CoreSync//Spa diary//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"CoreSync · {title}")
    calendar.add("x-published-ttl", "PT15M")
    calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    for booking in feed_bookings(name, now=now):
        event = Event()
        event.add("uid", f"{layout.event_id_for(booking.pk, name)}@coresync")
        event.add("sequence", booking.ics_sequence)
        event.add("dtstamp", booking.updated_at.astimezone(UTC))
        event.add("dtstart", booking.start.astimezone(UTC))
        event.add("dtend", booking.end.astimezone(UTC))
        event.add("summary", layout.event_title(booking, calendar_kind))
        event.add("location", booking.room.name)
        event.add("description", layout.event_description(booking))
        event.add("status", "TENTATIVE" if booking.status == BookingStatus.PENDING_PAYMENT else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
