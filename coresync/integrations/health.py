"""Failing recurring syncs: record each run's outcome so the manager hears once when one starts failing."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import SyncHealth


def sync_failed(name: str, error: str) -> SyncHealth | None:
    """Record a failed run; returns the row when this run STARTS a failure (tell the manager), else None."""
    now = timezone.now()
    with transaction.atomic():
        health, _ = SyncHealth.objects.select_for_update().get_or_create(name=name)
        health.last_error = error[:2000]
        starts = health.failing_since is None
        if starts:
            health.failing_since = now
            health.notified_at = now
        health.save()
    return health if starts else None


def sync_succeeded(name: str) -> bool:
    """Record a good run; returns True when it ends a failure."""
    now = timezone.now()
    health, _ = SyncHealth.objects.get_or_create(name=name)
    ended = health.failing_since is not None
    health.failing_since = None
    health.last_success_at = now
    health.save(update_fields=["failing_since", "last_success_at"])
    return ended
