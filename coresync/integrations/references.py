"""Read and write external references: the one place that knows where vendor ids are kept."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .models import ExternalReference, SyncState


def external_ref(obj: models.Model, *, system: str, kind: str) -> ExternalReference | None:
    return ExternalReference.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, system=system, kind=kind
    ).first()


def external_ref_set(
    obj: models.Model, *, system: str, kind: str, external_id: str = "", state: str = SyncState.SYNCED,
    error: str = "", data: dict | None = None,
) -> ExternalReference:
    """Record (or update) what ``obj`` is in ``system``. Idempotent per (object, system, kind)."""
    now = timezone.now()
    values = {"external_id": external_id, "sync_state": state, "last_error": error[:2000]}
    if state == SyncState.SYNCED:
        values["synced_at"] = now
    if data is not None:
        values["data"] = data
    reference, _ = ExternalReference.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, system=system, kind=kind, defaults=values
    )
    return reference


def external_lookup(model: type[models.Model], *, system: str, kind: str, external_id: str):
    """Our object for a vendor id (e.g. the booking of a PaymentIntent), or None."""
    reference = ExternalReference.objects.filter(
        content_type=ContentType.objects.get_for_model(model), system=system, kind=kind, external_id=external_id
    ).first()
    return model.objects.filter(pk=reference.object_id).first() if reference else None


def is_synced(obj: models.Model, *, system: str, kind: str) -> bool:
    reference = external_ref(obj, system=system, kind=kind)
    return reference is not None and reference.sync_state == SyncState.SYNCED
