"""Two (or eight) workers running the same task at once send one e-mail. PostgreSQL only."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from coresync.notifications import tasks
from coresync.notifications.models import EmailKind, EmailLog, EmailStatus

from .factories import BookingFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locking"),
]
WORKERS = 8


class SlowBackend:
    """The locmem backend, holding each send open until every other worker has given up (or 5 s)."""

    everyone_else_done = threading.Event()

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        self.everyone_else_done.wait(timeout=5)
        mail.outbox.extend(messages)
        return len(messages)


def _run_concurrently(task, *args) -> None:
    barrier = threading.Barrier(WORKERS)
    finished = []
    lock = threading.Lock()
    SlowBackend.everyone_else_done.clear()

    def worker():
        try:
            barrier.wait()
            task(*args)
        finally:
            connections.close_all()
            with lock:
                finished.append(1)
                if len(finished) >= WORKERS - 1:
                    SlowBackend.everyone_else_done.set()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


@pytest.fixture
def slow_mail(settings):
    settings.EMAIL_BACKEND = "coresync.notifications.tests.test_concurrency.SlowBackend"
    mail.outbox = []
    return mail.outbox


def test_concurrent_confirmation_tasks_send_once(spa, slow_mail):
    booking = BookingFactory(start=timezone.now() + timedelta(days=2))
    _run_concurrently(tasks.send_booking_confirmation, booking.pk)
    assert len(slow_mail) == 1
    log = EmailLog.objects.get(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION)
    assert log.status == EmailStatus.SENT and log.attempts == 1


def test_concurrent_reminder_sweeps_send_once_per_booking(spa, slow_mail):
    first = BookingFactory(start=timezone.now() + timedelta(hours=3))
    second = BookingFactory(start=timezone.now() + timedelta(hours=7))
    _run_concurrently(tasks.send_due_reminders)
    assert sorted(m.to[0] for m in slow_mail) == sorted([first.customer_email, second.customer_email])
    assert EmailLog.objects.filter(kind=EmailKind.BOOKING_REMINDER, status=EmailStatus.SENT).count() == 2


def test_concurrent_retry_jobs_send_a_failed_mail_once(spa, slow_mail):
    booking = BookingFactory(start=timezone.now() + timedelta(days=2))
    EmailLog.objects.create(
        booking=booking, kind=EmailKind.BOOKING_CONFIRMATION, status=EmailStatus.FAILED,
        attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    _run_concurrently(tasks.retry_failed_emails)
    assert len(slow_mail) == 1
    assert EmailLog.objects.get(booking=booking).attempts == 2
