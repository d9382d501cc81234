"""Thin Celery tasks: take ids, load, call a service. Each is safe to run twice."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

logger = logging.getLogger("coresync.ai_agent")


@shared_task(name="ai_agent.notify_handoff", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notify_handoff(handoff_id: int) -> None:
    """E-mail the manager about a conversation waiting for a person: once per handoff.

    The notice goes through the e-mail log (keyed ``handoff:<id>``), which keeps
    the message and retries it with backoff (``retry_failed_emails``) while the
    mail provider is down, so an outage delays it instead of losing it.
    """
    from coresync.notifications.facts import HandoffFacts
    from coresync.notifications.services import handoff_notice_send

    from .models import Handoff

    handoff = Handoff.objects.select_related("conversation").filter(pk=handoff_id).first()
    if handoff is None:
        return
    conversation = handoff.conversation
    facts = HandoffFacts(
        manager_email=settings.MANAGER_EMAIL,
        channel=conversation.get_channel_display().lower(),
        reason=handoff.get_reason_display(),
        contact=handoff.contact,
        last_message=handoff.last_message,
        replay_url=f"{settings.SITE_URL}/admin/ai_agent/conversation/{conversation.pk}/change/",
    )
    handoff_notice_send(handoff_id=handoff.pk, facts=facts)
    # Queued in the e-mail log, which owns it from here (sent now or by a retry).
    Handoff.objects.filter(pk=handoff_id, notified=False).update(notified=True)


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
    """Text the caller their booking confirmation through Atlas, when an Atlas API is configured.

    A provider error marked ``retryable`` (timeout, 429, 5xx) is retried with
    exponential backoff; one that is not (a 400: the request itself is wrong) is
    logged and dropped, since sending it again cannot help. The idempotency key
    makes a retry after a lost answer harmless.
    """
    from coresync.core.errors import ProviderError
    from coresync.core.formatting import format_short_date, format_time
    from coresync.integrations.atlas.client import AtlasConnector

    connector = AtlasConnector.from_settings()
    if connector is None:
        return
    from coresync.bookings.models import Booking

    booking = Booking.objects.select_related("service", "location").filter(pk=booking_id).first()
    if booking is None or not booking.customer_phone:
        return
    zone = ZoneInfo(booking.location.timezone)
    text = (
        f"{booking.location.name}: {booking.service.name} on {format_short_date(booking.start, zone)} "
        f"at {format_time(booking.start, zone)}. Ref {booking.reference}."
    )
    try:
        connector.send_text(to=booking.customer_phone, text=text, idempotency_key=f"booking-confirmation-{booking.reference}")
    except ProviderError as error:
        if not error.retryable:
            logger.warning("Atlas refused the confirmation text for %s (not retried): %s", booking.reference, error)
            return
        logger.warning("Atlas confirmation text for %s failed, retrying: %s", booking.reference, error)
        countdown = get_exponential_backoff_interval(factor=30, retries=self.request.retries, maximum=900, full_jitter=True)
        raise self.retry(exc=error, countdown=countdown) from error
    finally:
        connector.close()


@shared_task(name="ai_agent.purge_conversations")
def purge_conversations() -> int:
    """Delete conversations older than the retention period (daily at 03:00)."""
    from .services import conversations_purge

    return conversations_purge()
