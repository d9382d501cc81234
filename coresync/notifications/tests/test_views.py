"""Unsubscribe link, manager preview, and the domain events that trigger e-mails."""

from __future__ import annotations

import email
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import signing
from django.db import transaction
from django.utils import timezone

from coresync.bookings.models import BookingStatus, EventKind
from coresync.bookings.services import GuestDetails, booking_create
from coresync.bookings.transitions import booking_record
from coresync.memberships.services import membership_create
from coresync.notifications import tasks
from coresync.notifications.models import EmailKind, EmailLog, EmailStatus, NotificationPreference
from coresync.notifications.unsubscribe import unsubscribe_target, unsubscribe_token, unsubscribe_url
from coresync.outbox.models import OutboxMessage, OutboxStatus
from coresync.outbox.tasks import deliver_outbox_message, sweep_outbox

from .factories import BookingFactory, UserFactory


def test_unsubscribe_token_is_signed_and_tamper_proof(settings):
    token = unsubscribe_token(email="Amelia@Example.com")
    assert unsubscribe_target(token) == {"e": "amelia@example.com"}
    assert unsubscribe_target(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    forged = signing.dumps({"u": 1}, salt="another-salt", compress=True)
    assert unsubscribe_target(forged) is None
    assert unsubscribe_target(signing.dumps(["u", 1], salt=settings.NOTIFICATIONS_UNSUBSCRIBE_SALT)) is None


def test_unsubscribe_get_asks_and_post_sets_the_preference(spa, client):
    user = UserFactory(email="leaving@example.com")
    path = unsubscribe_url(user_id=user.pk).removeprefix("http://127.0.0.1:8000")
    response = client.get(path)
    assert response.status_code == 200 and b"Stop reminders" in response.content
    assert not NotificationPreference.objects.filter(user=user).exists()  # link scanners GET; only POST acts
    response = client.post(path)  # RFC 8058 one-click, no CSRF token
    assert response.status_code == 200 and b"unsubscribed" in response.content
    assert NotificationPreference.objects.get(user=user).email_enabled is False


def test_unsubscribe_by_guest_address_reaches_the_matching_account(spa, client):
    user = UserFactory(email="member@example.com")
    client.post(unsubscribe_url(email="MEMBER@example.com").removeprefix("http://127.0.0.1:8000"))
    assert NotificationPreference.objects.get(user=user).email_enabled is False


def test_unsubscribe_with_a_bad_token_changes_nothing(spa, client):
    response = client.post("/notifications/unsubscribe/not-a-token/")
    assert response.status_code == 400
    assert NotificationPreference.objects.count() == 0


@pytest.mark.parametrize("kind", EmailKind.values)
def test_managers_preview_every_email(spa, client, kind):
    client.force_login(spa.manager)
    html = client.get(f"/manager/emails/preview/{kind}/")
    sample_marker = {"membership_welcome": b"CSM-204817", "handoff_notice": b"couples package",
                     "dead_letter_notice": b"email.booking", "waitlist_offer": b"/waitlist/offers/SAMPLE/",
                     "payroll_report": b"2031-W45"}.get(kind, b"CS-7KQ2M9")
    assert html.status_code == 200 and sample_marker in html.content
    text = client.get(f"/manager/emails/preview/{kind}/?format=text")
    assert text["Content-Type"].startswith("text/plain") and b"<table" not in text.content


def test_preview_is_for_managers_only(spa, client):
    assert client.get("/manager/emails/preview/review_request/").status_code == 302
    client.force_login(spa.guest)
    assert client.get("/manager/emails/preview/").status_code == 302
    client.force_login(spa.manager)
    assert client.get("/manager/emails/preview/").status_code == 200
    assert client.get("/manager/emails/preview/nonsense/").status_code == 404


def test_admin_lists_filters_and_resends(spa, client, outbox, settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    booking = BookingFactory()
    tasks.send_booking_confirmation(booking.pk)
    log = EmailLog.objects.get(booking=booking)
    client.force_login(spa.manager)
    listing = client.get("/admin/notifications/emaillog/?kind__exact=booking_confirmation&status__exact=sent")
    assert listing.status_code == 200 and booking.reference.encode() in listing.content
    response = client.post(
        "/admin/notifications/emaillog/", {"action": "resend", "_selected_action": [log.pk]}, follow=True
    )
    assert b"1 of 1 e-mails sent" in response.content
    assert len(outbox) == 2


# --- Triggers --------------------------------------------------------------------------------


def _next_open_slot(spa):
    from coresync.bookings.selectors import availability_for

    service = spa.services["swedish-massage"]
    today = timezone.localdate()
    result = availability_for(service=service.slug, date_from=today + timedelta(days=1), date_to=today + timedelta(days=2))
    return service, result.slots[0]


def test_a_web_booking_writes_a_confirmation_with_an_ics_to_var_mail(
    spa, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "coresync.core.mail.FileAndConsoleBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    service, slot = _next_open_slot(spa)
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(
            service=service.slug, start=slot.start,
            guest=GuestDetails(name="Ines Ortega", email="ines@example.com", phone="+1 212 555 0100"),
        )
    assert booking.status == BookingStatus.CONFIRMED
    [eml] = list(Path(tmp_path).glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes())
    assert booking.reference in message["Subject"]
    parts = {part.get_content_type(): part for part in message.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
    assert booking.reference.encode() in parts["text/calendar"].get_payload(decode=True)
    assert EmailLog.objects.get(booking=booking).status == EmailStatus.SENT


def test_a_confirmed_booking_writes_its_confirmation_to_the_outbox_and_it_is_sent(spa, outbox, django_capture_on_commit_callbacks):
    booking = BookingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            booking_record(booking, kind=EventKind.CREATED, channel="web", to_status=BookingStatus.CONFIRMED)
    row = OutboxMessage.objects.get(dedupe_key=f"email:booking_confirmation:{booking.pk}:0")
    assert row.status == OutboxStatus.DONE
    assert EmailLog.objects.get(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).status == EmailStatus.SENT


def test_a_broker_outage_is_logged_and_never_breaks_the_booking(spa, outbox, monkeypatch, caplog, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(deliver_outbox_message, "delay", broker_down)
    booking = BookingFactory()
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            booking_record(booking, kind=EventKind.CREATED, channel="web", to_status=BookingStatus.CONFIRMED)
    assert "failed" in caplog.text
    assert not EmailLog.objects.filter(booking=booking).exists()
    monkeypatch.undo()
    sweep_outbox()  # beat's sweep delivers what the outage held back, once
    sweep_outbox()
    assert EmailLog.objects.get(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).status == EmailStatus.SENT
    assert len(outbox) == 1


def test_a_new_membership_gets_its_welcome(spa, outbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="newmember@example.com", name="Noor Haddad")
    with django_capture_on_commit_callbacks(execute=True):
        membership = membership_create(user=user, tier=spa.tiers["base"], card_on_file=False)
    log = EmailLog.objects.get(membership=membership)
    assert log.status == EmailStatus.SENT and log.kind == EmailKind.MEMBERSHIP_WELCOME
    assert outbox[-1].to == ["newmember@example.com"]
    assert outbox[-1].attachments[0][0] == f"membership-card-{membership.member_number}.pdf"
