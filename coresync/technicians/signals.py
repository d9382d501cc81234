"""Bump the schedule snapshot version after any change to a technician, their week, time off or extra shifts."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from .selectors import schedule_invalidate_on_commit


def connect() -> None:
    from coresync.technicians.models import ExtraShift, Technician, TimeOff, WeeklyShift

    for model in (Technician, WeeklyShift, TimeOff, ExtraShift, Technician.skills.through):
        post_save.connect(schedule_invalidate_on_commit, sender=model, dispatch_uid=f"schedule-version-save-{model.__name__}")
        post_delete.connect(schedule_invalidate_on_commit, sender=model, dispatch_uid=f"schedule-version-delete-{model.__name__}")
    m2m_changed.connect(schedule_invalidate_on_commit, sender=Technician.skills.through, dispatch_uid="schedule-version-m2m-skills")
