"""Delivery tracking: provider events (delivered, bounced, spam report...) applied to ``EmailLog``.

Events arrive at least once and in any order: each is applied once (its
``sg_event_id`` is stored in ``SendGridEvent``, unique) and a status never moves
back from bounced to delivered. A batch costs a fixed number of queries, however
many events it holds: the batch's log rows are read (and locked) in one query,
the ids already seen in another, and the changes are written in bulk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import EmailLog, EmailStatus, SendGridEvent
from .services import preference_email_opt_out

logger = logging.getLogger(__name__)

DELIVERED_EVENTS = {"delivered"}
BOUNCED_EVENTS = {"bounce", "dropped", "blocked"}
OPT_OUT_EVENTS = {"spamreport", "unsubscribe", "group_unsubscribe"}
# Recorded on the log but change nothing.
NOTED_EVENTS = {"processed", "deferred", "open", "click"}
KNOWN_EVENTS = DELIVERED_EVENTS | BOUNCED_EVENTS | OPT_OUT_EVENTS | NOTED_EVENTS
MAX_EVENT_ID = SendGridEvent._meta.get_field("sg_event_id").max_length


@dataclass(frozen=True)
class _Event:
    name: str
    event_id: str
    log_id: int | None
    message_id: str
    happened: datetime
    reason: str


def sendgrid_events_apply(*, events: list, now: datetime | None = None) -> int:
    """Apply a batch from SendGrid's Event Webhook; returns how many events changed a log row."""
    now = now or timezone.now()
    parsed = _parse(events, now)
    if not parsed:
        return 0
    with transaction.atomic():
        logs = _logs_for(parsed)
        seen = set(
            SendGridEvent.objects.filter(sg_event_id__in=[e.event_id for e in parsed if e.event_id]).values_list(
                "sg_event_id", flat=True
            )
        )
        changed: dict[int, EmailLog] = {}
        stored: list[SendGridEvent] = []
        opt_outs: set[tuple[int | None, str]] = set()
        applied = 0
        for event in parsed:
            log = logs.get(("id", event.log_id)) or logs.get(("message", event.message_id))
            if log is None:
                logger.info("sendgrid event %s for an unknown message ignored", event.name)
                continue
            if event.event_id:
                if event.event_id in seen:
                    continue
                seen.add(event.event_id)
                stored.append(SendGridEvent(sg_event_id=event.event_id, email_log=log, event=event.name,
                                            happened_at=event.happened))
            _apply(log, event, opt_outs)
            changed[log.pk] = log
            applied += 1
        EmailLog.objects.bulk_update(
            changed.values(), ["events", "status", "delivered_at", "error", "updated_at"], batch_size=500
        )
        SendGridEvent.objects.bulk_create(stored, batch_size=500)
        for user_id, email in opt_outs:
            preference_email_opt_out(user_id=user_id, email=email)
    return applied


def _parse(events: list, now: datetime) -> list[_Event]:
    parsed = []
    for raw in events:
        if not isinstance(raw, dict):
            continue
        name = str(raw.get("event", ""))
        if name not in KNOWN_EVENTS:
            logger.info("sendgrid event %r ignored", name)
            continue
        event_id = str(raw.get("sg_event_id") or "")
        if len(event_id) > MAX_EVENT_ID:
            logger.info("sendgrid event id of %s characters ignored", len(event_id))
            continue
        log_id = str(raw.get("email_log_id", ""))
        parsed.append(_Event(
            name=name,
            event_id=event_id,
            log_id=int(log_id) if log_id.isdigit() and len(log_id) < 19 else None,
            message_id=str(raw.get("sg_message_id", "")).split(".")[0][:200],
            happened=_timestamp(raw.get("timestamp")) or now,
            reason=str(raw.get("reason") or raw.get("response") or "")[:500],
        ))
    return parsed


def _logs_for(parsed: list[_Event]) -> dict[tuple[str, object], EmailLog]:
    """The batch's log rows, locked, in one query: by our log id when SendGrid echoes it, else by message id."""
    log_ids = {e.log_id for e in parsed if e.log_id is not None}
    message_ids = {e.message_id for e in parsed if e.log_id is None and e.message_id}
    if not (log_ids or message_ids):
        return {}
    rows = (
        EmailLog.objects.select_for_update(of=("self",))
        .select_related("booking", "membership")
        .filter(Q(pk__in=log_ids) | Q(provider_message_id__in=message_ids))
        .order_by("pk")  # a fixed lock order: two overlapping batches cannot deadlock
    )
    found: dict[tuple[str, object], EmailLog] = {}
    for log in rows:
        found[("id", log.pk)] = log
        if log.provider_message_id:
            found.setdefault(("message", log.provider_message_id), log)
    return found


def _apply(log: EmailLog, event: _Event, opt_outs: set) -> None:
    log.events.append({
        "at": event.happened.isoformat(), "event": event.name, "sg_event_id": event.event_id,
        **({"reason": event.reason} if event.reason else {}),
    })
    log.updated_at = timezone.now()
    if event.name in DELIVERED_EVENTS and log.status in (EmailStatus.SENT, EmailStatus.SENDING):
        log.status, log.delivered_at = EmailStatus.DELIVERED, event.happened
    elif event.name in BOUNCED_EVENTS:
        log.status, log.error = EmailStatus.BOUNCED, f"{event.name}: {event.reason}".strip(": ")
    elif event.name in OPT_OUT_EVENTS and log.booking_id:
        opt_outs.add((log.booking.customer_id, log.booking.customer_email))
    elif event.name in OPT_OUT_EVENTS and log.membership_id:
        opt_outs.add((log.membership.user_id, ""))


def _timestamp(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
