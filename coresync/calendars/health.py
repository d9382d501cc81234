"""The calendar provider's state for /readyz: stored sync state of the mirrored Google calendars (no network)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from coresync.integrations.models import MirroredCalendar, SyncHealth


def _google_configured() -> bool:
    return bool((settings.GOOGLE_SERVICE_ACCOUNT_FILE or settings.GOOGLE_SERVICE_ACCOUNT_JSON) and settings.GOOGLE_CALENDAR_MASTER_ID)


def calendar_readiness() -> dict:
    provider = settings.CALENDAR_PROVIDER
    if provider != "google":
        return {"name": "calendar", "provider": provider, "configured": True, "ok": True, "state": "ready"}
    now = timezone.now()
    configured = _google_configured()
    calendars = list(MirroredCalendar.objects.values("key", "last_synced_at", "channel_expires_at"))
    expired = [c["key"] for c in calendars if c["channel_expires_at"] and c["channel_expires_at"] < now]
    synced = [c["last_synced_at"] for c in calendars if c["last_synced_at"]]
    failing = list(SyncHealth.objects.filter(Q(name__startswith="calendar") | Q(name__startswith="google_calendar"),
                                             failing_since__isnull=False).values_list("name", flat=True))
    ok = configured and not expired and not failing
    return {"name": "calendar", "provider": "google", "configured": configured, "ok": ok, "state": "ready" if ok else "degraded",
            "calendars": len(calendars), "channels_expired": expired, "failing": failing,
            "oldest_sync_age_seconds": round((now - min(synced)).total_seconds(), 1) if synced else None}
