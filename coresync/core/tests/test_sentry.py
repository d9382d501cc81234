"""Sentry (issue 16): an error reaches Sentry without the customer's personal data, tagged with the request id.

Offline: a capturing transport stands in for Sentry's servers (the vendor's network edge).
"""

from __future__ import annotations

import json

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.transport import Transport

from coresync.core.sentry import FILTERED, scrub, scrub_text, sentry_init

pytestmark = [pytest.mark.django_db, pytest.mark.urls("coresync.core.tests.obs_urls")]

EMAIL, PHONE, NAME, CARD = "ada.lovelace@example.com", "+1 (212) 555-0147", "Ada Lovelace", "4242 4242 4242 4242"


class Captured(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


@pytest.fixture
def sentry():
    transport = Captured()
    sentry_init(dsn="https://public@o0.ingest.sentry.invalid/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: off again for the tests that follow on this worker


def _events(transport) -> list[dict]:
    sentry_sdk.flush()
    return [item.payload.json for envelope in transport.envelopes for item in envelope.items if item.type == "event"]


def test_an_error_in_a_view_reaches_sentry_scrubbed_and_tagged_with_the_request_id(sentry):
    client = Client(raise_request_exception=False)
    response = client.post(
        "/obs/crash", {"email": EMAIL, "phone": PHONE, "name": NAME, "card_number": CARD, "notes": "allergic to nuts",
                       "service": "deep-tissue", "message": f"call me on {PHONE}"},
        HTTP_X_REQUEST_ID="abc", HTTP_AUTHORIZATION="Bearer live-secret-token", HTTP_STRIPE_SIGNATURE="t=1,v1=feedface",
        HTTP_COOKIE="sessionid=s3cr3t; csrftoken=c5rf",
    )
    assert response.status_code == 500
    events = _events(sentry)
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["request_id"] == "abc"
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    assert event["request"]["data"]["service"] == "deep-tissue"  # ordinary fields stay useful
    raw = json.dumps(event)
    for secret in (EMAIL, "ada.lovelace", "555-0147", NAME, "4242 4242", "allergic", "live-secret-token", "feedface", "s3cr3t"):
        assert secret not in raw, secret
    assert event["request"]["data"]["email"] == FILTERED and event["request"]["data"]["name"] == FILTERED
    assert "user" not in event and "cookies" not in event["request"]


def test_breadcrumbs_and_log_messages_lose_contact_details(sentry):
    sentry_sdk.add_breadcrumb(category="mail", message=f"sending to {EMAIL}", data={"phone": PHONE, "guest_name": NAME})
    sentry_sdk.capture_message(f"booking failed for {EMAIL} / {PHONE}")
    raw = json.dumps(_events(sentry))
    assert EMAIL not in raw and PHONE not in raw and NAME not in raw and "555" not in raw


def test_scrub_keeps_dates_ids_and_amounts():
    text = "booking CS-ASVCF5 at 2026-12-02 10:00:00 for $120.00, id 550e8400-e29b-41d4-a716-446655440000"
    assert scrub_text(text) == text
    assert scrub_text(f"card {CARD} phone {PHONE}") == f"card {FILTERED} phone {FILTERED}"
    assert scrub({"headers": {"Authorization": "Bearer x", "X-Goog-Channel-Token": "t", "Accept": "text/html"}}) == {
        "headers": {"Authorization": FILTERED, "X-Goog-Channel-Token": FILTERED, "Accept": "text/html"}}


def test_sentry_is_off_without_a_dsn(settings):
    assert settings.SENTRY_DSN == ""  # the test settings, like a fresh install
    assert sentry_sdk.get_client().transport is None  # nothing is ever sent
