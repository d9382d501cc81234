"""S7: the slot engine alone, in memory (no database, no Django).

90 days x 30 resources (20 technicians, 10 rooms) x 5,000 bookings, then the same
with 10,000 bookings; a 60-minute service with a 15-minute buffer, any technician.
The inputs are built exactly as ``coresync.bookings.selectors.search_plan`` builds
them (busy intervals in epoch minutes, one sorted int64 array per technician and room, weekly
schedules in local minutes, a long-lived ``LocalClock`` as ``local_clock`` caches it).

Run alone: ``.venv/bin/python bench/engine.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.placement import CLOSE_MINUTE, OPEN_MINUTE, STEP, TZ_NAME, bench_days, place_bookings
from coresync.bookings.availability import (
    LocalClock,
    RoomCalendar,
    SlotQuery,
    TechnicianCalendar,
    find_slots,
)

N_TECHNICIANS = 20
N_ROOMS = 10
LEAD_MINUTES = 120


def _array(intervals: list[tuple[int, int]]) -> np.ndarray:
    return np.asarray(sorted(intervals), dtype=np.int64).reshape(-1, 2)


def engine_inputs(n_bookings: int, now: datetime, clock: LocalClock):
    today = clock.today(int(now.timestamp()) // 60)
    placed = place_bookings(n_bookings, today)
    tech_busy: dict[int, list[tuple[int, int]]] = {i: [] for i in range(N_TECHNICIANS)}
    room_busy: dict[int, list[tuple[int, int]]] = {i: [] for i in range(N_ROOMS)}
    for p in placed:
        tech_busy[p.technician].append((p.start, p.blocked_until))
        room_busy[p.room].append((p.start, p.blocked_until))
    weekly = {day: ((OPEN_MINUTE, CLOSE_MINUTE),) for day in range(7)}
    # As busy_intervals hands them over: one (n, 2) int64 array per resource, sorted by start.
    technicians = [TechnicianCalendar(id=i + 1, weekly=weekly, busy=_array(tech_busy[i])) for i in range(N_TECHNICIANS)]
    rooms = [RoomCalendar(id=i + 1, busy=_array(room_busy[i])) for i in range(N_ROOMS)]
    query = SlotQuery(
        days=bench_days(today, 90),
        opening=dict(weekly),
        step=STEP,
        need=60,
        block=75,
        earliest=int(now.timestamp()) // 60 + LEAD_MINUTES,
    )
    return query, technicians, rooms


def time_engine(n_bookings: int, repeats: int, now: datetime, clock: LocalClock) -> dict:
    query, technicians, rooms = engine_inputs(n_bookings, now, clock)
    for _ in range(3):  # warm: the clock caches each day's midnight, as the long-lived one in the server does
        slots = find_slots(query, clock, technicians, rooms)
    samples, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        find_slots(query, clock, technicians, rooms)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    samples.sort()
    return {
        "bookings": n_bookings,
        "busy_intervals": sum(len(t.busy) for t in technicians) + sum(len(r.busy) for r in rooms),
        "slots": len(slots),
        "median_ms": statistics.median(samples),
        # CPU time of this process: what the engine costs when other work shares the machine.
        "cpu_median_ms": statistics.median(cpu),
        "p95_ms": samples[min(len(samples) - 1, int(len(samples) * 0.95))],
        "min_ms": samples[0],
        "repeats": repeats,
    }


def run_s7(quick: bool = False, log=print) -> dict:
    clock = LocalClock(ZoneInfo(TZ_NAME))
    now = datetime.now(ZoneInfo(TZ_NAME))
    repeats = 15 if quick else 41
    runs = []
    for run in range(3):
        base = time_engine(5000, repeats, now, clock)
        double = time_engine(10000, repeats, now, clock)
        ratio = double["median_ms"] / base["median_ms"]
        cpu_ratio = double["cpu_median_ms"] / base["cpu_median_ms"]
        log(
            f"  S7 run {run + 1}: 5k median {base['median_ms']:.2f} ms, 10k median {double['median_ms']:.2f} ms, ratio {ratio:.2f}"
        )
        runs.append({"base": base, "double": double, "ratio": ratio, "cpu_ratio": cpu_ratio})
    runs.sort(key=lambda r: r["base"]["median_ms"])
    middle = runs[1]
    return {
        "base": middle["base"],
        "double": middle["double"],
        "ratio": statistics.median(r["ratio"] for r in runs),
        "cpu_ratio": statistics.median(r["cpu_ratio"] for r in runs),
        "runs": runs,
    }


if __name__ == "__main__":
    result = run_s7(quick="--quick" in sys.argv)
    b, d = result["base"], result["double"]
    print(
        f"5,000 bookings: median {b['median_ms']:.2f} ms (p95 {b['p95_ms']:.2f}), {b['slots']} slots, {b['busy_intervals']} busy intervals"
    )
    print(f"10,000 bookings: median {d['median_ms']:.2f} ms (p95 {d['p95_ms']:.2f}), {d['slots']} slots")
    print(f"ratio {result['ratio']:.2f} (target <= 1.3)")
