"""The Google Sheets mirror's state for /readyz, from the stored health of its syncs (no network)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from coresync.integrations.models import SyncHealth

from .pricing import HEALTH_NAME


def sheets_readiness() -> dict:
    sheets = {"pricing": bool(settings.GOOGLE_SHEETS_PRICING_ID), "hours": bool(settings.GOOGLE_SHEETS_HOURS_ID),
              "queue": bool(settings.GOOGLE_SHEETS_QUEUE_ID)}
    if not any(sheets.values()):
        return {"name": "sheets", "provider": "off", "configured": False, "ok": True, "state": "off"}
    credentials = bool(settings.GOOGLE_SERVICE_ACCOUNT_FILE or settings.GOOGLE_SERVICE_ACCOUNT_JSON)
    rows = list(SyncHealth.objects.filter(Q(name=HEALTH_NAME) | Q(name__startswith="sheets")).values("name", "failing_since", "last_success_at"))
    failing = sorted(r["name"] for r in rows if r["failing_since"])
    successes = [r["last_success_at"] for r in rows if r["last_success_at"]]
    ok = credentials and not failing
    return {"name": "sheets", "provider": "google", "configured": credentials, "sheets": sheets, "ok": ok,
            "state": "ready" if ok else "degraded", "failing": failing,
            "last_success_age_seconds": round((timezone.now() - max(successes)).total_seconds(), 1) if successes else None}
