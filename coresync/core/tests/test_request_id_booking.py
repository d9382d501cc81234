"""A real booking made with ``X-Request-ID: abc``: every outbox row it writes carries abc (issue 16)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from coresync.outbox.models import OutboxMessage

NY = ZoneInfo("America/New_York")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=NY), tick=False):
        yield


def test_the_outbox_rows_of_a_booking_carry_its_requests_id(demo_spa):
    api = APIClient()
    day = date(2026, 12, 2).isoformat()
    slot = api.get("/api/v1/availability/", {"service": "swedish-massage", "date_from": day, "date_to": day}).json()["slots"][0]
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    response = api.post("/api/v1/bookings/", {"service": "swedish-massage", "start": slot["start"],
                                              "guest": {"name": "Ava Stone", "email": "ava@example.com"}},
                        format="json", HTTP_X_REQUEST_ID="abc")
    assert response.status_code == 201, response.content
    written = OutboxMessage.objects.exclude(pk__in=before)
    assert written.exists()  # the confirmation e-mail (and any mirror the settings turn on)
    assert set(written.values_list("request_id", flat=True)) == {"abc"}
