"""The slot engine: pure functions over plain integers.

Times are *epoch minutes* (whole minutes since 1970-01-01 UTC). The candidate
start times of the whole window form one sorted list, the *grid*; every
question about a resource ("is it working for [t, t+need)?", "is it free of
bookings for [t, t+block)?") becomes a Python-int bitmask over grid indices,
built from that resource's intervals with two bisections per interval. A
window of 90 days × 45 starts is a 4,050-bit integer, so combining 30
resources is a handful of big-int operations, and the cost grows with the
number of intervals, not with days × starts × resources.

Rules (SPEC §3): a start ``t`` is offered when it lies on the location's slot
grid and ``[t, t+need)`` fits the opening hours (``need`` = service + add-ons,
buffer excluded); ``t >= earliest`` (now + lead time); the day is inside the
caller's window (the caller passes only those days); some technician with the
skill works ``[t, t+need)`` (weekly schedule plus extra shifts minus time off)
and has no booking overlapping ``[t, t+block)`` (``block`` = need + buffer); a
room of the required type is free for ``[t, t+block)``; and no location-wide
external busy block overlaps ``[t, t+block)``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

import numpy as np

Interval = tuple[int, int]
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class LocalClock:
    """Local wall time ↔ epoch minutes for one time zone, fast on days without a DST change."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self._days: dict[date, int | None] = {}

    def _midnight(self, day: date) -> int | None:
        """Epoch minute of local midnight on a day with one UTC offset; None on a DST-change day."""
        cached = self._days.get(day, False)
        if cached is not False:
            return cached
        start = datetime.combine(day, time(0), self.tz).utcoffset()
        end = datetime.combine(day, time(23, 59), self.tz).utcoffset()
        midnight = None
        if start == end:
            midnight = (day.toordinal() - _EPOCH_ORDINAL) * 1440 - int(start.total_seconds()) // 60
        self._days[day] = midnight
        return midnight

    def midnight(self, day: date) -> int | None:
        return self._midnight(day)

    def to_epoch(self, day: date, minute_of_day: int) -> int:
        """The epoch minute of a local wall time (on a DST gap, the wall time is read with the old offset)."""
        midnight = self._midnight(day)
        if midnight is not None and 0 <= minute_of_day < 1440:
            return midnight + minute_of_day
        wall = datetime.combine(day, time(0)) + timedelta(minutes=minute_of_day)
        return int(wall.replace(tzinfo=self.tz).timestamp()) // 60

    def offset_at(self, epoch_minute: int) -> int:
        moment = datetime.fromtimestamp(epoch_minute * 60, self.tz)
        return int(moment.utcoffset().total_seconds()) // 60

    def today(self, now_epoch_minute: int) -> date:
        return datetime.fromtimestamp(now_epoch_minute * 60, self.tz).date()


def iso_local(epoch_minute: int, offset_minutes: int) -> str:
    """ISO 8601 with the local offset, e.g. ``2026-11-24T15:00:00-05:00``, without datetime objects."""
    local = epoch_minute + offset_minutes
    days, minute = divmod(local, 1440)
    day = date.fromordinal(_EPOCH_ORDINAL + days)
    sign = "-" if offset_minutes < 0 else "+"
    off_h, off_m = divmod(abs(offset_minutes), 60)
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00{sign}{off_h:02d}:{off_m:02d}"


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint union of half-open intervals."""
    out: list[list[int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1][1] = end
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def subtract(intervals: Sequence[Interval], cuts: Sequence[Interval]) -> list[Interval]:
    """``intervals`` minus ``cuts``; both sorted and disjoint (as ``merge`` returns them)."""
    if not cuts:
        return list(intervals)
    out: list[Interval] = []
    j = 0
    for start, end in intervals:
        while j < len(cuts) and cuts[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < len(cuts) and cuts[k][0] < end:
            if cuts[k][0] > cursor:
                out.append((cursor, cuts[k][0]))
            cursor = max(cursor, cuts[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


@dataclass
class TechnicianCalendar:
    id: int
    weekly: dict[int, tuple[Interval, ...]]  # weekday -> local minute blocks
    extra_shifts: Sequence[Interval] = ()  # epoch minutes
    time_off: Sequence[Interval] = ()  # epoch minutes
    busy: Sequence[Interval] = ()  # bookings (start, blocked_until) and external busy, epoch minutes


@dataclass
class RoomCalendar:
    id: int
    busy: Sequence[Interval] = ()


@dataclass
class SlotQuery:
    days: Sequence[date]  # local dates to search, already clipped to the caller's window
    opening: dict[int, tuple[Interval, ...]]  # weekday -> local minute blocks
    step: int
    need: int  # minutes the guest is served: service + add-ons
    block: int  # need + buffer: how long technician and room stay busy
    earliest: int  # epoch minute: now + lead time
    closed: Sequence[Interval] = field(default_factory=tuple)  # location-wide external busy blocks


@dataclass
class Grid:
    starts: list[int]  # candidate starts, epoch minutes, sorted
    day_ranges: list[tuple[int, int]]  # (first index, end index) of each day with starts
    day_bounds: list[tuple[int, int]] = field(default_factory=list)  # (local midnight, next midnight) of those days
    _array: np.ndarray | None = field(default=None, repr=False)
    day_bounds: list[tuple[int, int]] = field(default_factory=list)  # (local midnight, next midnight) of those days

    @property
    def full(self) -> int:
        return (1 << len(self.starts)) - 1

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            self._array = np.asarray(self.starts, dtype=np.int64)
        return self._array


def build_grid(query: SlotQuery, clock: LocalClock) -> Grid:
    starts: list[int] = []
    day_ranges: list[tuple[int, int]] = []
    day_bounds: list[tuple[int, int]] = []
    for day in query.days:
        first = len(starts)
        for open_minute, close_minute in query.opening.get(day.weekday(), ()):
            opens = clock.to_epoch(day, open_minute)
            closes = clock.to_epoch(day, close_minute)
            t = opens
            last = closes - query.need
            if t < query.earliest:  # jump to the first grid point at or after earliest
                t += -(-(query.earliest - t) // query.step) * query.step
            starts.extend(range(t, last + 1, query.step))
        if len(starts) > first:
            day_ranges.append((first, len(starts)))
            day_bounds.append((clock.to_epoch(day, 0), clock.to_epoch(day + timedelta(days=1), 0)))
    return Grid(starts=starts, day_ranges=day_ranges, day_bounds=day_bounds)


def _mask(first: int, end: int) -> int:
    return ((1 << (end - first)) - 1) << first if end > first else 0


def _as_array(grid) -> np.ndarray:
    return grid if isinstance(grid, np.ndarray) else np.asarray(grid, dtype=np.int64)


def _pairs(intervals) -> np.ndarray:
    """Intervals as an (n, 2) int64 array without empty ones; ``fromiter`` is ~5x faster than ``asarray`` on tuples."""
    if isinstance(intervals, np.ndarray):
        pairs = intervals.reshape(-1, 2)
    else:
        if not isinstance(intervals, Sequence):
            intervals = list(intervals)
        pairs = np.fromiter(chain.from_iterable(intervals), dtype=np.int64, count=2 * len(intervals)).reshape(-1, 2)
    return pairs[pairs[:, 1] > pairs[:, 0]]


def _union_of_ranges(size: int, first: np.ndarray, end: np.ndarray) -> int:
    """Bits ``[first[i], end[i])`` for every i, as one Python int, computed in C.

    A difference array (+1 at each first, -1 at each end) summed up marks every
    index that lies in at least one range; ``packbits`` turns that into the int.
    """
    keep = end > first
    if not keep.any():
        return 0
    first, end = first[keep], end[keep]
    delta = np.bincount(first, minlength=size + 1) - np.bincount(end, minlength=size + 1)
    covered = np.cumsum(delta[:size]) > 0
    return int.from_bytes(np.packbits(covered, bitorder="little").tobytes(), "little")


def fits_mask(grid, intervals: Iterable[Interval], length: int) -> int:
    """Starts ``t`` with ``[t, t+length)`` inside one of ``intervals``."""
    pairs = _pairs(intervals)
    if not len(pairs):
        return 0
    grid = _as_array(grid)
    first = np.searchsorted(grid, pairs[:, 0], side="left")
    end = np.searchsorted(grid, pairs[:, 1] - length, side="right")
    return _union_of_ranges(len(grid), first, end)


def overlap_mask(grid, intervals: Iterable[Interval], length: int) -> int:
    """Starts ``t`` whose ``[t, t+length)`` overlaps one of ``intervals`` (any order; they may overlap).

    This is where the cost of many bookings goes, so it runs in C: two
    ``searchsorted`` calls and a difference array, no Python loop per booking.
    """
    pairs = _pairs(intervals)
    if not len(pairs):
        return 0
    grid = _as_array(grid)
    first = np.searchsorted(grid, pairs[:, 0] - length, side="right")
    end = np.searchsorted(grid, pairs[:, 1], side="left")
    return _union_of_ranges(len(grid), first, end)


def working_intervals(tech: TechnicianCalendar, days: Sequence[date], clock: LocalClock) -> list[Interval]:
    blocks: list[Interval] = []
    for day in days:
        shifts = tech.weekly.get(day.weekday())
        if not shifts:
            continue
        midnight = clock.midnight(day)
        if midnight is None:  # a DST-change day: convert each wall time on its own
            blocks.extend((clock.to_epoch(day, start), clock.to_epoch(day, end)) for start, end in shifts)
        else:
            blocks.extend((midnight + start, midnight + end) for start, end in shifts)
    if tech.extra_shifts:
        blocks.extend(tech.extra_shifts)
    return subtract(merge(blocks), merge(tech.time_off))


class WorkDays:
    """The days a search covers, grouped by weekday, with each one's local midnight: shared by all technicians."""

    def __init__(self, days: Sequence[date], clock: LocalClock):
        self.clock = clock
        self.irregular: list[date] = []  # DST-change days: each wall time converted on its own
        by_weekday: dict[int, list[int]] = {}
        for day in days:
            midnight = clock.midnight(day)
            if midnight is None:
                self.irregular.append(day)
            else:
                by_weekday.setdefault(day.weekday(), []).append(midnight)
        self.midnights = {wd: np.asarray(m, dtype=np.int64) for wd, m in by_weekday.items()}


def merge_pairs(pairs: np.ndarray) -> np.ndarray:
    """``merge`` for an (n, 2) array: sorted, disjoint union, in C."""
    pairs = pairs[pairs[:, 1] > pairs[:, 0]]
    if len(pairs) < 2:
        return pairs
    pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
    reach = np.maximum.accumulate(pairs[:, 1])
    new = np.empty(len(pairs), dtype=bool)
    new[0] = True
    new[1:] = pairs[1:, 0] > reach[:-1]
    heads = np.flatnonzero(new)
    return np.stack([pairs[heads, 0], np.maximum.reduceat(pairs[:, 1], heads)], axis=1)


def working_pairs(tech: TechnicianCalendar, days: WorkDays) -> np.ndarray:
    """``working_intervals`` as a sorted, disjoint (n, 2) array, built per weekday rather than per day."""
    parts = []
    for weekday, midnights in days.midnights.items():
        shifts = tech.weekly.get(weekday)
        if shifts:
            shift_array = np.asarray(shifts, dtype=np.int64).reshape(1, -1, 2)
            parts.append((midnights.reshape(-1, 1, 1) + shift_array).reshape(-1, 2))
    clock = days.clock
    extra = [(clock.to_epoch(day, a), clock.to_epoch(day, b)) for day in days.irregular for a, b in tech.weekly.get(day.weekday(), ())]
    extra.extend(tech.extra_shifts)
    if extra:
        parts.append(_pairs(extra))
    working = merge_pairs(np.concatenate(parts)) if parts else np.zeros((0, 2), dtype=np.int64)
    if len(tech.time_off):
        working = _pairs(subtract([tuple(p) for p in working.tolist()], merge(tech.time_off)))
    return working


def technician_masks(
    query: SlotQuery, grid: Grid, clock: LocalClock, technicians: Sequence[TechnicianCalendar], busy: dict[int, np.ndarray] | None = None
) -> dict[int, int]:
    """For each technician, the grid starts they can take."""
    masks: dict[int, int] = {}
    # Working days include the day before: a shift may run past midnight into the window.
    days = list(query.days)
    if days:
        days = [days[0] - timedelta(days=1), *days]
    starts = grid.array
    for tech in technicians:
        works = fits_mask(starts, working_intervals(tech, days, clock), query.need)
        if works:
            intervals = busy[tech.id] if busy is not None else _pairs(tech.busy)
            masks[tech.id] = works & ~overlap_mask(starts, intervals, query.block)
    return masks


def day_load(grid: Grid, busy) -> list[int]:
    """Booked minutes per grid day (by the local day of the start), used to share work fairly.

    Only busy time starting on that local day counts: the busy list also holds the
    next day's bookings, and counting them would make the assignment depend on
    how many days were asked for (availability and booking_create disagreeing).
    """
    if not grid.day_bounds or not len(busy):
        return [0] * len(grid.day_ranges)
    pairs = _pairs(busy)
    bounds = np.asarray(grid.day_bounds, dtype=np.int64)
    index = np.searchsorted(bounds[:, 0], pairs[:, 0], side="right") - 1
    inside = index >= 0
    inside[inside] &= pairs[inside, 0] < bounds[index[inside], 1]
    minutes = np.bincount(index[inside], weights=pairs[inside, 1] - pairs[inside, 0], minlength=len(bounds))
    return minutes.astype(np.int64).tolist()


class WorkMeter:
    """Counts the elements the engine's array steps touch (grid cells, intervals), for S7's deterministic test.

    Every step that costs more with more bookings or a longer window adds the size
    of what it processes: ``intervals`` (busy, working and closed intervals located
    on the grid) and ``cells`` (resource × grid-start cells combined). Counting is
    two integer additions per step, so it stays on in production.
    """

    def __init__(self) -> None:
        self.intervals = 0
        self.cells = 0

    @property
    def total(self) -> int:
        return self.intervals + self.cells


METER = WorkMeter()


def _cover(starts: np.ndarray, rows: int, row: np.ndarray, first: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A (rows, len(starts)) boolean matrix: cell ``[row[i], j]`` set for ``first[i] <= j < end[i]``.

    One difference array for all rows (+1 at each first, -1 at each end, a
    running sum along each row), so the cost is the number of ranges plus the
    number of cells, never ranges × cells.
    """
    size = len(starts)
    keep = end > first
    width = size + 1
    delta = np.zeros(rows * width, dtype=np.int32)
    if keep.any():
        row, first, end = row[keep], first[keep], end[keep]
        delta += np.bincount(row * width + first, minlength=rows * width).astype(np.int32)
        delta -= np.bincount(row * width + end, minlength=rows * width).astype(np.int32)
    METER.intervals += len(first)
    METER.cells += rows * size
    return np.cumsum(delta.reshape(rows, width)[:, :size], axis=1) > 0


def _stacked(interval_lists: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-resource intervals: (row index per interval, (n, 2) pairs)."""
    pairs = [_pairs(intervals) for intervals in interval_lists]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64)
    row = np.repeat(np.arange(len(pairs), dtype=np.int64), [len(p) for p in pairs])
    return row, np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)


def overlap_matrix(starts: np.ndarray, interval_lists: Sequence, length: int) -> np.ndarray:
    """(resources, starts) booleans: ``[t, t+length)`` overlaps one of that resource's intervals."""
    row, pairs = _stacked(interval_lists)
    first = np.searchsorted(starts, pairs[:, 0] - length, side="right")
    end = np.searchsorted(starts, pairs[:, 1], side="left")
    return _cover(starts, len(interval_lists), row, first, end)


def fits_matrix(starts: np.ndarray, interval_lists: Sequence, length: int) -> np.ndarray:
    """(resources, starts) booleans: ``[t, t+length)`` lies inside one of that resource's intervals."""
    row, pairs = _stacked(interval_lists)
    first = np.searchsorted(starts, pairs[:, 0], side="left")
    end = np.searchsorted(starts, pairs[:, 1] - length, side="right")
    return _cover(starts, len(interval_lists), row, first, end)


def day_loads(grid: Grid, busy_lists: Sequence) -> np.ndarray:
    """(technicians, grid days) booked minutes by the local day of each busy start (see ``day_load``)."""
    loads = np.zeros((len(busy_lists), len(grid.day_ranges)), dtype=np.int64)
    if not grid.day_bounds:
        return loads
    row, pairs = _stacked(busy_lists)
    if not len(pairs):
        return loads
    bounds = np.asarray(grid.day_bounds, dtype=np.int64)
    index = np.searchsorted(bounds[:, 0], pairs[:, 0], side="right") - 1
    inside = index >= 0
    inside[inside] &= pairs[inside, 0] < bounds[index[inside], 1]
    days = len(bounds)
    flat = np.bincount(row[inside] * days + index[inside], weights=pairs[inside, 1] - pairs[inside, 0], minlength=len(busy_lists) * days)
    METER.intervals += len(pairs)
    return flat.reshape(len(busy_lists), days).astype(np.int64)


def find_slot_arrays(
    query: SlotQuery,
    clock: LocalClock,
    technicians: Sequence[TechnicianCalendar],
    rooms: Sequence[RoomCalendar],
) -> tuple[np.ndarray, np.ndarray]:
    """Every bookable start and the technician the booking service would assign, as two int64 arrays.

    The whole window is one grid; each rule is a (resources × starts) boolean
    matrix built in C (``overlap_matrix``/``fits_matrix``), and the assignment
    is one ``argmin``: on each day, the free technician with the fewest booked
    minutes that day (ties by id).
    """
    empty = np.zeros(0, dtype=np.int64)
    grid = build_grid(query, clock)
    if not grid.starts or not technicians or not rooms:
        return empty, empty
    starts = grid.array
    offered = overlap_matrix(starts, [rooms[i].busy for i in range(len(rooms))], query.block)
    offered = ~offered.all(axis=0)  # some room is free
    if query.closed:
        offered &= ~overlap_matrix(starts, [query.closed], query.block)[0]
    days = list(query.days)
    # Working days include the day before: a shift may run past midnight into the window.
    work_days = [days[0] - timedelta(days=1), *days] if days else days
    week = WorkDays(work_days, clock)
    works = fits_matrix(starts, [working_pairs(tech, week) for tech in technicians], query.need)
    busy = [_pairs(tech.busy) for tech in technicians]  # converted once, used twice
    able = works & ~overlap_matrix(starts, busy, query.block)
    able &= offered
    any_able = able.any(axis=0)
    if not any_able.any():
        return empty, empty
    ids = np.asarray([tech.id for tech in technicians], dtype=np.int64)
    id_rank = np.argsort(np.argsort(ids, kind="stable"), kind="stable")
    key = day_loads(grid, busy) * len(technicians) + id_rank[:, None]  # (technicians, days): smaller is assigned first
    day_of_start = np.repeat(np.arange(len(grid.day_ranges)), [end - first for first, end in grid.day_ranges])
    cost = np.where(able, key[:, day_of_start], np.iinfo(np.int64).max)
    METER.cells += able.size
    chosen = ids[np.argmin(cost, axis=0)]
    return starts[any_able], chosen[any_able]


def find_slots(
    query: SlotQuery,
    clock: LocalClock,
    technicians: Sequence[TechnicianCalendar],
    rooms: Sequence[RoomCalendar],
) -> list[tuple[int, int]]:
    """Every bookable start as ``(epoch minute, technician id)``, sorted by start.

    Each start names the technician the booking service would assign: on each
    day, the free technician with the fewest booked minutes that day (ties by id).
    """
    found_starts, found_ids = find_slot_arrays(query, clock, technicians, rooms)
    return list(zip(found_starts.tolist(), found_ids.tolist(), strict=True))


def _bits(mask: int) -> Iterable[int]:
    """Indices of the set bits of ``mask``, ascending."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def technician_order_for_start(
    start: int,
    query: SlotQuery,
    clock: LocalClock,
    technicians: Sequence[TechnicianCalendar],
) -> list[int]:
    """Technicians who can take exactly ``start``, in the order the engine assigns them."""
    day_query = SlotQuery(
        days=query.days, opening=query.opening, step=query.step, need=query.need,
        block=query.block, earliest=query.earliest, closed=query.closed,
    )
    grid = build_grid(day_query, clock)
    index = bisect_left(grid.starts, start)
    if index == len(grid.starts) or grid.starts[index] != start:
        return []
    bit = 1 << index
    masks = technician_masks(day_query, grid, clock, technicians)
    day_index = next(i for i, (first, end) in enumerate(grid.day_ranges) if first <= index < end)
    able = [tid for tid, mask in masks.items() if mask & bit]
    busy_by_id = {tech.id: tech.busy for tech in technicians}
    return sorted(able, key=lambda tid: (day_load(grid, busy_by_id[tid])[day_index], tid))


def free_rooms_for_start(start: int, block: int, rooms: Sequence[RoomCalendar]) -> list[int]:
    """Rooms free for ``[start, start+block)``, least used first (ties by id)."""
    free = []
    for room in rooms:
        if all(end <= start or begin >= start + block for begin, end in room.busy):
            used = sum(end - begin for begin, end in room.busy)
            free.append((used, room.id))
    return [room_id for _, room_id in sorted(free)]
