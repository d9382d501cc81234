"""Thin Celery tasks: deliver one message (after commit), and the beat sweep for the ones whose dispatch was lost."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="outbox.deliver", ignore_result=True)
def deliver_outbox_message(dedupe_key: str) -> str | None:
    return services.outbox_deliver(dedupe_key)


@shared_task(name="outbox.sweep", ignore_result=True)
def sweep_outbox() -> int:
    """Deliver every due message (each through its own task, so several workers share a backlog)."""
    keys = services.outbox_due()
    for key in keys:
        deliver_outbox_message.delay(key)
    return len(keys)
