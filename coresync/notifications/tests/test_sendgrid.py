"""SendGrid, faked at its network edge (the SDK's urllib opener), and its signed Event Webhook."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.mail import EmailMultiAlternatives

from coresync.integrations.sendgrid.backend import DeliveryError, SendGridBackend
from coresync.notifications import services
from coresync.notifications.models import EmailKind, EmailLog, EmailStatus, NotificationPreference

from .factories import BookingFactory

MAIL_SEND = "https://api.sendgrid.com/v3/mail/send"
FIXTURES = Path(__file__).parent / "fixtures" / "sendgrid"
WEBHOOK = "/api/notifications/sendgrid/events/"


def test_backend_posts_the_exact_v3_body(sendgrid):
    sendgrid.answer(202, X_Message_Id="abc123XYZ")
    message = EmailMultiAlternatives(
        subject="Confirmed: Swedish Massage",
        body="plain text",
        from_email="CoreSync Spa <concierge@coresync.test>",
        to=["Amelia Laurent <amelia@example.com>"],
        reply_to=["manager@coresync.test"],
        headers={"List-Unsubscribe": "<https://spa.test/u/x/>", "X-CoreSync-Email-Log": "42", "Message-ID": "<m@coresync>"},
    )
    message.attach_alternative("<p>html</p>", "text/html")
    message.attach("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")

    assert SendGridBackend().send_messages([message]) == 1

    [request] = sendgrid.requests
    assert request.full_url == MAIL_SEND
    assert request.get_method() == "POST"
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    assert request.headers["Content-type"] == "application/json"
    assert json.loads(request.data) == {
        "personalizations": [{"to": [{"email": "amelia@example.com", "name": "Amelia Laurent"}]}],
        "from": {"email": "concierge@coresync.test", "name": "CoreSync Spa"},
        "subject": "Confirmed: Swedish Massage",
        "content": [{"type": "text/plain", "value": "plain text"}, {"type": "text/html", "value": "<p>html</p>"}],
        "reply_to": {"email": "manager@coresync.test"},
        "headers": {"List-Unsubscribe": "<https://spa.test/u/x/>"},
        "custom_args": {"email_log_id": "42"},
        "attachments": [
            {
                "content": base64.b64encode(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").decode(),
                "filename": "invite.ics",
                "type": "text/calendar",
                "disposition": "attachment",
            }
        ],
    }
    assert message.provider_message_id == "abc123XYZ"


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (401, False), (429, False), (500, False), (503, False)])
def test_backend_maps_provider_errors(sendgrid, status, permanent):
    sendgrid.answer(status, b'{"errors":[{"message":"nope"}]}')
    message = EmailMultiAlternatives(subject="s", body="b", from_email="a@coresync.test", to=["b@example.com"])
    with pytest.raises(DeliveryError) as caught:
        SendGridBackend().send_messages([message])
    assert caught.value.permanent is permanent
    assert caught.value.status == status


def test_a_real_confirmation_through_sendgrid_is_logged_with_its_message_id(spa, sendgrid):
    sendgrid.answer(202, X_Message_Id="sgid-777")
    booking = BookingFactory()
    log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION)
    assert log.status == EmailStatus.SENT and log.provider_message_id == "sgid-777"
    [body] = sendgrid.json_bodies()
    assert body["personalizations"] == [{"to": [{"email": booking.customer_email}]}]
    assert body["custom_args"] == {"email_log_id": str(log.pk)}
    assert [a["filename"] for a in body["attachments"]] == [f"coresync-{booking.reference.lower()}.ics"]
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]


def test_a_sendgrid_outage_leaves_a_failed_log_and_the_retry_sends_once(spa, sendgrid):
    now = datetime(2031, 5, 5, 12, 0, tzinfo=UTC)
    booking = BookingFactory(start=now + timedelta(days=2))
    sendgrid.answer(503, b"down")
    with time_machine.travel(now, tick=False) as clock:
        log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION)
        assert log.status == EmailStatus.FAILED and "503" in log.error
        clock.shift(timedelta(minutes=3))
        sendgrid.answer(202, X_Message_Id="second-try")
        services.emails_retry_due()
        services.emails_retry_due()
    log.refresh_from_db()
    assert log.status == EmailStatus.SENT and log.provider_message_id == "second-try"
    assert len(sendgrid.requests) == 2


def test_a_rejected_address_is_not_retried(spa, sendgrid):
    sendgrid.answer(400, b'{"errors":[{"field":"personalizations.0.to","message":"Does not contain a valid address."}]}')
    booking = BookingFactory()
    log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION)
    assert log.status == EmailStatus.FAILED and log.next_attempt_at is None
    assert "valid address" in log.error


# --- The Event Webhook -----------------------------------------------------------------------


@pytest.fixture
def signing_key(settings):
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = base64.b64encode(public_der).decode()
    return private_key


def _signed_post(client, private_key, payload: str, *, timestamp: str | None = None, tamper: bool = False):
    timestamp = timestamp or str(int(time.time()))
    signature = private_key.sign((timestamp + payload).encode(), ec.ECDSA(hashes.SHA256()))
    body = payload.replace("delivered", "bounce") if tamper else payload
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        },
    )


def _sent_log() -> EmailLog:
    booking = BookingFactory()
    return services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION)


def test_signed_delivery_events_mark_the_log_delivered_once(spa, client, signing_key, outbox):
    log = _sent_log()
    payload = (FIXTURES / "events.json").read_text().replace("__LOG_ID__", str(log.pk))
    response = _signed_post(client, signing_key, payload)
    assert response.status_code == 200
    assert response.json() == {"received": 4, "applied": 3}  # group_resubscribe is ignored on purpose
    log.refresh_from_db()
    assert log.status == EmailStatus.DELIVERED
    assert log.delivered_at == datetime.fromtimestamp(1926072003, tz=UTC)
    assert _signed_post(client, signing_key, payload).json()["applied"] == 0  # redelivered batch: no change
    log.refresh_from_db()
    assert [e["event"] for e in log.events] == ["sent", "processed", "delivered", "open"]


def test_a_tampered_body_is_rejected(spa, client, signing_key, outbox):
    log = _sent_log()
    payload = json.dumps([{"event": "delivered", "email_log_id": str(log.pk), "timestamp": 1, "sg_event_id": "x"}])
    assert _signed_post(client, signing_key, payload, tamper=True).status_code == 401
    log.refresh_from_db()
    assert log.status == EmailStatus.SENT


def test_a_signature_from_another_key_is_rejected(spa, client, signing_key):
    other_key = ec.generate_private_key(ec.SECP256R1())
    assert _signed_post(client, other_key, "[]").status_code == 401


def test_missing_headers_and_missing_configuration_are_rejected(spa, client, settings, signing_key):
    assert client.post(WEBHOOK, data="[]", content_type="application/json").status_code == 401
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = ""
    response = _signed_post(client, signing_key, "[]")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "webhook_not_configured"


def test_a_signed_body_that_is_not_a_list_is_a_400(spa, client, signing_key):
    assert _signed_post(client, signing_key, '{"event": "delivered"}').status_code == 400
    assert _signed_post(client, signing_key, "not json").status_code == 400


def test_bounce_by_message_id_and_spam_report_opts_the_guest_out(spa, client, signing_key, outbox):
    log = _sent_log()
    EmailLog.objects.filter(pk=log.pk).update(provider_message_id="14c5d75ce93")
    events = [
        {"event": "bounce", "sg_message_id": "14c5d75ce93.filterdrecv-1", "sg_event_id": "b1", "reason": "550 no such user",
         "timestamp": 1926072000},
        {"event": "spamreport", "sg_message_id": "14c5d75ce93.filterdrecv-1", "sg_event_id": "s1", "timestamp": 1926072001},
        {"event": "delivered", "sg_message_id": "14c5d75ce93.filterdrecv-1", "sg_event_id": "d1", "timestamp": 1926072002},
    ]
    assert _signed_post(client, signing_key, json.dumps(events)).status_code == 200
    log.refresh_from_db()
    assert log.status == EmailStatus.BOUNCED  # a late 'delivered' does not undo a bounce
    assert "550 no such user" in log.error
    assert NotificationPreference.objects.get(email=log.booking.customer_email).email_enabled is False


# --- Replays and volume -------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-365 * 24 * 3600, -330, 330])  # past the 300 s window with room for a slow machine
def test_a_signed_batch_outside_the_time_window_is_refused_and_changes_nothing(spa, client, signing_key, outbox, offset):
    log = _sent_log()
    payload = json.dumps([{"event": "bounce", "email_log_id": str(log.pk), "timestamp": 1, "sg_event_id": "old-1"}])
    response = _signed_post(client, signing_key, payload, timestamp=str(int(time.time()) + offset))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "stale_timestamp"
    log.refresh_from_db()
    assert log.status == EmailStatus.SENT and [e["event"] for e in log.events] == ["sent"]


def test_the_time_window_follows_the_setting(spa, client, signing_key, settings):
    settings.SENDGRID_WEBHOOK_TOLERANCE = 3600
    assert _signed_post(client, signing_key, "[]", timestamp=str(int(time.time()) - 1800)).status_code == 200


def test_a_replayed_batch_is_stored_once_and_changes_nothing(spa, client, signing_key, outbox):
    from coresync.notifications.models import SendGridEvent

    log = _sent_log()
    events = [
        {"event": "delivered", "email_log_id": str(log.pk), "sg_event_id": "d-1", "timestamp": 1926072000},
        {"event": "delivered", "email_log_id": str(log.pk), "sg_event_id": "d-1", "timestamp": 1926072000},
        {"event": "open", "email_log_id": str(log.pk), "sg_event_id": "o-1", "timestamp": 1926072001},
    ]
    assert _signed_post(client, signing_key, json.dumps(events)).json() == {"received": 3, "applied": 2}
    assert _signed_post(client, signing_key, json.dumps(events)).json() == {"received": 3, "applied": 0}
    assert sorted(SendGridEvent.objects.values_list("sg_event_id", flat=True)) == ["d-1", "o-1"]
    log.refresh_from_db()
    assert [e["event"] for e in log.events] == ["sent", "delivered", "open"]


def test_a_batch_of_300_events_costs_a_fixed_number_of_queries(spa, client, signing_key, django_assert_max_num_queries):
    EmailLog.objects.bulk_create(
        EmailLog(kind=EmailKind.HANDOFF_NOTICE, dedupe_key=f"volume:{n}", recipient="manager@coresync.test",
                 status=EmailStatus.SENT, provider_message_id=f"msg{n}")
        for n in range(150)
    )
    logs = list(EmailLog.objects.filter(dedupe_key__startswith="volume:").order_by("pk"))
    events = []
    for n, log in enumerate(logs):
        events.append({"event": "delivered", "email_log_id": str(log.pk), "sg_event_id": f"d{n}", "timestamp": 1926072000})
        events.append({"event": "open", "sg_message_id": f"{log.provider_message_id}.filter-1", "sg_event_id": f"o{n}",
                       "timestamp": 1926072005})
    payload = json.dumps(events)
    with django_assert_max_num_queries(12):
        response = _signed_post(client, signing_key, payload)
    assert response.json() == {"received": 300, "applied": 300}
    assert EmailLog.objects.filter(dedupe_key__startswith="volume:", status=EmailStatus.DELIVERED).count() == 150
    assert all([e["event"] for e in log.events] == ["delivered", "open"] for log in EmailLog.objects.filter(
        dedupe_key__startswith="volume:"))
