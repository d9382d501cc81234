"""Celery tasks: thin, idempotent, safe to run twice or concurrently (the claim in ``services`` sees to it).

``acks_late`` + ``reject_on_worker_lost``: a worker killed mid-task leaves the
message on the broker and the ``sending`` claim in the database; whichever
comes back first finds the row claimed or sent and does not send again.
"""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import EmailKind

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**TASK_OPTIONS)
def send_booking_confirmation(booking_id: int) -> None:
    services.booking_email_send(booking_id=booking_id, kind=EmailKind.BOOKING_CONFIRMATION)


@shared_task(**TASK_OPTIONS)
def send_booking_rescheduled(booking_id: int, sequence: int) -> None:
    """The "your booking has moved" mail with the updated invite, once for the change ``sequence`` names."""
    services.booking_email_send(booking_id=booking_id, kind=EmailKind.BOOKING_RESCHEDULED, sequence=sequence)


@shared_task(**TASK_OPTIONS)
def send_booking_cancelled(booking_id: int, sequence: int) -> None:
    services.booking_email_send(booking_id=booking_id, kind=EmailKind.BOOKING_CANCELLED, sequence=sequence)


@shared_task(**TASK_OPTIONS)
def send_membership_welcome(membership_id: int) -> None:
    services.membership_welcome_send(membership_id=membership_id)


@shared_task(**TASK_OPTIONS)
def send_due_reminders() -> int:
    return services.reminders_send_due()


@shared_task(**TASK_OPTIONS)
def send_due_review_requests() -> int:
    return services.review_requests_send_due()


@shared_task(**TASK_OPTIONS)
def retry_failed_emails() -> int:
    """Failed sends past their exponential backoff, claims of dead workers, and dispatches that never ran."""
    return services.emails_retry_due()


@shared_task(**TASK_OPTIONS)
def rearm_booking_reminder(booking_id: int) -> None:
    services.reminder_rearm(booking_id=booking_id)
