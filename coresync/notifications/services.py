"""Writes: send each automated e-mail exactly once, record what happened, retry what failed.

Exactly once rests on two things:

1. ``EmailLog`` has one row per (booking, kind, sequence) / (membership, kind) /
   dedupe key, a database uniqueness rule, so two workers can never create two rows.
   ``sequence`` is the booking's ``ics_sequence`` for the change a mail announces
   (a reschedule, a cancellation), 0 for the others.
2. Before any mail leaves, the row is *claimed*: one conditional UPDATE moves it
   from ``queued`` (or ``failed`` past its backoff, or ``sending`` whose claim
   has expired) to ``sending`` with a fresh token. The database lets exactly one
   UPDATE win; the loser sees 0 rows and walks away. The send happens outside
   any transaction, then the row is finalised only if it still carries our token.

A worker killed mid-send leaves ``sending``; once the claim is older than
``NOTIFICATIONS_SENDING_TIMEOUT_SECONDS`` the retry job claims it again. (The one
window that cannot be closed from our side: the provider accepted the mail and
the worker died before the UPDATE. That resends once, after the timeout.)

Every entry point takes ids (and the message's own facts when they live in
another app, like a handoff), so moving the dispatch onto an outbox is a change
of caller, not of this module.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db.models import F, Q
from django.utils import timezone

from coresync.bookings.models import Booking, BookingStatus
from coresync.core.fields import with_blind_indexes
from coresync.integrations.sendgrid.backend import DeliveryError
from coresync.memberships.models import Membership

from . import selectors
from .emails import ComposedEmail, compose
from .facts import DeadLetterFacts, HandoffFacts, SyncNoticeFacts, booking_facts, member_facts
from .models import (
    CHANGE_KINDS,
    DONE_STATUSES,
    OPTIONAL_KINDS,
    EmailKind,
    EmailLog,
    EmailStatus,
    NotificationPreference,
)
from .unsubscribe import unsubscribe_url

logger = logging.getLogger(__name__)

SEND, SKIP, WAIT = "send", "skip", "wait"


def _event(name: str, now: datetime, **detail) -> dict:
    return {"at": now.isoformat(), "event": name, **{k: v for k, v in detail.items() if v not in (None, "")}}


# --- Entry points (called by tasks, receivers and the admin) -------------------------------


def booking_email_send(
    *, booking_id: int, kind: str, sequence: int = 0, now: datetime | None = None
) -> EmailLog | None:
    """Send ``kind`` for a booking unless it already went out. Never raises for a delivery problem.

    ``sequence`` names the change a rescheduled / cancelled mail announces (the
    booking's ``ics_sequence`` right after it); one mail per change, however often this runs.
    """
    if not Booking.objects.filter(pk=booking_id).exists():
        logger.warning("email %s: booking %s does not exist", kind, booking_id)
        return None
    sequence = sequence if kind in CHANGE_KINDS else 0
    log, _ = EmailLog.objects.get_or_create(booking_id=booking_id, kind=kind, sequence=sequence)
    return email_deliver(log_id=log.pk, now=now)


def handoff_notice_send(*, handoff_id: int, facts: HandoffFacts, now: datetime | None = None) -> EmailLog:
    """E-mail the manager about a conversation waiting for a person: once per handoff, retried like every mail."""
    composed = compose(EmailKind.HANDOFF_NOTICE, facts)
    return message_email_send(dedupe_key=f"handoff:{handoff_id}", composed=composed, now=now)


def message_email_send(*, dedupe_key: str, composed: ComposedEmail, now: datetime | None = None) -> EmailLog:
    """Send a message of neither a booking nor a membership, once per ``dedupe_key``.

    The message is stored on its log row when first queued, so the retry job
    (``emails_retry_due``) can send it again without the caller.
    """
    log, _ = EmailLog.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "kind": composed.kind,
            "recipient": composed.to,
            "subject": composed.subject[:200],
            "body_text": composed.text,
            "body_html": composed.html,
        },
    )
    return email_deliver(log_id=log.pk, now=now)


def dead_letter_notice_send(*, message_id: int, kind: str, dedupe_key: str, attempts: int, error: str) -> EmailLog:
    """Tell the manager that an outbox message (a mail, a text, a calendar event…) gave up, once per message."""
    facts = DeadLetterFacts(
        manager_email=settings.MANAGER_EMAIL, kind=kind, dedupe_key=dedupe_key, attempts=attempts, error=error[:500],
        admin_url=f"{settings.SITE_URL}/admin/outbox/outboxmessage/{message_id}/change/",
    )
    composed = compose(EmailKind.DEAD_LETTER_NOTICE, facts)
    return message_email_send(dedupe_key=f"outbox-dead:{message_id}:{attempts}", composed=composed)


def sync_notice_send(*, dedupe_key: str, title: str, lines: list[str], link: str = "", link_label: str = "") -> EmailLog:
    """Tell the manager what the Google mirrors did (an event put back, a pricing sheet refused), once per ``dedupe_key``."""
    facts = SyncNoticeFacts(manager_email=settings.MANAGER_EMAIL, title=title, lines=tuple(lines), link=link,
                            link_label=link_label or "Open it")
    return message_email_send(dedupe_key=dedupe_key, composed=compose(EmailKind.SYNC_NOTICE, facts))


def membership_welcome_send(*, membership_id: int, now: datetime | None = None) -> EmailLog | None:
    if not Membership.objects.filter(pk=membership_id).exists():
        logger.warning("membership welcome: membership %s does not exist", membership_id)
        return None
    log, _ = EmailLog.objects.get_or_create(membership_id=membership_id, kind=EmailKind.MEMBERSHIP_WELCOME)
    return email_deliver(log_id=log.pk, now=now)


def reminders_send_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    booking_ids = list(selectors.bookings_due_reminder(now=now).values_list("pk", flat=True))
    return _count_sent(booking_email_send(booking_id=pk, kind=EmailKind.BOOKING_REMINDER, now=now) for pk in booking_ids)


def review_requests_send_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    booking_ids = list(selectors.bookings_due_review_request(now=now).values_list("pk", flat=True))
    return _count_sent(booking_email_send(booking_id=pk, kind=EmailKind.REVIEW_REQUEST, now=now) for pk in booking_ids)


def emails_retry_due(*, now: datetime | None = None) -> int:
    """The safety net: retry failed and abandoned sends, and send what a lost dispatch never started."""
    now = now or timezone.now()
    results = [email_deliver(log_id=pk, now=now) for pk in list(selectors.email_logs_to_retry(now=now))]
    for booking_id in list(selectors.bookings_missing_confirmation(now=now).values_list("pk", flat=True)):
        results.append(booking_email_send(booking_id=booking_id, kind=EmailKind.BOOKING_CONFIRMATION, now=now))
    for booking in list(selectors.bookings_missing_change_notice(now=now).only("pk", "status", "ics_sequence")):
        kind = EmailKind.BOOKING_CANCELLED if booking.status == BookingStatus.CANCELLED else EmailKind.BOOKING_RESCHEDULED
        results.append(booking_email_send(booking_id=booking.pk, kind=kind, sequence=booking.ics_sequence, now=now))
    for membership_id in list(selectors.memberships_missing_welcome(now=now).values_list("pk", flat=True)):
        results.append(membership_welcome_send(membership_id=membership_id, now=now))
    return _count_sent(results)


def email_resend(*, log: EmailLog, actor=None, now: datetime | None = None) -> EmailLog:
    """A manager's deliberate resend (the guest lost the mail): re-queue the row and send it now."""
    now = now or timezone.now()
    events = [*log.events, _event("resend_requested", now, by=str(actor) if actor else "")]
    stale_claim = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS)
    EmailLog.objects.filter(pk=log.pk).filter(~Q(status=EmailStatus.SENDING) | Q(claimed_at__lt=stale_claim)).update(
        status=EmailStatus.QUEUED, next_attempt_at=None, error="", events=events
    )
    return email_deliver(log_id=log.pk, now=now)


def reminder_rearm(*, booking_id: int, previous_start: datetime | None = None, now: datetime | None = None) -> bool:
    """After a reschedule, make the reminder go out (again) for the new time, unless it already did."""
    now = now or timezone.now()
    booking = Booking.objects.filter(pk=booking_id).only("start").first()
    log = EmailLog.objects.filter(booking_id=booking_id, kind=EmailKind.BOOKING_REMINDER).first()
    if booking is None or log is None:
        return False
    events = [*log.events, _event("rearmed", now, previous_start=previous_start and previous_start.isoformat())]
    rearmed = (
        EmailLog.objects.filter(
            pk=log.pk,
            status__in=[EmailStatus.SENT, EmailStatus.DELIVERED, EmailStatus.FAILED, EmailStatus.SKIPPED],
        )
        .exclude(booking_start=booking.start)
        .update(status=EmailStatus.QUEUED, attempts=0, next_attempt_at=None, error="", events=events)
    )
    return bool(rearmed)


def preference_email_opt_out(*, user_id: int | None = None, email: str = "") -> NotificationPreference:
    """Switch off optional e-mails for an account, or for a guest address (its account, if it has one)."""
    from django.contrib.auth import get_user_model

    if not user_id and email:
        user_id = get_user_model().objects.filter(email__iexact=email).values_list("pk", flat=True).first()
    if user_id:
        preference, _ = NotificationPreference.objects.update_or_create(user_id=user_id, defaults={"email_enabled": False})
    else:
        preference, _ = NotificationPreference.objects.update_or_create(
            user=None, email=email.strip().lower(), defaults={"email_enabled": False}
        )
    return preference


# --- Claim, send, finalise ---------------------------------------------------------------------


def email_deliver(*, log_id: int, now: datetime | None = None) -> EmailLog:
    """Claim the row, decide, send, record. Safe to call any number of times, from any number of workers."""
    now = now or timezone.now()
    token = _claim(log_id, now)
    log = EmailLog.objects.select_related(
        "booking__location", "booking__service", "booking__technician", "booking__room", "membership__user",
        "membership__tier",
    ).get(pk=log_id)
    if token is None:
        return log  # sent already, in flight elsewhere, or waiting for its backoff
    return _deliver_claimed(log, token, now)


def _deliver_claimed(log: EmailLog, token: str, now: datetime) -> EmailLog:
    try:
        decision, reason = _decide(log, now)
        if decision == WAIT:
            return _finish(log, token, now, status=EmailStatus.QUEUED, attempts=F("attempts") - 1, error=reason)
        if decision == SKIP:
            return _finish(log, token, now, status=EmailStatus.SKIPPED, error=reason, event="skipped")
        composed = _compose_for(log)
        try:
            validate_email(composed.to)
        except ValidationError:
            return _finish(log, token, now, status=EmailStatus.FAILED, error=f"invalid recipient {composed.to!r}",
                           recipient=composed.to, event="failed")
        message_id = _send(log, composed)
    except Exception as exc:  # a send problem is recorded, never raised into a booking or a task
        return _failed(log, token, now, exc)
    return _finish(
        log, token, now, status=EmailStatus.SENT, sent_at=now, recipient=composed.to, subject=composed.subject[:200],
        provider_message_id=message_id[:200], error="", event="sent",
        booking_start=log.booking.start if log.booking_id else None,
    )


def _claim(log_id: int, now: datetime) -> str | None:
    stale_claim = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS)
    token = uuid.uuid4().hex
    claimed = (
        EmailLog.objects.filter(pk=log_id)
        .filter(
            Q(status=EmailStatus.QUEUED)
            | Q(status=EmailStatus.FAILED, next_attempt_at__lte=now)
            | Q(status=EmailStatus.SENDING, claimed_at__lt=stale_claim)
        )
        .update(status=EmailStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    return token if claimed else None


def _decide(log: EmailLog, now: datetime) -> tuple[str, str]:
    """Is this mail still wanted, right now? Read from fresh rows, after the claim."""
    if log.dedupe_key:
        return SEND, ""
    if log.membership_id:
        if log.membership.status == Membership.Status.CANCELLED:
            return SKIP, "membership was cancelled"
        return SEND, ""
    booking = log.booking
    decision, reason = _BOOKING_RULES[log.kind](booking, now)
    if decision == SEND and log.kind in CHANGE_KINDS and log.sequence < booking.ics_sequence:
        return SKIP, "a later change superseded this one"
    if decision != SEND:
        return decision, reason
    if log.kind in OPTIONAL_KINDS and selectors.email_opted_out(email=booking.customer_email, user_id=booking.customer_id):
        return SKIP, "guest unsubscribed"
    return SEND, ""


def _confirmation_wanted(booking: Booking, now: datetime) -> tuple[str, str]:
    if booking.status != BookingStatus.CONFIRMED:
        return SKIP, f"booking is {booking.status}"
    if booking.start <= now:
        return SKIP, "booking already started"
    return SEND, ""


def _reminder_wanted(booking: Booking, now: datetime) -> tuple[str, str]:
    decision, reason = _confirmation_wanted(booking, now)
    if decision == SEND and booking.start > now + selectors.REMINDER_LEAD:
        return WAIT, "not due yet"
    return decision, reason


def _review_request_wanted(booking: Booking, now: datetime) -> tuple[str, str]:
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
        return SKIP, f"booking is {booking.status}"
    if booking.end > now - selectors.REVIEW_DELAY:
        return WAIT, "not due yet"
    if not (booking.location.google_review_url or settings.NOTIFICATIONS_GOOGLE_REVIEW_URL):
        return SKIP, "no Google review link configured"
    return SEND, ""


def _rescheduled_wanted(booking: Booking, now: datetime) -> tuple[str, str]:
    return _confirmation_wanted(booking, now)


def _cancelled_wanted(booking: Booking, now: datetime) -> tuple[str, str]:
    if booking.status != BookingStatus.CANCELLED:
        return SKIP, f"booking is {booking.status}"
    confirmed = EmailLog.objects.filter(
        booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION, status__in=DONE_STATUSES
    ).exists()
    if not confirmed:
        return SKIP, "the guest was never sent a confirmation"
    return SEND, ""


_BOOKING_RULES = {
    EmailKind.BOOKING_CONFIRMATION: _confirmation_wanted,
    EmailKind.BOOKING_REMINDER: _reminder_wanted,
    EmailKind.REVIEW_REQUEST: _review_request_wanted,
    EmailKind.BOOKING_RESCHEDULED: _rescheduled_wanted,
    EmailKind.BOOKING_CANCELLED: _cancelled_wanted,
}


def _compose_for(log: EmailLog) -> ComposedEmail:
    if log.dedupe_key:
        return ComposedEmail(kind=log.kind, to=log.recipient, subject=log.subject, text=log.body_text,
                             html=log.body_html)
    if log.membership_id:
        return compose(log.kind, member_facts(log.membership))
    booking = log.booking
    link = ""
    if log.kind in OPTIONAL_KINDS:
        link = unsubscribe_url(user_id=booking.customer_id, email=booking.customer_email)
    return compose(log.kind, booking_facts(booking), unsubscribe_url=link)


def _send(log: EmailLog, composed: ComposedEmail) -> str:
    """Hand the mail to the configured Django backend; returns the provider's message id."""
    message_id = make_msgid(domain="coresync")
    place_email = log.booking.location.email if log.booking_id else ""
    reply_to = place_email or settings.MANAGER_EMAIL
    message = EmailMultiAlternatives(
        subject=composed.subject,
        body=composed.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[composed.to],
        reply_to=[reply_to] if reply_to != composed.to else [],
        headers={**composed.headers, "Message-ID": message_id, "X-CoreSync-Email-Log": str(log.pk)},
    )
    message.attach_alternative(composed.html, "text/html")
    for filename, content, mimetype in composed.attachments:
        message.attach(filename, content, mimetype)
    if message.send(fail_silently=False) != 1:
        raise DeliveryError("the mail backend accepted no message")
    return getattr(message, "provider_message_id", "") or message_id.strip("<>")


def _failed(log: EmailLog, token: str, now: datetime, exc: Exception) -> EmailLog:
    attempts = EmailLog.objects.filter(pk=log.pk).values_list("attempts", flat=True).first() or 1
    permanent = isinstance(exc, DeliveryError) and exc.permanent
    retry_at = None
    if not permanent and attempts < settings.NOTIFICATIONS_MAX_ATTEMPTS:
        backoff = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        retry_at = now + timedelta(seconds=min(backoff, 6 * 3600))
    logger.warning("email %s #%s failed (attempt %s, retry at %s): %s", log.kind, log.pk, attempts, retry_at, exc)
    return _finish(log, token, now, status=EmailStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
                   next_attempt_at=retry_at, event="failed")


def _finish(log: EmailLog, token: str, now: datetime, *, event: str = "", **fields) -> EmailLog:
    """Record the outcome, only if our claim still holds (a presumed-dead worker may have been overtaken)."""
    fields.setdefault("next_attempt_at", None)
    if event:
        fields["events"] = [*log.events, _event(event, now, error=fields.get("error"))]
    updated = EmailLog.objects.filter(pk=log.pk, claim_token=token, status=EmailStatus.SENDING).update(
        claim_token="", **with_blind_indexes(EmailLog, fields)
    )
    if not updated:
        logger.warning("email #%s: claim %s lost before recording %s", log.pk, token, fields.get("status"))
    log.refresh_from_db()
    return log


def _count_sent(results) -> int:
    return sum(1 for log in results if log is not None and log.status in DONE_STATUSES)
