"""Thin tasks: the pricing sync (beat every 5 minutes, and after the sheet's change webhook) and the queue mirror."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(name="sheets.pricing_sync", ignore_result=True)
def pricing_sync(actor: str = "schedule") -> None:
    if settings.PRICING_SOURCE != "sheets":
        return
    from .pricing import pricing_sheet_sync

    pricing_sheet_sync(actor=actor)


@shared_task(name="sheets.queue_mirror", ignore_result=True)
def queue_mirror() -> None:
    from .queue import queue_sheet_mirror

    queue_sheet_mirror()


@shared_task(name="sheets.hours_mirror", ignore_result=True)
def hours_mirror() -> None:
    from .hours import hours_sheet_mirror

    hours_sheet_mirror()
