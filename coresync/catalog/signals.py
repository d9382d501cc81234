"""Bump the catalog snapshot version after any change to what it holds (catalog rows only)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from .selectors import catalog_invalidate_on_commit


def connect() -> None:
    from coresync.catalog.models import AddOn, Location, OpeningHours, Price, Room, RoomType, Service, ServiceCategory, Skill

    for model in (Location, OpeningHours, RoomType, Room, Skill, ServiceCategory, Service, AddOn, Price):
        post_save.connect(catalog_invalidate_on_commit, sender=model, dispatch_uid=f"catalog-version-save-{model.__name__}")
        post_delete.connect(catalog_invalidate_on_commit, sender=model, dispatch_uid=f"catalog-version-delete-{model.__name__}")
    m2m_changed.connect(catalog_invalidate_on_commit, sender=AddOn.services.through, dispatch_uid="catalog-version-m2m-addon-services")
