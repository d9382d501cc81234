"""S7 (SPEC §9) as a deterministic check: how the slot engine's work grows from 5,000 to 10,000 bookings.

90 days × 30 resources (20 technicians, 10 rooms, all working 09:00–21:00) with
5,000 and then 10,000 bookings placed at random (fixed seed) without overlaps.
Work is counted, not timed, the same on every run and every machine, in the two
places it can hide:

- in numpy: ``availability.METER`` adds the size of what each array step
  processes (intervals located on the grid, resource × start cells combined);
- in Python: the lines executed inside ``availability.py`` (``sys.settrace``).

How the guard was checked to fail: ``_cover`` was replaced by hand with a
per-booking scan of its resource's row (``row_mask = (cells >= first[i]) &
(cells < end[i])`` for every interval, metering ``size`` cells each, the shape
of a per-booking grid scan): the counted work went from 1.05× to 1.85× for
twice the bookings and ``test_s7_twice_the_bookings_cost_at_most_1_3_times_the_work``
failed; a per-booking Python loop in ``find_slot_arrays`` failed the line
count the same way (a loop over every technician's busy intervals: 1.63×). The old line-only counter could no longer fail once
the per-booking work moved into numpy (0.74×).
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from coresync.bookings import availability
from coresync.bookings.availability import LocalClock, RoomCalendar, SlotQuery, TechnicianCalendar, find_slots

FIRST_DAY = date(2030, 6, 3)
OPEN, CLOSE = 9 * 60, 21 * 60


def spread(rnd: random.Random, bookings: int, resources: int, days: list[date], clock: LocalClock) -> list[list[tuple[int, int]]]:
    """``bookings`` intervals (30–60 min incl. buffer) over ``resources``, at most one per resource-hour, so none overlap."""
    hours = [(r, d, h) for r in range(resources) for d in range(len(days)) for h in range((CLOSE - OPEN) // 60)]
    busy: list[list[tuple[int, int]]] = [[] for _ in range(resources)]
    for r, d, h in rnd.sample(hours, bookings):
        minutes = rnd.choice([30, 45, 60])
        start = clock.to_epoch(days[d], OPEN + h * 60 + (rnd.choice([0, 15]) if minutes < 60 else 0))
        busy[r].append((start, start + minutes))
    return [sorted(intervals) for intervals in busy]


def engine_inputs(bookings: int, seed: int = 7):
    rnd, clock = random.Random(seed), LocalClock(ZoneInfo("America/New_York"))
    days = [FIRST_DAY + timedelta(days=i) for i in range(90)]
    hours = {weekday: ((OPEN, CLOSE),) for weekday in range(7)}
    technician_busy, room_busy = spread(rnd, bookings, 20, days, clock), spread(rnd, bookings, 10, days, clock)
    technicians = [TechnicianCalendar(id=i + 1, weekly=hours, busy=technician_busy[i]) for i in range(20)]
    rooms = [RoomCalendar(id=100 + i, busy=room_busy[i]) for i in range(10)]
    query = SlotQuery(days=days, opening=hours, step=15, need=60, block=75, earliest=clock.to_epoch(FIRST_DAY, 0))
    return query, clock, technicians, rooms


def engine_work(bookings: int) -> dict[str, int]:
    """Work counted for one find_slots call: numpy elements (METER) and Python lines in availability.py."""
    query, clock, technicians, rooms = engine_inputs(bookings)
    find_slots(query, clock, technicians, rooms)  # warm the clock's per-day cache, as the long-lived one in a server is
    lines = 0
    engine_file = availability.__file__

    def count_lines(frame, event, arg):
        nonlocal lines
        if event == "line":
            lines += 1
        return count_lines

    def enter(frame, event, arg):
        return count_lines if frame.f_code.co_filename == engine_file else None

    meter = availability.METER
    intervals, cells = meter.intervals, meter.cells
    previous = sys.gettrace()
    sys.settrace(enter)
    try:
        slots = find_slots(query, clock, technicians, rooms)
    finally:
        sys.settrace(previous)
    return {
        "elements": meter.intervals - intervals + meter.cells - cells,
        "intervals": meter.intervals - intervals,
        "lines": lines,
        "slots": len(slots),
        "busy": sum(len(t.busy) for t in technicians) + sum(len(r.busy) for r in rooms),
    }


@pytest.fixture(scope="module")
def work():
    return {n: engine_work(n) for n in (5000, 10000)}


def test_the_work_counter_sees_bookings(work):
    base, double = work[5000], work[10000]

    assert base["slots"] > double["slots"] > 0  # the fuller diary offers fewer starts
    assert base["lines"] > 20  # the Python side is counted
    # every busy interval is located on the grid (twice for technicians: masks and day loads)
    assert base["intervals"] >= base["busy"] and double["intervals"] - base["intervals"] >= base["busy"]
    assert base["elements"] > 30 * base["slots"]  # the resource × start cells are counted too


def test_twice_the_bookings_cost_less_than_twice_the_work(work):
    """Guard against super-linear regressions (a per-booking scan of the grid would be ~2× or worse)."""
    assert work[10000]["elements"] / work[5000]["elements"] < 1.6
    assert work[10000]["lines"] / work[5000]["lines"] < 1.6


def test_s7_twice_the_bookings_cost_at_most_1_3_times_the_work(work):
    assert work[10000]["elements"] / work[5000]["elements"] <= 1.3
    assert work[10000]["lines"] / work[5000]["lines"] <= 1.3
