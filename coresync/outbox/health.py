"""The outbox's state for /readyz and /metrics: read from the table, never from a worker."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import OutboxMessage, OutboxStatus

# A pending message older than this means delivery is stuck (no worker, broker down, a provider failing).
STUCK_SECONDS = 900


def outbox_state() -> dict:
    """Pending count, the oldest pending message's age (seconds) and dead letters: two aggregate queries."""
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).aggregate(count=Count("id"), oldest=Min("created_at"))
    dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD).count()
    oldest = pending["oldest"]
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return {"pending": pending["count"], "oldest_pending_age_seconds": age, "dead": dead}


def outbox_readiness() -> dict:
    state = outbox_state()
    degraded = state["dead"] > 0 or state["oldest_pending_age_seconds"] > STUCK_SECONDS
    return {"name": "outbox", "provider": "outbox", "ok": not degraded, "state": "degraded" if degraded else "ready", **state}


def outbox_metrics():
    pending = GaugeMetricFamily("coresync_outbox_pending", "Outbox messages waiting to be delivered, by kind.", labels=["kind"])
    dead = GaugeMetricFamily("coresync_outbox_dead", "Outbox messages that gave up (dead letters), by kind.", labels=["kind"])
    rows = OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD]).values("status", "kind").annotate(n=Count("id"))
    for row in rows.order_by():
        (pending if row["status"] == OutboxStatus.PENDING else dead).add_metric([row["kind"]], row["n"])
    oldest = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).aggregate(oldest=Min("created_at"))["oldest"]
    age = GaugeMetricFamily("coresync_outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox message (0: none).")
    age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
    return [pending, dead, age]
