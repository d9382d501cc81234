"""Write, deliver, sweep and retry outbox messages.

``outbox_enqueue`` runs inside the caller's transaction. ``outbox_deliver`` claims a
row with one conditional UPDATE (so two workers never run one row at once), calls
its handler *outside* any transaction, then records the outcome under the same
claim. A worker killed mid-delivery leaves a claim that expires after
``OUTBOX_CLAIM_SECONDS``; the sweep then delivers the row again, and the handler's
idempotency makes the second run harmless.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coresync.core.errors import ProviderError
from coresync.core.observability import request_id_var

from .models import OutboxMessage, OutboxStatus
from .registry import registration_for
from .signals import message_dead

logger = logging.getLogger(__name__)
MAX_ERROR_CHARS = 2000


def outbox_enqueue(*, kind: str, dedupe_key: str, payload: dict | None = None, delay: timedelta | None = None) -> None:
    """Write a message in the current transaction; it is dispatched after commit.

    A second enqueue with the same ``dedupe_key`` is ignored (one INSERT … ON
    CONFLICT DO NOTHING, no savepoint), so callers need not check first.
    """
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind=kind, dedupe_key=dedupe_key[:255], payload=payload or {}, next_attempt_at=now + (delay or timedelta()),
                       request_id=request_id_var.get())],
        ignore_conflicts=True,
    )
    if delay is None:
        from coresync.core.transactions import delay_on_commit

        from .tasks import deliver_outbox_message

        delay_on_commit(deliver_outbox_message, dedupe_key[:255])


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter between half and the whole step: base · 2^(n-1), capped."""
    step = min(settings.OUTBOX_RETRY_MAX_SECONDS, settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return step / 2 + random.random() * step / 2


def _claim(dedupe_key: str, now: datetime) -> tuple[OutboxMessage, str] | None:
    token = uuid.uuid4().hex
    claimed = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        dedupe_key=dedupe_key, status=OutboxStatus.PENDING, next_attempt_at__lte=now,
    ).update(claim_token=token, claimed_until=now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS), updated_at=now)
    if not claimed:
        return None
    return OutboxMessage.objects.get(dedupe_key=dedupe_key), token


def outbox_deliver(dedupe_key: str, *, now: datetime | None = None) -> str | None:
    """Deliver one due message; returns its new status, or None when it was not due, done, or held by another worker."""
    now = now or timezone.now()
    claim = _claim(dedupe_key, now)
    if claim is None:
        return None
    message, token = claim
    attempts = message.attempts + 1
    registration = registration_for(message.kind)
    if registration is None:
        return _finish(message, token, attempts=attempts, error=f"no handler for kind {message.kind!r}", retry=False)
    # The handler runs under the id of the request that wrote the row, so its log lines (and its Sentry
    # events) point back to that request.
    id_token = request_id_var.set(message.request_id or request_id_var.get())
    try:
        registration.func(message.payload, message.dedupe_key)
    except ProviderError as error:
        return _finish(message, token, attempts=attempts, error=str(error), retry=error.retryable,
                       max_attempts=registration.max_attempts)
    except Exception as error:  # an unexpected failure is retried: it may be a bug fixed by the next deploy
        logger.exception("outbox %s %s failed", message.kind, message.dedupe_key)
        return _finish(message, token, attempts=attempts, error=f"{error.__class__.__name__}: {error}", retry=True,
                       max_attempts=registration.max_attempts)
    finally:
        request_id_var.reset(id_token)
    return _finish(message, token, attempts=attempts)


def _finish(message: OutboxMessage, token: str, *, attempts: int, error: str = "", retry: bool = False,
            max_attempts: int | None = None) -> str:
    """Record the outcome of the attempt that holds ``token``."""
    now = timezone.now()
    fields: dict = {"attempts": attempts, "claimed_until": None, "claim_token": "", "updated_at": now}
    if not error:
        fields.update(status=OutboxStatus.DONE, done_at=now, last_error="")
    elif retry and attempts < (max_attempts or settings.OUTBOX_MAX_ATTEMPTS):
        fields.update(last_error=error[:MAX_ERROR_CHARS], next_attempt_at=now + timedelta(seconds=backoff_seconds(attempts)))
    else:
        fields.update(status=OutboxStatus.DEAD, last_error=error[:MAX_ERROR_CHARS])
    updated = OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(**fields)
    status = fields.get("status", OutboxStatus.PENDING)
    if error:
        logger.warning("outbox %s %s attempt %s failed (%s): %s", message.kind, message.dedupe_key, attempts, status, error)
    if updated and status == OutboxStatus.DEAD:
        message.refresh_from_db()
        message_dead.send(sender=OutboxMessage, message=message)
    return status


def outbox_due(*, now: datetime | None = None, limit: int = 500) -> list[str]:
    """Keys of pending messages that are due and held by no live claim, oldest first."""
    now = now or timezone.now()
    return list(
        OutboxMessage.objects.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
                                     status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at").values_list("dedupe_key", flat=True)[:limit]
    )


def outbox_retry(*, message_ids, now: datetime | None = None) -> int:
    """A manager's "retry now": dead or waiting messages become due at once, with a fresh set of attempts."""
    now = now or timezone.now()
    with transaction.atomic():
        count = OutboxMessage.objects.filter(pk__in=list(message_ids)).exclude(status=OutboxStatus.DONE).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, claimed_until=None, claim_token="", updated_at=now
        )
    from coresync.core.transactions import delay_on_commit

    from .tasks import sweep_outbox

    delay_on_commit(sweep_outbox)
    return count
