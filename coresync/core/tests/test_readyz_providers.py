"""/readyz reports each configured provider from stored state (SPEC §10.6): informational, never a 503, no network."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coresync.integrations.models import MirroredCalendar, SyncHealth
from coresync.notifications.models import EmailLog
from coresync.outbox.models import OutboxMessage, OutboxStatus
from coresync.payments.models import ProviderEventRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_network(monkeypatch):
    """Any outside connection from a provider check fails the test (the broker check is the one allowed probe)."""
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        host = address[0]
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"/readyz connected to {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


def _ready() -> dict:
    response = Client().get("/readyz")
    assert response.status_code == 200  # a degraded provider never takes the site out of service
    return response.json()


def test_a_fresh_local_install_reports_every_provider_ready(no_network):
    body = _ready()
    providers = body["providers"]
    assert {"mail", "payments", "calendar", "sheets", "concierge", "outbox", "accounting"} <= set(providers)
    assert providers["mail"]["provider"] == "local" and providers["mail"]["state"] == "ready"
    assert providers["payments"]["provider"] == "local" and providers["payments"]["ok"]
    assert providers["calendar"]["provider"] == "local" and providers["sheets"]["state"] == "off"
    assert body["status"] == "ready"


def test_mail_smtp_without_a_host_and_a_last_failed_send_are_degraded(settings):
    settings.EMAIL_PROVIDER, settings.EMAIL_HOST = "smtp", ""
    mail = _ready()["providers"]["mail"]
    assert (mail["provider"], mail["configured"], mail["state"]) == ("smtp", False, "degraded")
    settings.EMAIL_HOST = "smtp.example.test"
    assert _ready()["providers"]["mail"]["state"] == "ready"
    EmailLog.objects.create(kind="booking_confirmation", dedupe_key=uuid.uuid4().hex, status="failed",
                            error="SMTPServerDisconnected: Connection unexpectedly closed\ntrace")
    body = _ready()
    mail = body["providers"]["mail"]
    assert mail["state"] == "degraded" and mail["last_failure"] == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail["last_failure_age_seconds"] >= 0 and "mail" in body["degraded"]
    EmailLog.objects.create(kind="booking_confirmation", dedupe_key=uuid.uuid4().hex, status="sent",
                            sent_at=timezone.now() + timedelta(seconds=1))
    assert _ready()["providers"]["mail"]["state"] == "ready"  # a good send after the failure: recovered


def test_stripe_keys_present_and_the_age_of_its_last_webhook(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "pk_test_x", ""
    payments = _ready()["providers"]["payments"]
    assert payments["keys"] == {"secret_key": True, "publishable_key": True, "webhook_secret": False}
    assert payments["state"] == "degraded" and payments["last_webhook_age_seconds"] is None
    assert "sk_test_x" not in str(payments)
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    ProviderEventRecord.objects.create(provider="stripe", event_id=f"evt_{uuid.uuid4().hex}", type="payment_intent.succeeded")
    payments = _ready()["providers"]["payments"]
    assert payments["state"] == "ready" and 0 <= payments["last_webhook_age_seconds"] < 60


def test_google_calendar_unconfigured_or_with_an_expired_channel_is_degraded(settings, no_network):
    settings.CALENDAR_PROVIDER = "google"
    settings.GOOGLE_SERVICE_ACCOUNT_JSON, settings.GOOGLE_CALENDAR_MASTER_ID = "", ""
    assert _ready()["providers"]["calendar"]["configured"] is False
    settings.GOOGLE_SERVICE_ACCOUNT_JSON, settings.GOOGLE_CALENDAR_MASTER_ID = '{"type": "service_account"}', "master@group"
    MirroredCalendar.objects.create(key="master", calendar_id="master@group", last_synced_at=timezone.now() - timedelta(minutes=5),
                                    channel_id="c1", channel_expires_at=timezone.now() + timedelta(days=3))
    calendar = _ready()["providers"]["calendar"]
    assert calendar["state"] == "ready" and calendar["calendars"] == 1 and calendar["oldest_sync_age_seconds"] >= 300
    MirroredCalendar.objects.filter(key="master").update(channel_expires_at=timezone.now() - timedelta(minutes=1))
    calendar = _ready()["providers"]["calendar"]
    assert calendar["state"] == "degraded" and calendar["channels_expired"] == ["master"]


def test_a_failing_pricing_sheet_sync_makes_sheets_degraded(settings):
    settings.GOOGLE_SHEETS_PRICING_ID, settings.GOOGLE_SERVICE_ACCOUNT_JSON = "sheet-1", '{"type": "service_account"}'
    SyncHealth.objects.update_or_create(name="pricing_sheet", defaults={"failing_since": None, "last_success_at": timezone.now()})
    assert _ready()["providers"]["sheets"]["state"] == "ready"
    SyncHealth.objects.filter(name="pricing_sheet").update(failing_since=timezone.now(), last_error="row 4: price is not a number")
    sheets = _ready()["providers"]["sheets"]
    assert sheets["state"] == "degraded" and sheets["failing"] == ["pricing_sheet"]
    assert "row 4" not in str(sheets)  # the stored error stays in the admin


def test_the_concierge_engine_llm_without_a_key_is_degraded_and_off_when_disabled(settings):
    settings.AI_ENGINE, settings.AI_LLM_API_KEY = "llm", ""
    concierge = _ready()["providers"]["concierge"]
    assert (concierge["provider"], concierge["configured"], concierge["state"]) == ("llm", False, "degraded")
    settings.AI_LLM_API_KEY = "sk-test"
    assert _ready()["providers"]["concierge"]["state"] == "ready"
    settings.AI_CONCIERGE_ENABLED = False
    assert _ready()["providers"]["concierge"]["state"] == "off"


def test_the_outbox_reports_pending_oldest_age_and_dead_letters():
    now = timezone.now()
    OutboxMessage.objects.all().delete()
    OutboxMessage.objects.bulk_create([OutboxMessage(kind="test.readyz", dedupe_key=uuid.uuid4().hex, next_attempt_at=now)
                                       for _ in range(2)])
    OutboxMessage.objects.filter(kind="test.readyz").update(created_at=now - timedelta(minutes=3))
    outbox = _ready()["providers"]["outbox"]
    assert (outbox["pending"], outbox["dead"], outbox["state"]) == (2, 0, "ready")
    assert 180 <= outbox["oldest_pending_age_seconds"] < 300
    OutboxMessage.objects.create(kind="test.readyz", dedupe_key=uuid.uuid4().hex, next_attempt_at=now, status=OutboxStatus.DEAD)
    body = _ready()
    assert body["providers"]["outbox"]["dead"] == 1 and "outbox" in body["degraded"]


def test_readyz_answers_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        _ready()
