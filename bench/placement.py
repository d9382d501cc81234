"""The spa-5k / spa-20k shape and a placement of bookings that never overlaps (pure Python, no Django).

Both the database generator (``bench/dataset.py``) and the in-memory engine
benchmark (S7, ``bench/engine.py``) build their bookings here, so the two see
the same kind of calendar.

Shape (SPEC §9): one location in America/New_York, open 09:00-21:00 every day
on a 15-minute grid; 10 rooms in 3 room types; 20 technicians with skills;
40 services of 30/60/90/120 minutes. Every technician works 09:00-21:00 every day.

Placement: for each room and day, ``k`` bookings are laid end to end with
random gaps on the 15-minute grid, so no two bookings share a room; then, per
day and room type, bookings are taken in start order and each is given the
least-loaded technician of that type's pool who is free. A pool is at least as
large as the number of rooms of its type, so this greedy interval colouring
always succeeds and no technician is ever double-booked. The blocked interval
(service + buffer) is what is kept free, exactly as the exclusion constraints see it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from coresync.bookings.availability import LocalClock

OPEN_MINUTE = 9 * 60
CLOSE_MINUTE = 21 * 60
DAY_MINUTES = CLOSE_MINUTE - OPEN_MINUTE
STEP = 15
TZ_NAME = "America/New_York"

# slug, name, number of rooms, skill slug, category slug, number of services
ROOM_TYPES = [
    ("treatment", "Treatment room", 4, "massage", "massages", 16),
    ("facial", "Facial suite", 3, "facial", "facials", 12),
    ("nails", "Nail studio", 3, "nails", "mani-pedi", 12),
]
DURATIONS = (30, 60, 90, 120)
SKILL_POOLS = {"massage": 8, "facial": 6, "nails": 6}  # technicians whose primary skill it is (20 in all)
SECOND_SKILL_EVERY = 3  # every third technician also has the next skill (used by availability, not by placement)


@dataclass(frozen=True)
class ServiceShape:
    key: int  # index in the catalog list
    room_type: str
    duration: int
    buffer: int

    @property
    def block(self) -> int:
        return self.duration + self.buffer


@dataclass(frozen=True)
class Placed:
    service: int  # ServiceShape.key
    room: int  # room index (0..9)
    technician: int  # technician index (0..19)
    start: int  # epoch minutes
    end: int  # start + duration
    blocked_until: int  # end + buffer


def buffer_for(duration: int) -> int:
    # Quick services turn the room over at once; longer ones need 15 minutes of clean-up.
    return 0 if duration <= 30 else 15


def catalog_shape() -> tuple[list[ServiceShape], list[str], list[tuple[str, tuple[str, ...]]]]:
    """Services, rooms (their type) and technicians (primary skill, all skills)."""
    services: list[ServiceShape] = []
    rooms: list[str] = []
    for type_slug, _name, n_rooms, _skill, _category, n_services in ROOM_TYPES:
        rooms.extend([type_slug] * n_rooms)
        for i in range(n_services):
            duration = DURATIONS[i % len(DURATIONS)]
            services.append(ServiceShape(len(services), type_slug, duration, buffer_for(duration)))
    skills = list(SKILL_POOLS)
    technicians: list[tuple[str, tuple[str, ...]]] = []
    for skill, count in SKILL_POOLS.items():
        for _ in range(count):
            index = len(technicians)
            extra = skills[(skills.index(skill) + 1) % len(skills)]
            technicians.append((skill, (skill, extra) if index % SECOND_SKILL_EVERY == 0 else (skill,)))
    return services, rooms, technicians


def bench_days(today: date, count: int = 90) -> list[date]:
    return [today + timedelta(days=i) for i in range(count)]


def _room_day_counts(n: int, slots: int, rng: random.Random, cap: int) -> list[int]:
    """``n`` bookings spread at random over ``slots`` room-days, none above ``cap``."""
    if n > slots * cap:
        raise ValueError(f"{n} bookings do not fit in {slots} room-days")
    if n > slots * cap * 3 // 4:
        # A nearly full diary (spa-20k): most room-days full, the rest three bookings short, so the
        # free time comes in stretches long enough for a 60-minute service somewhere.
        short = min(slots, (slots * cap - n) // 3)
        counts = [cap - 3] * short + [cap] * (slots - short)
        excess = sum(counts) - n
        for i in range(slots - 1, -1, -1):
            if excess <= 0:
                break
            take = min(excess, counts[i] - (cap - 3) if counts[i] == cap else 0)
            counts[i] -= take
            excess -= take
        rng.shuffle(counts)
        return counts
    counts = [n // slots] * slots
    for i in rng.sample(range(slots), n % slots):
        counts[i] += 1
    # Shake: move bookings between random room-days so the load is uneven, like a real diary.
    for _ in range(n):
        a, b = rng.randrange(slots), rng.randrange(slots)
        if counts[a] > 0 and counts[b] < cap:
            counts[a] -= 1
            counts[b] += 1
    return counts


def _pack_day(k: int, menu: list[ServiceShape], rng: random.Random) -> list[tuple[int, ServiceShape]]:
    """``k`` services laid out in one room's day: (minute offset from opening, service)."""
    shortest = min(s.block for s in menu)
    if k * shortest > DAY_MINUTES * 3 // 4:  # a nearly full day: only the quick services fit
        menu = [s for s in menu if s.block == shortest]
    left = DAY_MINUTES
    chosen: list[ServiceShape] = []
    for j in range(k):
        room_for = left - (k - j - 1) * shortest
        allowed = [s for s in menu if s.block <= room_for]
        service = rng.choice(allowed)
        chosen.append(service)
        left -= service.block
    rng.shuffle(chosen)
    # The slack (in 15-minute units): a nearly full day and half the others keep it in one stretch, half scatter it over the k + 1 gaps.
    gaps = [0] * (k + 1)
    if left < 120 or rng.random() < 0.5:
        gaps[rng.randrange(k + 1)] = left - left % STEP
    else:
        for _ in range(left // STEP):
            gaps[rng.randrange(k + 1)] += STEP
    out: list[tuple[int, ServiceShape]] = []
    cursor = 0
    for gap, service in zip(gaps, chosen, strict=False):
        cursor += gap
        out.append((cursor, service))
        cursor += service.block
    return out


def place_bookings(n_active: int, today: date, *, seed: int = 5, days: int = 90, progress=None) -> list[Placed]:
    """``n_active`` non-overlapping bookings over ``days`` days from ``today`` (local dates)."""
    from zoneinfo import ZoneInfo

    rng = random.Random(seed)
    clock = LocalClock(ZoneInfo(TZ_NAME))
    services, rooms, technicians = catalog_shape()
    menus = {t[0]: [s for s in services if s.room_type == t[0]] for t in ROOM_TYPES}
    pools = {t[0]: [i for i, (primary, _) in enumerate(technicians) if primary == t[3]] for t in ROOM_TYPES}
    day_list = bench_days(today, days)
    cap = DAY_MINUTES // min(s.block for s in services)
    counts = _room_day_counts(n_active, len(rooms) * len(day_list), rng, cap)
    placed: list[Placed] = []
    for d, day in enumerate(day_list):
        opens = clock.to_epoch(day, OPEN_MINUTE)
        by_type: dict[str, list[tuple[int, int, ServiceShape]]] = {t[0]: [] for t in ROOM_TYPES}
        for r, room_type in enumerate(rooms):
            for offset, service in _pack_day(counts[d * len(rooms) + r], menus[room_type], rng):
                by_type[room_type].append((opens + offset, r, service))
        for room_type, items in by_type.items():
            free_at = {t: 0 for t in pools[room_type]}
            load = {t: 0 for t in pools[room_type]}
            for start, r, service in sorted(items, key=lambda item: item[0]):
                free = [t for t in pools[room_type] if free_at[t] <= start]
                tech = min(free, key=lambda t: (load[t], rng.random()))
                free_at[tech] = start + service.block
                load[tech] += service.block
                placed.append(Placed(service.key, r, tech, start, start + service.duration, start + service.block))
        if progress and (d + 1) % 15 == 0:
            progress(f"placed {len(placed):,} bookings ({d + 1}/{len(day_list)} days)")
    return placed


def place_cancelled(n: int, today: date, *, seed: int = 7, days: int = 90) -> list[Placed]:
    """Cancelled bookings anywhere (they hold no time, so they may overlap anything)."""
    from zoneinfo import ZoneInfo

    rng = random.Random(seed)
    clock = LocalClock(ZoneInfo(TZ_NAME))
    services, rooms, technicians = catalog_shape()
    day_list = bench_days(today, days)
    out: list[Placed] = []
    for _ in range(n):
        service = rng.choice(services)
        room = rng.choice([i for i, t in enumerate(rooms) if t == service.room_type])
        skill = next(t[3] for t in ROOM_TYPES if t[0] == service.room_type)
        tech = rng.choice([i for i, (primary, _) in enumerate(technicians) if primary == skill])
        day = rng.choice(day_list)
        start = clock.to_epoch(day, OPEN_MINUTE + STEP * rng.randrange((DAY_MINUTES - service.block) // STEP + 1))
        out.append(Placed(service.key, room, tech, start, start + service.duration, start + service.block))
    return out


def check_no_overlap(placed: list[Placed]) -> None:
    """Assert the placement is overlap-free per room and per technician (blocked intervals)."""
    for attr in ("room", "technician"):
        by_resource: dict[int, list[tuple[int, int]]] = {}
        for p in placed:
            by_resource.setdefault(getattr(p, attr), []).append((p.start, p.blocked_until))
        for resource, intervals in by_resource.items():
            intervals.sort()
            for (_, end), (start, _) in pairwise(intervals):
                if start < end:
                    raise AssertionError(f"overlap on {attr} {resource}")
