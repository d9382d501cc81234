"""Exactly once, preferences, outages and retries, cancellations and reschedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError

from coresync.bookings.models import BookingStatus
from coresync.notifications import services, tasks
from coresync.notifications.models import EmailKind, EmailLog, EmailStatus, NotificationPreference

from .factories import BookingFactory, MembershipFactory, UserFactory

NOW = datetime(2031, 5, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_confirmation_goes_out_once_however_often_the_task_runs(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(days=3))
    for _ in range(3):
        tasks.send_booking_confirmation(booking.pk)
    assert len(outbox) == 1
    log = EmailLog.objects.get(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION)
    assert log.status == EmailStatus.SENT and log.attempts == 1 and log.sent_at == NOW
    assert log.provider_message_id


def test_the_database_refuses_a_second_row_for_the_same_booking_and_kind(spa):
    booking = BookingFactory()
    EmailLog.objects.create(booking=booking, kind=EmailKind.BOOKING_REMINDER)
    with pytest.raises(IntegrityError):
        EmailLog.objects.create(booking=booking, kind=EmailKind.BOOKING_REMINDER)


def test_the_database_refuses_a_second_welcome_for_a_membership(spa):
    membership = MembershipFactory()
    EmailLog.objects.get_or_create(membership=membership, kind=EmailKind.MEMBERSHIP_WELCOME)
    with pytest.raises(IntegrityError):
        EmailLog.objects.create(membership=membership, kind=EmailKind.MEMBERSHIP_WELCOME)


def test_reminders_go_to_bookings_within_24_hours_once(spa, outbox, frozen):
    soon = BookingFactory(start=NOW + timedelta(hours=20))
    later = BookingFactory(start=NOW + timedelta(hours=30))
    assert tasks.send_due_reminders() == 1
    assert tasks.send_due_reminders() == 0
    assert [m.to for m in outbox] == [[soon.customer_email]]
    frozen.shift(timedelta(hours=7))
    assert tasks.send_due_reminders() == 1
    assert outbox[-1].to == [later.customer_email]


def test_a_booking_cancelled_before_its_reminder_is_not_reminded(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(hours=10), status=BookingStatus.CANCELLED)
    assert tasks.send_due_reminders() == 0
    assert outbox == []
    assert not EmailLog.objects.filter(booking=booking).exists()


def test_a_reminder_claimed_then_cancelled_is_skipped(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(hours=10))
    EmailLog.objects.create(booking=booking, kind=EmailKind.BOOKING_REMINDER, status=EmailStatus.FAILED, next_attempt_at=NOW)
    booking.status = BookingStatus.CANCELLED
    booking.save()
    tasks.retry_failed_emails()
    assert outbox == []
    assert EmailLog.objects.get(booking=booking).status == EmailStatus.SKIPPED


def test_a_rescheduled_booking_is_reminded_for_the_new_time(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(hours=5))
    tasks.send_due_reminders()
    assert "Monday, May 5, 2031, 1:00 PM" in outbox[0].body
    previous = booking.start
    booking.start = NOW + timedelta(days=3)
    booking.end = booking.start + timedelta(hours=1)
    booking.blocked_until = booking.end
    booking.save()
    tasks.rearm_booking_reminder(booking.pk)
    assert EmailLog.objects.get(booking=booking).status == EmailStatus.QUEUED
    assert tasks.send_due_reminders() == 0  # not due yet
    frozen.shift(timedelta(days=2, hours=1))
    assert tasks.send_due_reminders() == 1
    assert len(outbox) == 2
    assert "Thursday, May 8, 2031, 8:00 AM" in outbox[1].body
    log = EmailLog.objects.get(booking=booking)
    assert log.booking_start == booking.start != previous
    assert [e["event"] for e in log.events] == ["sent", "rearmed", "sent"]


def test_rearming_is_a_no_op_when_the_reminder_already_matches(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(hours=5))
    tasks.send_due_reminders()
    assert services.reminder_rearm(booking_id=booking.pk) is False


def test_review_request_waits_two_hours_after_the_end(spa, outbox, frozen):
    booking = BookingFactory(start=NOW - timedelta(hours=2), status=BookingStatus.COMPLETED)
    booking.end = NOW - timedelta(hours=1)
    booking.blocked_until = booking.end
    booking.save()
    assert tasks.send_due_review_requests() == 0
    frozen.shift(timedelta(hours=1))
    assert tasks.send_due_review_requests() == 1
    assert tasks.send_due_review_requests() == 0
    assert len(outbox) == 1


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.EXPIRED])
def test_no_review_request_for_bookings_that_did_not_happen(spa, outbox, frozen, status):
    BookingFactory(start=NOW - timedelta(hours=5), status=status)
    assert tasks.send_due_review_requests() == 0
    assert outbox == []


def test_unsubscribed_guests_get_no_reminder_or_review_but_still_a_confirmation(spa, outbox, frozen):
    user = UserFactory(email="quiet@example.com")
    NotificationPreference.objects.create(user=user, email_enabled=False)
    booking = BookingFactory(start=NOW + timedelta(hours=6), customer=user, customer_email=user.email)
    tasks.send_booking_confirmation(booking.pk)
    tasks.send_due_reminders()
    frozen.shift(timedelta(hours=10))
    tasks.send_due_review_requests()
    assert len(outbox) == 1 and "Confirmed" in outbox[0].subject
    statuses = dict(EmailLog.objects.filter(booking=booking).values_list("kind", "status"))
    assert statuses == {
        EmailKind.BOOKING_CONFIRMATION: EmailStatus.SENT,
        EmailKind.BOOKING_REMINDER: EmailStatus.SKIPPED,
        EmailKind.REVIEW_REQUEST: EmailStatus.SKIPPED,
    }


def test_a_guest_address_preference_applies_without_an_account(spa, outbox, frozen):
    services.preference_email_opt_out(email="Walk.In@Example.com")
    BookingFactory(start=NOW + timedelta(hours=6), customer_email="walk.in@example.com")
    tasks.send_due_reminders()
    assert outbox == []


def test_invalid_recipient_is_logged_as_failed_not_raised(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(days=2), customer_email="not-an-address")
    log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION)
    assert log.status == EmailStatus.FAILED
    assert "invalid recipient" in log.error
    assert log.next_attempt_at is None  # retrying cannot fix an address
    assert outbox == []


def test_outage_then_retry_sends_exactly_once_with_backoff(spa, outbox, frozen, settings, mail_down):
    booking = BookingFactory(start=NOW + timedelta(days=2))
    tasks.send_booking_confirmation(booking.pk)
    log = EmailLog.objects.get(booking=booking)
    assert log.status == EmailStatus.FAILED and "unreachable" in log.error
    assert log.next_attempt_at == NOW + timedelta(seconds=120)

    frozen.shift(timedelta(seconds=60))
    tasks.retry_failed_emails()  # backoff not over yet: not even tried
    assert EmailLog.objects.get(pk=log.pk).attempts == 1

    frozen.shift(timedelta(seconds=60))
    tasks.retry_failed_emails()  # still down: the next wait doubles
    log.refresh_from_db()
    assert log.attempts == 2 and log.next_attempt_at == NOW + timedelta(seconds=120 + 240)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    frozen.shift(timedelta(seconds=240))
    tasks.retry_failed_emails()
    tasks.retry_failed_emails()
    tasks.send_booking_confirmation(booking.pk)
    log.refresh_from_db()
    assert log.status == EmailStatus.SENT and log.attempts == 3
    assert len(outbox) == 1


def test_retries_stop_after_the_maximum_attempts(spa, outbox, frozen, settings, mail_down):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    booking = BookingFactory(start=NOW + timedelta(days=2))
    tasks.send_booking_confirmation(booking.pk)
    frozen.shift(timedelta(hours=1))
    tasks.retry_failed_emails()
    log = EmailLog.objects.get(booking=booking)
    assert log.status == EmailStatus.FAILED and log.attempts == 2 and log.next_attempt_at is None
    frozen.shift(timedelta(days=1))
    tasks.retry_failed_emails()
    assert EmailLog.objects.get(booking=booking).attempts == 2


def test_a_claim_left_by_a_killed_worker_is_retried_after_the_timeout(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(days=2))
    EmailLog.objects.create(
        booking=booking, kind=EmailKind.BOOKING_CONFIRMATION, status=EmailStatus.SENDING,
        claim_token="dead-worker", claimed_at=NOW, attempts=1,
    )
    tasks.send_booking_confirmation(booking.pk)  # the redelivered task: the claim is fresh, hands off
    tasks.retry_failed_emails()
    assert outbox == []
    frozen.shift(timedelta(minutes=16))
    tasks.retry_failed_emails()
    log = EmailLog.objects.get(booking=booking)
    assert log.status == EmailStatus.SENT and log.attempts == 2 and len(outbox) == 1


def test_a_dead_worker_finishing_late_cannot_overwrite_the_new_claim(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(days=2))
    log = EmailLog.objects.create(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION)
    stale_token = services._claim(log.pk, NOW)
    frozen.shift(timedelta(minutes=16))
    services.email_deliver(log_id=log.pk)
    services._finish(log, stale_token, NOW, status=EmailStatus.FAILED, error="late")
    assert EmailLog.objects.get(pk=log.pk).status == EmailStatus.SENT


def test_the_safety_net_sends_a_confirmation_whose_dispatch_was_lost(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(days=2))  # no task ever ran: the broker was down
    tasks.retry_failed_emails()
    assert outbox == []  # the normal dispatch gets its grace period
    frozen.shift(timedelta(minutes=6))
    tasks.retry_failed_emails()
    assert [m.to for m in outbox] == [[booking.customer_email]]


def test_the_safety_net_sends_a_lost_membership_welcome(spa, outbox, frozen):
    membership = MembershipFactory()
    EmailLog.objects.filter(membership=membership).delete()
    outbox.clear()
    frozen.shift(timedelta(minutes=6))
    tasks.retry_failed_emails()
    assert [m.to for m in outbox] == [[membership.user.email]]


def test_a_manager_resend_sends_again_and_is_recorded(spa, outbox, frozen, django_user_model):
    booking = BookingFactory(start=NOW + timedelta(days=2))
    tasks.send_booking_confirmation(booking.pk)
    log = services.email_resend(log=EmailLog.objects.get(booking=booking), actor=spa.manager)
    assert log.status == EmailStatus.SENT and len(outbox) == 2
    assert [e["event"] for e in log.events] == ["sent", "resend_requested", "sent"]


def test_confirmation_is_skipped_for_a_booking_cancelled_before_the_task_ran(spa, outbox, frozen):
    booking = BookingFactory(start=NOW + timedelta(days=2), status=BookingStatus.CANCELLED)
    log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION)
    assert log.status == EmailStatus.SKIPPED and outbox == []


def test_a_task_for_a_missing_booking_does_nothing(spa, outbox):
    tasks.send_booking_confirmation(987654321)
    tasks.send_membership_welcome(987654321)
    assert outbox == []
