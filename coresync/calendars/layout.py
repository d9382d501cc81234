"""Which calendars a booking belongs to and how its event reads there: plain functions, no I/O."""

from __future__ import annotations

import hashlib

from coresync.integrations.google.calendar import PRIVATE_BOOKING_KEY, PRIVATE_CALENDAR_KEY, CalendarEvent

MASTER, TECHNICIANS, PRIVATE = "master", "technicians", "private"
SHARED_CALENDARS = (MASTER, TECHNICIANS, PRIVATE)
CALENDAR_TITLES = {MASTER: "CoreSync · Master", TECHNICIANS: "CoreSync · Technicians", PRIVATE: "CoreSync · Private Spa & Men's Suite"}
# Rooms whose bookings also go to the Private calendar (room type slugs).
PRIVATE_ROOM_TYPES = frozenset({"private-spa", "mens-suite"})


def technician_feed(technician_id: int) -> str:
    return f"technician-{technician_id}"


def booking_calendars(booking) -> list[str]:
    """Master: every booking; Technicians: every booking with a technician; Private: private-spa and men's-suite rooms."""
    keys = [MASTER]
    if booking.technician_id:
        keys.append(TECHNICIANS)
    if booking.room.room_type.slug in PRIVATE_ROOM_TYPES:
        keys.append(PRIVATE)
    return keys


def event_id_for(booking_id: int, calendar: str) -> str:
    """The event id we choose for a booking in a calendar (base32hex, as Google requires): the same on every retry."""
    return "cs" + hashlib.sha256(f"coresync:booking:{booking_id}:{calendar}".encode()).hexdigest()[:30]


def short_name(full_name: str) -> str:
    """'Amelia Laurent' → 'Amelia L.': enough for the diary, less of the guest's name in a shared calendar."""
    parts = full_name.split()
    if not parts:
        return "Guest"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def event_title(booking, calendar: str) -> str:
    service, technician, guest = booking.service.name, booking.technician.display_name, short_name(booking.customer_name)
    if calendar == TECHNICIANS:
        return f"{technician}: {service} · {guest}"
    if calendar == PRIVATE:
        return f"{booking.room.name}: {service} · {guest}"
    return f"{service} · {guest} with {technician}"


def event_description(booking) -> str:
    lines = [f"Booking {booking.reference}", f"Service: {booking.service.name}"]
    addons = [a.name for a in booking.booking_addons.all()]
    if addons:
        lines.append("Add-ons: " + ", ".join(addons))
    lines += [f"Technician: {booking.technician.display_name}", f"Room: {booking.room.name}", f"Status: {booking.get_status_display()}"]
    if booking.notes:
        lines.append(f"Notes: {booking.notes[:500]}")
    lines.append("Made in CoreSync: change it there; edits made here are put back.")
    return "\n".join(lines)


def booking_event(booking, calendar: str) -> CalendarEvent:
    """The event a booking has in ``calendar``: guest's time (buffer excluded), no attendees."""
    return CalendarEvent(
        id=event_id_for(booking.pk, calendar),
        summary=event_title(booking, calendar),
        start=booking.start,
        end=booking.end,
        time_zone=booking.location.timezone,
        description=event_description(booking),
        location=booking.room.name,
        private={PRIVATE_BOOKING_KEY: str(booking.pk), PRIVATE_CALENDAR_KEY: calendar, "coresync_reference": booking.reference},
    )
