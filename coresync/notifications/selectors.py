"""Reads: which bookings and memberships are due an e-mail, which log rows need another try."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from coresync.bookings.models import Booking, BookingStatus
from coresync.memberships.models import Membership

from .models import SCHEDULED_KINDS, EmailKind, EmailLog, EmailStatus, NotificationPreference

REMINDER_LEAD = timedelta(hours=24)
REVIEW_DELAY = timedelta(hours=2)
# Never reach further back than this for a review request or a missed confirmation:
# a fresh deployment must not write to every guest of the last year.
REVIEW_LOOKBACK = timedelta(days=3)
MISSED_LOOKBACK = timedelta(days=2)
# The normal on-commit dispatch gets this long before the safety net steps in.
DISPATCH_GRACE = timedelta(minutes=5)
BATCH_SIZE = 500


def _logged(kind: str, *, field: str = "booking", pending_ok: bool = False) -> Exists:
    rows = EmailLog.objects.filter(**{field: OuterRef("pk")}, kind=kind)
    if pending_ok:
        rows = rows.exclude(status=EmailStatus.QUEUED)
    return Exists(rows)


def bookings_due_reminder(*, now: datetime) -> QuerySet[Booking]:
    """Confirmed bookings starting within 24 h whose reminder has not been attempted (or was re-armed)."""
    return (
        Booking.objects.filter(status=BookingStatus.CONFIRMED, start__gt=now, start__lte=now + REMINDER_LEAD)
        .filter(~_logged(EmailKind.BOOKING_REMINDER, pending_ok=True))
        .order_by("start")[:BATCH_SIZE]
    )


def bookings_due_review_request(*, now: datetime) -> QuerySet[Booking]:
    """Bookings that ended 2 h or more ago, were not cancelled, and were never asked for a review."""
    return (
        Booking.objects.filter(
            status__in=[BookingStatus.CONFIRMED, BookingStatus.COMPLETED],
            end__lte=now - REVIEW_DELAY,
            end__gt=now - REVIEW_LOOKBACK,
        )
        .filter(~_logged(EmailKind.REVIEW_REQUEST, pending_ok=True))
        .order_by("end")[:BATCH_SIZE]
    )


def bookings_missing_confirmation(*, now: datetime) -> QuerySet[Booking]:
    """Confirmed, upcoming bookings whose confirmation task never ran (broker outage, lost dispatch)."""
    return (
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED,
            start__gt=now,
            updated_at__lte=now - DISPATCH_GRACE,
            created_at__gt=now - MISSED_LOOKBACK,
        )
        .filter(~_logged(EmailKind.BOOKING_CONFIRMATION))
        .order_by("created_at")[:BATCH_SIZE]
    )


def bookings_missing_change_notice(*, now: datetime) -> QuerySet[Booking]:
    """Bookings whose latest reschedule or cancellation has no e-mail row (the dispatch was lost)."""
    this_change = EmailLog.objects.filter(booking=OuterRef("pk"), sequence=OuterRef("ics_sequence"))
    moved = Q(status=BookingStatus.CONFIRMED, rescheduled_from__isnull=False, start__gt=now) & ~Exists(
        this_change.filter(kind=EmailKind.BOOKING_RESCHEDULED)
    )
    cancelled = Q(status=BookingStatus.CANCELLED) & ~Exists(this_change.filter(kind=EmailKind.BOOKING_CANCELLED))
    return (
        Booking.objects.filter(
            ics_sequence__gt=0, updated_at__lte=now - DISPATCH_GRACE, updated_at__gt=now - MISSED_LOOKBACK
        )
        .filter(moved | cancelled)
        .order_by("updated_at")[:BATCH_SIZE]
    )


def memberships_missing_welcome(*, now: datetime) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            status=Membership.Status.ACTIVE,
            created_at__lte=now - DISPATCH_GRACE,
            created_at__gt=now - MISSED_LOOKBACK,
        )
        .filter(~_logged(EmailKind.MEMBERSHIP_WELCOME, field="membership"))
        .order_by("created_at")[:BATCH_SIZE]
    )


def email_logs_to_retry(*, now: datetime) -> QuerySet[EmailLog]:
    """Failed sends whose backoff has passed, claims left by a dead worker, and rows whose task never ran."""
    stale_claim = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS)
    return (
        EmailLog.objects.filter(
            Q(status=EmailStatus.FAILED, next_attempt_at__lte=now)
            | Q(status=EmailStatus.SENDING, claimed_at__lt=stale_claim)
            # Reminders and review requests wait in 'queued' until due; their sweeps pick them up.
            | (Q(status=EmailStatus.QUEUED, updated_at__lte=now - DISPATCH_GRACE) & ~Q(kind__in=SCHEDULED_KINDS))
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )


def email_opted_out(*, email: str, user_id: int | None = None) -> bool:
    """Has this person switched off optional e-mails, as an account holder or as a guest address?"""
    matches = Q(user__email__iexact=email) | Q(user__isnull=True, email__iexact=email)
    if user_id:
        matches |= Q(user_id=user_id)
    return NotificationPreference.objects.filter(matches, email_enabled=False).exists()
