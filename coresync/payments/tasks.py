"""Thin Celery tasks of payments."""

from __future__ import annotations

from celery import shared_task

from coresync.integrations.payments import payment_provider


@shared_task(name="payments.local_renewals", ignore_result=True)
def renew_local_subscriptions() -> int:
    """The local gateway bills its memberships each month (Stripe Billing does it for Stripe). Idempotent."""
    from .gateway import LocalPaymentProvider

    gateway = payment_provider("local")
    return gateway.subscriptions_renew() if isinstance(gateway, LocalPaymentProvider) else 0
