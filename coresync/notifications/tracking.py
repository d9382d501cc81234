"""Delivery tracking: provider events (delivered, bounced, spam report...) applied to ``EmailLog``.

Events arrive at least once and in any order: each is recorded once (by its
provider event id) and a status never moves back from bounced to delivered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from .models import EmailLog, EmailStatus
from .services import preference_email_opt_out

logger = logging.getLogger(__name__)

DELIVERED_EVENTS = {"delivered"}
BOUNCED_EVENTS = {"bounce", "dropped", "blocked"}
OPT_OUT_EVENTS = {"spamreport", "unsubscribe", "group_unsubscribe"}
# Recorded on the log but change nothing.
NOTED_EVENTS = {"processed", "deferred", "open", "click"}


def sendgrid_events_apply(*, events: list, now: datetime | None = None) -> int:
    """Apply a batch from SendGrid's Event Webhook; returns how many events changed a log row."""
    now = now or timezone.now()
    applied = 0
    for event in events:
        if not isinstance(event, dict):
            continue
        name = str(event.get("event", ""))
        if name not in DELIVERED_EVENTS | BOUNCED_EVENTS | OPT_OUT_EVENTS | NOTED_EVENTS:
            logger.info("sendgrid event %r ignored", name)
            continue
        applied += _apply_one(event, name, now)
    return applied


def _find_log(event: dict) -> EmailLog | None:
    log_id = str(event.get("email_log_id", ""))
    if log_id.isdigit():
        return EmailLog.objects.select_for_update().filter(pk=int(log_id)).first()
    message_id = str(event.get("sg_message_id", "")).split(".")[0]
    if message_id:
        return EmailLog.objects.select_for_update().filter(provider_message_id=message_id).first()
    return None


@transaction.atomic
def _apply_one(event: dict, name: str, now: datetime) -> int:
    log = _find_log(event)
    if log is None:
        logger.info("sendgrid event %s for an unknown message ignored", name)
        return 0
    event_id = str(event.get("sg_event_id", ""))
    if event_id and any(item.get("sg_event_id") == event_id for item in log.events):
        return 0
    happened = _timestamp(event.get("timestamp")) or now
    reason = str(event.get("reason") or event.get("response") or "")[:500]
    log.events.append(
        {"at": happened.isoformat(), "event": name, "sg_event_id": event_id, **({"reason": reason} if reason else {})}
    )
    fields = ["events", "updated_at"]
    if name in DELIVERED_EVENTS and log.status in (EmailStatus.SENT, EmailStatus.SENDING):
        log.status, log.delivered_at = EmailStatus.DELIVERED, happened
        fields += ["status", "delivered_at"]
    elif name in BOUNCED_EVENTS:
        log.status, log.error = EmailStatus.BOUNCED, f"{name}: {reason}".strip(": ")
        fields += ["status", "error"]
    elif name in OPT_OUT_EVENTS and log.booking_id:
        preference_email_opt_out(user_id=log.booking.customer_id, email=log.booking.customer_email)
    elif name in OPT_OUT_EVENTS and log.membership_id:
        preference_email_opt_out(user_id=log.membership.user_id)
    log.save(update_fields=fields)
    return 1


def _timestamp(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
