"""The concierge's outgoing messages travel through the outbox: a 503 from Atlas is retried, a 400 is a dead letter."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import respx
import time_machine
from django.db import transaction

from coresync.ai_agent import events
from coresync.notifications.models import EmailKind, EmailLog
from coresync.notifications.tests.factories import BookingFactory
from coresync.outbox.models import OutboxMessage, OutboxStatus
from coresync.outbox.tasks import sweep_outbox

ATLAS = "https://atlas.test"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def atlas(settings, demo_spa):
    settings.ATLAS_API_URL = ATLAS
    settings.ATLAS_API_KEY = "atlas-test-key"
    settings.ATLAS_SEND_CONFIRMATION_TEXT = True
    with respx.mock(base_url=ATLAS, assert_all_called=False) as mock:
        yield mock


def _phone_booking():
    booking = BookingFactory(customer_phone="+12125550100", channel="phone")
    with transaction.atomic():
        events.phone_booking_made.send(sender=None, booking_id=booking.pk)
    return booking, OutboxMessage.objects.get(dedupe_key=f"atlas-text:{booking.pk}")


def test_a_503_from_atlas_waits_in_the_outbox_and_goes_out_once(atlas):
    route = atlas.post("/v1/messages").mock(side_effect=[httpx.Response(503), httpx.Response(201, json={"id": "m1"})])
    booking, row = _phone_booking()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        sweep_outbox()
        sweep_outbox()
    row.refresh_from_db()
    assert (row.status, route.call_count) == (OutboxStatus.DONE, 2)
    assert {c.request.headers["Idempotency-Key"] for c in route.calls} == {f"booking-confirmation-{booking.reference}"}


def test_a_400_from_atlas_is_not_retried_and_the_manager_is_told(atlas):
    route = atlas.post("/v1/messages").mock(return_value=httpx.Response(400, json={"error": "bad number"}))
    _booking, row = _phone_booking()
    assert (row.status, route.call_count) == (OutboxStatus.DEAD, 1)
    notice = EmailLog.objects.get(kind=EmailKind.DEAD_LETTER_NOTICE, dedupe_key__startswith=f"outbox-dead:{row.pk}:")
    assert notice.recipient == "manager@coresync.test" and "atlas.confirmation_text" in notice.subject
