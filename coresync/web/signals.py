"""Rebuild the public pages' content snapshot after anything it shows changes."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .selectors import site_content_invalidate


def _invalidate_on_commit(**_kwargs) -> None:
    transaction.on_commit(site_content_invalidate)


def connect() -> None:
    from coresync.catalog.models import AddOn, Location, OpeningHours, RoomType, Service, ServiceCategory
    from coresync.memberships.models import MembershipTier

    from .models import GalleryImage

    for model in (Location, OpeningHours, RoomType, ServiceCategory, Service, AddOn, MembershipTier, GalleryImage):
        post_save.connect(_invalidate_on_commit, sender=model, dispatch_uid=f"web-content-save-{model.__name__}")
        post_delete.connect(_invalidate_on_commit, sender=model, dispatch_uid=f"web-content-delete-{model.__name__}")
    m2m_changed.connect(_invalidate_on_commit, sender=AddOn.services.through, dispatch_uid="web-content-m2m-addons")
