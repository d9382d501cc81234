"""Thin tasks: sync one calendar (after a push), sync them all (beat, in case a push was lost), renew channels."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from coresync.core.errors import ProviderError

from . import services

logger = logging.getLogger(__name__)


def _google() -> bool:
    return settings.CALENDAR_PROVIDER == "google"


@shared_task(name="calendars.sync", bind=True, ignore_result=True, max_retries=5)
def calendar_sync(self, key: str) -> None:
    if not _google():
        return
    try:
        services.calendar_sync(key=key)
    except ProviderError as error:
        if not error.retryable:
            logger.error("calendar %s sync failed: %s", key, error)
            return
        raise self.retry(countdown=min(600, 30 * 2 ** self.request.retries), exc=error) from error


@shared_task(name="calendars.sync_all", ignore_result=True)
def calendars_sync_all() -> None:
    if not _google():
        return
    from coresync.integrations.models import MirroredCalendar

    for key in MirroredCalendar.objects.values_list("key", flat=True):
        calendar_sync.delay(key)


@shared_task(name="calendars.renew_channels", ignore_result=True)
def calendars_renew_channels() -> None:
    if not _google():
        return
    try:
        services.channels_renew()
    except ProviderError as error:
        logger.warning("calendar channel renewal failed (next run retries): %s", error)
