"""Thin Celery tasks: take ids, load, call a service. Each is safe to run twice."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger("coresync.ai_agent")


@shared_task(name="ai_agent.notify_handoff", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_handoff(handoff_id: int) -> None:
    """E-mail the manager about a conversation waiting for a person (once per handoff)."""
    from .models import Handoff

    updated = Handoff.objects.filter(pk=handoff_id, notified=False).update(notified=True)
    if not updated:
        return
    handoff = Handoff.objects.select_related("conversation").get(pk=handoff_id)
    conversation = handoff.conversation
    lines = [
        f"A {conversation.get_channel_display().lower()} conversation needs a person ({handoff.get_reason_display()}).",
        f"Contact: {handoff.contact or 'not given'}",
        f"Last message: {handoff.last_message}",
        f"Replay: {settings.SITE_URL}/admin/ai_agent/conversation/{conversation.pk}/change/",
    ]
    try:
        send_mail("Concierge handoff: a guest asked for a person", "\n".join(lines), None, [settings.MANAGER_EMAIL])
    except Exception:
        Handoff.objects.filter(pk=handoff_id).update(notified=False)
        raise


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


@shared_task(name="ai_agent.send_confirmation_text", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_confirmation_text(booking_id: int) -> None:
    """Text the caller their booking confirmation through Atlas, when an Atlas API is configured."""
    from coresync.integrations.atlas.client import AtlasConnector, AtlasError

    connector = AtlasConnector.from_settings()
    if connector is None:
        return
    from coresync.bookings.models import Booking

    booking = Booking.objects.select_related("service", "location").filter(pk=booking_id).first()
    if booking is None or not booking.customer_phone:
        return
    start = booking.start.astimezone(ZoneInfo(booking.location.timezone))
    text = f"{booking.location.name}: {booking.service.name} on {start:%a %b} {start.day} at {start:%I:%M %p}. Ref {booking.reference}."
    try:
        connector.send_text(to=booking.customer_phone, text=text, idempotency_key=f"booking-confirmation-{booking.reference}")
    except AtlasError:
        logger.warning("Atlas confirmation text for %s failed", booking.reference, exc_info=True)
        raise


@shared_task(name="ai_agent.purge_conversations")
def purge_conversations() -> int:
    """Delete conversations older than the retention period (daily at 03:00)."""
    from .services import conversations_purge

    return conversations_purge()
