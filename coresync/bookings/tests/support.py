"""Small helpers for the booking tests: New York wall times and a purpose-built one-room spa."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coresync.catalog.tests.factories import (
    AddOnFactory,
    LocationFactory,
    RoomFactory,
    RoomTypeFactory,
    ServiceFactory,
    SkillFactory,
)
from coresync.technicians.tests.factories import TechnicianFactory

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2030, 6, 3)  # a Monday far from any DST change
NOW = datetime(2030, 6, 3, 8, 0, tzinfo=NEW_YORK)  # Monday 08:00, before the 09:00 opening


def at(day: date, wall: str) -> datetime:
    """An aware New York datetime for a local wall time ``"HH:MM"`` on ``day``."""
    hours, minutes = wall.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), NEW_YORK)


def walls(availability, day: date | None = None) -> list[str]:
    """Local ``"HH:MM"`` of each offered start (on ``day`` only, when given)."""
    return [
        slot.start.strftime("%H:%M") for slot in availability.slots if day is None or slot.start.date() == day
    ]


def days_offered(availability) -> list[date]:
    return sorted({slot.start.date() for slot in availability.slots})


@dataclass
class SmallSpa:
    """One location open 09:00–17:00 daily, one room, one technician working 09:00–17:00 daily, one 60+15 min service."""

    location: object
    room_type: object
    skill: object
    room: object
    technician: object
    service: object
    addon: object
    extra: dict = field(default_factory=dict)

    def add_technician(self, **kwargs):
        kwargs.setdefault("skills", [self.skill])
        return TechnicianFactory(location=self.location, **kwargs)

    def add_room(self, **kwargs):
        kwargs.setdefault("room_type", self.room_type)
        return RoomFactory(location=self.location, **kwargs)


def small_spa(*, hours=None, schedule=None, duration=60, buffer=15) -> SmallSpa:
    location = LocationFactory(hours=hours)
    room_type = RoomTypeFactory()
    skill = SkillFactory()
    service = ServiceFactory(location=location, required_room_type=room_type, required_skill=skill,
                             duration_minutes=duration, buffer_minutes=buffer)
    return SmallSpa(
        location=location,
        room_type=room_type,
        skill=skill,
        room=RoomFactory(location=location, room_type=room_type),
        technician=TechnicianFactory(location=location, skills=[skill], schedule=schedule),
        service=service,
        addon=AddOnFactory(extra_minutes=30, services=[service]),
    )


def next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)
