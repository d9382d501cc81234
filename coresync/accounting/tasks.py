"""Thin Celery tasks of accounting (beat: the hourly sync, the nightly reconcile)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task(name="accounting.sync", ignore_result=True)
def accounting_sync_task() -> int:
    from .services import accounting_sync

    return accounting_sync().sent


@shared_task(name="accounting.reconcile", ignore_result=True)
def accounting_reconcile_task() -> int:
    """At 02:00 in the spa's zone: reconcile yesterday (the day that just ended there)."""
    from .reconcile import reconcile_day

    yesterday = timezone.localdate() - timedelta(days=1)
    return reconcile_day(day=yesterday).discrepancy_count
