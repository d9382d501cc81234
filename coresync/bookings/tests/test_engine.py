"""The slot engine alone (no database): interval algebra, masks, find_slots against a brute-force reference, S7."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from coresync.bookings.availability import (
    LocalClock,
    RoomCalendar,
    SlotQuery,
    TechnicianCalendar,
    find_slots,
    fits_mask,
    iso_local,
    merge,
    overlap_mask,
    subtract,
    technician_order_for_start,
)

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2030, 6, 3)


def bits(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


# --- interval algebra -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intervals", "merged"),
    [
        ([], []),
        ([(5, 10)], [(5, 10)]),
        ([(5, 10), (1, 3)], [(1, 3), (5, 10)]),  # sorted
        ([(1, 5), (5, 8)], [(1, 8)]),  # touching half-open intervals join
        ([(1, 5), (2, 3)], [(1, 5)]),  # contained
        ([(1, 5), (4, 9), (20, 30), (25, 26)], [(1, 9), (20, 30)]),
        ([(3, 3), (7, 4)], []),  # empty and reversed intervals vanish
    ],
)
def test_merge(intervals, merged):
    assert merge(intervals) == merged


@pytest.mark.parametrize(
    ("intervals", "cuts", "rest"),
    [
        ([(0, 10)], [], [(0, 10)]),
        ([(0, 10)], [(3, 5)], [(0, 3), (5, 10)]),
        ([(0, 10)], [(0, 10)], []),
        ([(0, 10)], [(-5, 2), (8, 20)], [(2, 8)]),
        ([(0, 10), (20, 30)], [(5, 25)], [(0, 5), (25, 30)]),
        ([(0, 10), (20, 30)], [(10, 20)], [(0, 10), (20, 30)]),  # cut only in the gap
        ([(0, 10)], [(2, 3), (4, 5), (6, 7)], [(0, 2), (3, 4), (5, 6), (7, 10)]),
    ],
)
def test_subtract(intervals, cuts, rest):
    assert subtract(intervals, cuts) == rest


def test_fits_mask_keeps_starts_whose_whole_length_fits():
    grid = [0, 15, 30, 45, 60, 75, 90]

    assert bits(fits_mask(grid, [(15, 90)], 30)) == [1, 2, 3, 4]  # 15..60: 60+30 = 90 still fits
    assert bits(fits_mask(grid, [(0, 29), (30, 75)], 30)) == [2, 3]
    assert fits_mask(grid, [(0, 20)], 30) == 0


def test_overlap_mask_marks_starts_whose_interval_touches_a_busy_one():
    grid = [0, 15, 30, 45, 60, 75, 90]

    # busy [45, 60), length 30: starts 30 (30..60) and 45 overlap; 15 ends at 45 exactly and does not.
    assert bits(overlap_mask(grid, [(45, 60)], 30)) == [2, 3]
    assert bits(overlap_mask(grid, [(45, 60), (50, 55), (0, 1)], 30)) == [0, 2, 3]
    assert overlap_mask(grid, [], 30) == 0


def test_iso_local_writes_the_offset():
    clock = LocalClock(NEW_YORK)
    winter = clock.to_epoch(date(2030, 1, 7), 9 * 60)
    summer = clock.to_epoch(MONDAY, 9 * 60)

    assert iso_local(winter, clock.offset_at(winter)) == "2030-01-07T09:00:00-05:00"
    assert iso_local(summer, clock.offset_at(summer)) == "2030-06-03T09:00:00-04:00"
    assert iso_local(0, 330) == "1970-01-01T05:30:00+05:30"


# --- find_slots against a minute-by-minute reference ----------------------------------------------------------------


def reference_slots(query: SlotQuery, clock: LocalClock, technicians, rooms) -> list[tuple[int, int]]:
    """The rules of SPEC §3 spelled out minute by minute, without masks or bisection."""
    days = list(query.days)

    def minutes(intervals):
        return {m for start, end in intervals for m in range(start, end)}

    def free(busy, t):
        return all(end <= t or start >= t + query.block for start, end in busy)

    slots = []
    for day in days:
        candidates = []
        for opens, closes in query.opening.get(day.weekday(), ()):
            t, last = clock.to_epoch(day, opens), clock.to_epoch(day, closes) - query.need
            while t <= last:
                candidates.append(t)
                t += query.step
        for t in candidates:
            if t < query.earliest or not free(query.closed, t) or not any(free(r.busy, t) for r in rooms):
                continue
            able = []
            for tech in technicians:
                shifts = [(clock.to_epoch(d, a), clock.to_epoch(d, b)) for d in [days[0] - timedelta(days=1), *days]
                          for a, b in tech.weekly.get(d.weekday(), ())]
                working = minutes([*shifts, *tech.extra_shifts]) - minutes(tech.time_off)
                if all(m in working for m in range(t, t + query.need)) and free(tech.busy, t):
                    able.append(tech)
            if able:
                # Least booked minutes on this local day, ties by id.
                load = {tech.id: sum(end - start for start, end in tech.busy if clock.today(start) == day) for tech in able}
                slots.append((t, min(able, key=lambda tech: (load[tech.id], tech.id)).id))
    return slots


def random_case(rnd: random.Random):
    clock = LocalClock(NEW_YORK)
    first = MONDAY + timedelta(days=rnd.randrange(0, 7))
    days = [first + timedelta(days=i) for i in range(rnd.randint(1, 3))]
    step = rnd.choice([5, 10, 15, 30])

    def blocks():
        out, cursor = [], rnd.randrange(6 * 60, 11 * 60, 5)
        for _ in range(rnd.randint(0, 2)):
            end = cursor + rnd.randrange(30, 6 * 60, 5)
            out.append((cursor, min(end, 1440)))
            cursor = min(end, 1440) + rnd.randrange(0, 120, 5)
            if cursor >= 1440:
                break
        return tuple(out)

    def spans(count, longest):
        base = clock.to_epoch(days[0], 0)
        out = []
        for _ in range(count):
            start = base + rnd.randrange(0, len(days) * 1440, 5)
            out.append((start, start + rnd.randrange(5, longest, 5)))
        return out

    opening = {wd: blocks() for wd in range(7)}
    technicians = [
        TechnicianCalendar(
            id=tid, weekly={wd: blocks() for wd in range(7) if rnd.random() < 0.8},
            extra_shifts=sorted(spans(rnd.randint(0, 2), 240)), time_off=sorted(spans(rnd.randint(0, 2), 300)),
            busy=sorted(spans(rnd.randint(0, 8), 150)),
        )
        for tid in rnd.sample(range(1, 50), rnd.randint(1, 4))
    ]
    rooms = [RoomCalendar(id=100 + i, busy=sorted(spans(rnd.randint(0, 8), 150))) for i in range(rnd.randint(1, 3))]
    need = rnd.choice([15, 30, 45, 60, 90])
    query = SlotQuery(
        days=days, opening=opening, step=step, need=need, block=need + rnd.choice([0, 5, 10, 15]),
        earliest=clock.to_epoch(days[0], rnd.randrange(0, 1440, 5)) if rnd.random() < 0.5 else 0,
        closed=spans(rnd.randint(0, 2), 120),
    )
    return query, clock, technicians, rooms


@pytest.mark.parametrize("seed", range(4))
def test_find_slots_matches_the_brute_force_reference(seed):
    rnd = random.Random(20300603 + seed)
    for _case in range(100):
        query, clock, technicians, rooms = random_case(rnd)

        found = find_slots(query, clock, technicians, rooms)
        expected = reference_slots(query, clock, technicians, rooms)

        assert found == expected, (query, technicians, rooms)
        for start, tech_id in found[:: max(1, len(found) // 5)]:
            # booking_create asks about the start's own day only; it must lead with the technician the engine named.
            one_day = replace(query, days=[clock.today(start)])
            assert technician_order_for_start(start, one_day, clock, technicians)[0] == tech_id


def test_find_slots_on_an_empty_day_list_offers_nothing():
    clock = LocalClock(NEW_YORK)
    query = SlotQuery(days=[], opening={0: ((540, 1020),)}, step=15, need=60, block=75, earliest=0)

    assert find_slots(query, clock, [TechnicianCalendar(id=1, weekly={0: ((540, 1020),)})], [RoomCalendar(id=1)]) == []


def test_a_shift_that_runs_past_midnight_counts_on_the_next_day():
    clock = LocalClock(NEW_YORK)
    tuesday = MONDAY + timedelta(days=1)
    query = SlotQuery(days=[tuesday], opening={1: ((0, 120),)}, step=30, need=60, block=60, earliest=0)
    night_owl = TechnicianCalendar(id=1, weekly={0: ((22 * 60, 26 * 60),)})  # Monday 22:00 to Tuesday 02:00

    found = find_slots(query, clock, [night_owl], [RoomCalendar(id=1)])

    assert [iso_local(t, -240) for t, _ in found] == ["2030-06-04T00:00:00-04:00", "2030-06-04T00:30:00-04:00", "2030-06-04T01:00:00-04:00"]
