"""The scheduling read model: who works where, with which skills, when (weekly shifts, time off, extra shifts).

Availability reads every active technician's week and exceptions on each
request. Like the catalog, this is built once per *schedule version* and kept in
process memory (``core.snapshots``); the version lives in the shared cache and
is bumped by any save or delete of a technician, a weekly shift, a time off or
an extra shift (``technicians.signals``). It is its own read model so that a
time-off edit (soon from the technicians' portal) rebuilds only this, not the
catalog nor the concierge's phrase index.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from coresync.catalog.selectors import ServiceInfo, epoch_minutes
from coresync.core.snapshots import VersionedSnapshot

SCHEDULE_VERSION_KEY = "technicians:schedule-version"


@dataclass(frozen=True)
class TechnicianInfo:
    id: int
    name: str
    location_id: int
    skill_ids: frozenset[int]
    weekly: dict[int, tuple[tuple[int, int], ...]]  # weekday -> ((start_minute, end_minute), ...) local wall time
    time_off: tuple[tuple[int, int], ...]  # epoch minutes, sorted
    extra_shifts: tuple[tuple[int, int], ...]  # epoch minutes, sorted


@dataclass
class ScheduleSnapshot:
    version: str
    technicians: dict[int, TechnicianInfo]  # active technicians only

    def technicians_for(self, service: ServiceInfo) -> list[TechnicianInfo]:
        """Who may perform ``service``: same location, the required skill."""
        return [
            t for t in self.technicians.values() if t.location_id == service.location_id and service.skill_id in t.skill_ids
        ]

    @property
    def roster(self) -> tuple[tuple[int, str], ...]:
        """``(id, name)`` of every active technician: what changes the concierge's phrases (not a time off)."""
        return tuple((t.id, t.name) for t in self.technicians.values())


def _minutes(t) -> int:
    return t.hour * 60 + t.minute


def _load_schedule(version: str) -> ScheduleSnapshot:
    """Five queries, whatever the number of technicians and exceptions; exceptions ended over a day ago are left out.

    Only approved time off counts: a request waiting for the manager keeps its slots open.
    """
    from coresync.technicians.models import ExtraShift, Technician, TimeOff, WeeklyShift

    horizon = timezone.now() - timedelta(days=1)
    weekly: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for technician_id, weekday, starts, ends in WeeklyShift.objects.values_list("technician_id", "weekday", "starts", "ends"):
        weekly[technician_id][weekday].append((_minutes(starts), _minutes(ends)))
    off: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for technician_id, starts, ends in TimeOff.objects.filter(ends_at__gte=horizon, status="approved").values_list("technician_id", "starts_at", "ends_at"):
        off[technician_id].append((epoch_minutes(starts), epoch_minutes(ends)))
    extra: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for technician_id, starts, ends in ExtraShift.objects.filter(ends_at__gte=horizon).values_list("technician_id", "starts_at", "ends_at"):
        extra[technician_id].append((epoch_minutes(starts), epoch_minutes(ends)))
    technicians = {
        t.id: TechnicianInfo(
            id=t.id, name=t.display_name, location_id=t.location_id,
            skill_ids=frozenset(skill.id for skill in t.skills.all()),
            weekly={day: tuple(sorted(blocks)) for day, blocks in weekly[t.id].items()},
            time_off=tuple(sorted(off[t.id])), extra_shifts=tuple(sorted(extra[t.id])),
        )
        for t in Technician.objects.filter(active=True).prefetch_related("skills").order_by("id")
    }
    return ScheduleSnapshot(version=version, technicians=technicians)


_snapshot: VersionedSnapshot[ScheduleSnapshot] = VersionedSnapshot(
    SCHEDULE_VERSION_KEY, _load_schedule, max_age=lambda: settings.CATALOG_CACHE_SECONDS
)


def schedule_version() -> str:
    return _snapshot.version()


def schedule_snapshot(version: str | None = None) -> ScheduleSnapshot:
    """The technicians' current schedules; zero queries when warm (one cache read unless ``version`` is given)."""
    return _snapshot.get(version)


def schedule_invalidate() -> None:
    """Make every process rebuild its schedule snapshot on its next read."""
    _snapshot.invalidate()


def schedule_invalidate_on_commit(**_signal_kwargs) -> None:
    _snapshot.invalidate_on_commit()
