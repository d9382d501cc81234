"""Bump the catalog snapshot version after any change to what it holds."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .selectors import catalog_invalidate


def _invalidate_on_commit(**_kwargs) -> None:
    # Now, so this process (and a test inside one transaction) sees the change at
    # once; and again after commit, so no process keeps a snapshot it built from
    # rows read before the commit.
    catalog_invalidate()
    transaction.on_commit(catalog_invalidate)


def connect() -> None:
    from coresync.catalog.models import AddOn, Location, OpeningHours, Price, Room, RoomType, Service, ServiceCategory, Skill
    from coresync.memberships.models import MembershipTier
    from coresync.technicians.models import ExtraShift, Technician, TimeOff, WeeklyShift

    watched = [
        Location, OpeningHours, RoomType, Room, Skill, ServiceCategory, Service, AddOn, Price,
        MembershipTier, Technician, WeeklyShift, TimeOff, ExtraShift,
    ]  # fmt: skip
    for model in watched:
        post_save.connect(_invalidate_on_commit, sender=model, dispatch_uid=f"catalog-version-save-{model.__name__}")
        post_delete.connect(_invalidate_on_commit, sender=model, dispatch_uid=f"catalog-version-delete-{model.__name__}")
    for through in (Technician.skills.through, AddOn.services.through):
        m2m_changed.connect(_invalidate_on_commit, sender=through, dispatch_uid=f"catalog-version-m2m-{through.__name__}")
