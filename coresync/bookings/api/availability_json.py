"""The availability answer as JSON bytes, written straight from the engine's arrays (SPEC §4 shape)."""

from __future__ import annotations

from datetime import date, timedelta

from rest_framework.renderers import JSONRenderer

from coresync.bookings import selectors

_EPOCH = date(1970, 1, 1)
_CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}:00" for minute in range(1440)]


def _offset_suffix(offset: int) -> str:
    hours, minutes = divmod(abs(offset), 60)
    return f"{'-' if offset < 0 else '+'}{hours:02d}:{minutes:02d}"


def availability_body(result: selectors.Availability) -> bytes:
    """The availability answer as JSON bytes, written straight from the engine's arrays.

    Byte for byte what ``JSONRenderer`` makes of the contract dict with ``slots_payload`` (tested); a
    90-day answer has ~4,000 slots, and building a dict per slot and encoding it cost more than finding
    the slots. Dates and offsets are formatted once per distinct value, times of day come from a table,
    each technician's JSON is encoded once.
    """
    head = JSONRenderer().render(
        {
            "service": {"slug": result.service.slug, "name": result.service.name, "duration_minutes": result.service.duration},
            "timezone": result.location.tz.key,
            "window_ends": result.window_ends.isoformat(),
            "slots": [],
        }
    )
    if not len(result.starts):
        return head
    technicians = {
        tid: JSONRenderer().render({"id": tid, "name": name}).decode() for tid, name in result.names.items()
    }
    local_start = result.starts + result.offsets
    local_end = local_start + result.need
    days: dict[int, str] = {}
    suffixes: dict[int, str] = {}
    for day in set((local_start // 1440).tolist()) | set((local_end // 1440).tolist()):
        days[day] = (_EPOCH + timedelta(days=day)).isoformat() + "T"
    for offset in set(result.offsets.tolist()):
        suffixes[offset] = _offset_suffix(offset)
    clock = _CLOCK
    parts = [
        f'{{"start":"{days[s // 1440]}{clock[s % 1440]}{suffixes[o]}","end":"{days[e // 1440]}{clock[e % 1440]}{suffixes[o]}",'
        f'"technician":{technicians[t]}}}'
        for s, e, o, t in zip(
            local_start.tolist(), local_end.tolist(), result.offsets.tolist(), result.technician_ids.tolist(), strict=True
        )
    ]
    return head[:-3] + b"[" + ",".join(parts).encode() + b"]}"
