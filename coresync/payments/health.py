"""The payment provider's state for /readyz: keys present, and how long ago its last webhook arrived."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .models import ProviderEventRecord


def payments_readiness() -> dict:
    provider = settings.PAYMENT_PROVIDER
    state: dict = {"name": "payments", "provider": provider}
    if provider == "stripe":
        keys = {"secret_key": bool(settings.STRIPE_SECRET_KEY), "publishable_key": bool(settings.STRIPE_PUBLISHABLE_KEY),
                "webhook_secret": bool(settings.STRIPE_WEBHOOK_SECRET)}
        configured = all(keys.values())
        state["keys"] = keys
    else:
        configured = True
    last = ProviderEventRecord.objects.filter(provider=provider).order_by("-received_at").values_list("received_at", flat=True).first()
    state.update(configured=configured, ok=configured, state="ready" if configured else "degraded",
                 last_webhook_age_seconds=round((timezone.now() - last).total_seconds(), 1) if last else None)
    return state
