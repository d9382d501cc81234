"""The mail provider's state for /readyz and e-mail counts for /metrics, from the e-mail log (no network)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import DONE_STATUSES, EmailLog, EmailStatus


def _configured(provider: str) -> bool:
    if provider == "sendgrid":
        return bool(settings.SENDGRID_API_KEY)
    if provider == "smtp":
        return bool(settings.EMAIL_HOST)
    return provider == "local"


def _age(moment) -> float | None:
    return round((timezone.now() - moment).total_seconds(), 1) if moment else None


def mail_readiness() -> dict:
    """Configured? The last failed and last good send: degraded when the newest outcome is a failure."""
    provider = settings.EMAIL_PROVIDER
    configured = _configured(provider)
    failed = EmailLog.objects.filter(status=EmailStatus.FAILED).order_by("-updated_at").values("updated_at", "error").first()
    sent = EmailLog.objects.filter(status__in=DONE_STATUSES).order_by("-sent_at").values_list("sent_at", flat=True).first()
    failing = failed is not None and (sent is None or failed["updated_at"] > sent)
    ok = configured and not failing
    state = {"name": "mail", "provider": provider, "configured": configured, "ok": ok, "state": "ready" if ok else "degraded",
             "last_sent_age_seconds": _age(sent), "last_failure_age_seconds": _age(failed["updated_at"]) if failed else None}
    if failing:
        state["last_failure"] = (failed["error"] or "failed").splitlines()[0][:120] if failed["error"] else "failed"
    return state


def email_metrics():
    family = GaugeMetricFamily("coresync_emails", "E-mails in the log by kind and status (sent, failed, queued, …).",
                               labels=["kind", "status"])
    for row in EmailLog.objects.values("kind", "status").annotate(n=Count("id")).order_by():
        family.add_metric([row["kind"], row["status"]], row["n"])
    return [family]
