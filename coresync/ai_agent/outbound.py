"""What the concierge sends out: the caller's confirmation text (Atlas) and the manager's handoff notice.

Both are delivered by the outbox (``outbox_handlers.py``), which retries a
``ProviderError`` marked retryable with backoff and sets the rest aside as dead
letters the manager hears about; the Celery tasks of the same name call these too.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

from coresync.core.formatting import format_short_date, format_time
from coresync.integrations.atlas.client import AtlasConnector


def confirmation_text_send(booking_id: int) -> None:
    """Text the caller their confirmation through Atlas (nothing when Atlas is not set up). Raises ``ProviderError``."""
    from coresync.bookings.models import Booking

    connector = AtlasConnector.from_settings()
    if connector is None:
        return
    try:
        booking = Booking.objects.select_related("service", "location").filter(pk=booking_id).first()
        if booking is None or not booking.customer_phone:
            return
        zone = ZoneInfo(booking.location.timezone)
        text = (
            f"{booking.location.name}: {booking.service.name} on {format_short_date(booking.start, zone)} "
            f"at {format_time(booking.start, zone)}. Ref {booking.reference}."
        )
        connector.send_text(to=booking.customer_phone, text=text, idempotency_key=f"booking-confirmation-{booking.reference}")
    finally:
        connector.close()


def handoff_notice_send(handoff_id: int) -> None:
    """Queue the manager's notice in the e-mail log (keyed ``handoff:<id>``), which sends it once and retries the mail provider."""
    from coresync.notifications.facts import HandoffFacts
    from coresync.notifications.services import handoff_notice_send as notice_send

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
    notice_send(handoff_id=handoff.pk, facts=facts)
    Handoff.objects.filter(pk=handoff_id, notified=False).update(notified=True)
