"""Thin Celery tasks: take ids, load, call a service. Each is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

logger = logging.getLogger("coresync.ai_agent")


@shared_task(name="ai_agent.notify_handoff", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notify_handoff(handoff_id: int) -> None:
    """E-mail the manager about a conversation waiting for a person (normally delivered through the outbox)."""
    from .outbound import handoff_notice_send

    handoff_notice_send(handoff_id)


@shared_task(name="ai_agent.atlas_call_ended")
def atlas_call_ended(log_id: int) -> None:
    """Close the conversation of a finished call (``call.ended`` event)."""
    from .models import AtlasLog
    from .services import conversation_end
    from .state import state_delete

    log = AtlasLog.objects.filter(pk=log_id).first()
    if log is None or not log.call_id:
        return
    conversation_end(call_id=log.call_id)
    from .services import caller_session

    session_id, _user = caller_session(call_id=log.call_id, caller_phone="")
    state_delete(session_id)
    AtlasLog.objects.filter(pk=log_id).update(status=AtlasLog.Status.PROCESSED)


@shared_task(name="ai_agent.send_confirmation_text", bind=True, max_retries=5, acks_late=True, ignore_result=True)
def send_confirmation_text(self, booking_id: int) -> None:
    """Text the caller their booking confirmation (normally delivered through the outbox, which retries the same way).

    A provider error marked ``retryable`` (timeout, 429, 5xx) is retried with
    exponential backoff; one that is not (a 400: the request itself is wrong) is
    logged and dropped. The idempotency key makes a retry after a lost answer harmless.
    """
    from coresync.core.errors import ProviderError

    from .outbound import confirmation_text_send

    try:
        confirmation_text_send(booking_id)
    except ProviderError as error:
        if not error.retryable:
            logger.warning("Atlas refused the confirmation text for booking %s (not retried): %s", booking_id, error)
            return
        logger.warning("Atlas confirmation text for booking %s failed, retrying: %s", booking_id, error)
        countdown = get_exponential_backoff_interval(factor=30, retries=self.request.retries, maximum=900, full_jitter=True)
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(name="ai_agent.purge_conversations")
def purge_conversations() -> int:
    """Delete conversations older than the retention period (daily at 03:00)."""
    from .services import conversations_purge

    return conversations_purge()
