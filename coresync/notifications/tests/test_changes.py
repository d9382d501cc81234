"""A moved or cancelled booking tells the guest once per change, with an invite that updates their calendar."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone
from icalendar import Calendar

from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_cancel, booking_create, booking_reschedule
from coresync.notifications import services, tasks
from coresync.notifications.models import EmailKind, EmailLog, EmailStatus
from coresync.outbox.tasks import deliver_outbox_message, sweep_outbox

from .factories import BookingFactory

GUEST = GuestDetails(name="Ines Ortega", email="ines@example.com", phone="+1 212 555 0100")


@pytest.fixture
def slots(spa):
    today = timezone.localdate()
    service = spa.services["swedish-massage"]
    found = availability_for(service=service.slug, date_from=today + timedelta(days=1), date_to=today + timedelta(days=2))
    return service, [slot.start for slot in found.slots]


@pytest.fixture
def booked(spa, slots, outbox, django_capture_on_commit_callbacks):
    service, starts = slots
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(service=service.slug, start=starts[0], guest=GUEST)
    assert [m.subject.split(":")[0] for m in outbox] == ["Confirmed"]
    return booking


def _invite(message):
    [(filename, content, _mimetype)] = [a for a in message.attachments if a[2].startswith("text/calendar")]
    assert filename.endswith(".ics")
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def _move(booking, start, spa, capture):
    with capture(execute=True):
        return booking_reschedule(booking=booking, start=start, actor=spa.manager)


def test_each_reschedule_sends_one_moved_email_with_an_updated_invite(
    spa, slots, booked, outbox, django_capture_on_commit_callbacks
):
    _service, starts = slots
    _calendar, confirmed_event = _invite(outbox[0])
    first, second = starts[len(starts) // 2], starts[-1]

    _move(booked, first, spa, django_capture_on_commit_callbacks)
    _move(booked, second, spa, django_capture_on_commit_callbacks)

    moved = [m for m in outbox if m.subject.startswith("Moved")]
    assert len(moved) == 2 and len(outbox) == 3
    for message, start, sequence in zip(moved, (first, second), (1, 2), strict=True):
        calendar, event = _invite(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == str(confirmed_event["UID"]) == f"{booked.reference}@coresync"
        assert int(event["SEQUENCE"]) == sequence
        assert event.decoded("DTSTART") == start
        assert str(event["STATUS"]) == "CONFIRMED"
        assert message.to == [GUEST.email] and booked.reference in message.subject
    assert "New time:" in moved[1].body and "Was:" in moved[1].body
    assert int(confirmed_event["SEQUENCE"]) == 0
    logs = EmailLog.objects.filter(booking=booked, kind=EmailKind.BOOKING_RESCHEDULED).order_by("sequence")
    assert [(log.sequence, log.status) for log in logs] == [(1, EmailStatus.SENT), (2, EmailStatus.SENT)]


def test_a_retried_rescheduled_task_sends_nothing_more(spa, slots, booked, outbox, django_capture_on_commit_callbacks):
    _service, starts = slots
    _move(booked, starts[-1], spa, django_capture_on_commit_callbacks)
    for _ in range(3):
        tasks.send_booking_rescheduled(booked.pk, 1)
    assert [m.subject.split(":")[0] for m in outbox] == ["Confirmed", "Moved"]


def test_a_cancellation_sends_one_email_whose_invite_cancels_the_event(
    spa, booked, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booked, actor=spa.manager)
    tasks.send_booking_cancelled(booked.pk, 1)  # a redelivered task

    assert [m.subject.split(":")[0] for m in outbox] == ["Confirmed", "Cancelled"]
    calendar, event = _invite(outbox[1])
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == f"{booked.reference}@coresync"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert "is cancelled" in outbox[1].body
    log = EmailLog.objects.get(booking=booked, kind=EmailKind.BOOKING_CANCELLED)
    assert (log.sequence, log.status) == (1, EmailStatus.SENT)


def test_moved_then_cancelled_the_cancel_carries_the_higher_sequence(
    spa, slots, booked, outbox, django_capture_on_commit_callbacks
):
    _service, starts = slots
    _move(booked, starts[-1], spa, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booked, actor=spa.manager)
    sequences = [int(_invite(m)[1]["SEQUENCE"]) for m in outbox]
    assert sequences == [0, 1, 2]
    assert str(_invite(outbox[2])[0]["METHOD"]) == "CANCEL"


def test_the_reminder_is_still_rearmed_for_the_new_time(spa, slots, booked, outbox, django_capture_on_commit_callbacks):
    _service, starts = slots
    EmailLog.objects.create(booking=booked, kind=EmailKind.BOOKING_REMINDER, status=EmailStatus.SENT,
                            booking_start=booked.start)
    _move(booked, starts[-1], spa, django_capture_on_commit_callbacks)
    assert EmailLog.objects.get(booking=booked, kind=EmailKind.BOOKING_REMINDER).status == EmailStatus.QUEUED


def test_a_stale_rescheduled_mail_is_skipped_once_a_later_change_happened(spa, outbox):
    booking = BookingFactory(ics_sequence=2)
    log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_RESCHEDULED, sequence=1)
    assert log.status == EmailStatus.SKIPPED and "superseded" in log.error
    assert outbox == []


def test_no_cancellation_mail_for_a_booking_the_guest_never_heard_about(spa, outbox):
    booking = BookingFactory(status="cancelled", ics_sequence=1)
    log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CANCELLED, sequence=1)
    assert log.status == EmailStatus.SKIPPED and outbox == []


def test_the_database_allows_one_row_per_change_and_no_more(spa):
    booking = BookingFactory()
    EmailLog.objects.create(booking=booking, kind=EmailKind.BOOKING_RESCHEDULED, sequence=1)
    EmailLog.objects.create(booking=booking, kind=EmailKind.BOOKING_RESCHEDULED, sequence=2)
    with pytest.raises(IntegrityError):
        EmailLog.objects.create(booking=booking, kind=EmailKind.BOOKING_RESCHEDULED, sequence=2)


def test_a_cancellation_whose_dispatch_was_lost_is_sent_by_the_outbox_sweep(
    spa, booked, outbox, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(deliver_outbox_message, "delay", broker_down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booked, actor=spa.manager)
    assert len(outbox) == 1  # the cancellation is kept as an outbox row, not sent
    monkeypatch.undo()  # the broker is back
    sweep_outbox()
    sweep_outbox()
    tasks.retry_failed_emails()
    assert [m.subject.split(":")[0] for m in outbox] == ["Confirmed", "Cancelled"]
