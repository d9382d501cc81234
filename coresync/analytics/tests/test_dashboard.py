"""The manager's dashboard JSON: the SPEC shape, the figures a manager would check by hand, a query count that does not
grow with the range, and the CSV export."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from coresync.ai_agent.models import Conversation, Outcome
from coresync.bookings.tests.factories import BookingFactory
from coresync.bookings.tests.support import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(demo_spa):
    client = APIClient()
    client.force_authenticate(demo_spa.manager)
    return client


def _book(demo_spa, day, wall, **fields):
    technician = demo_spa.tech.technician
    service = demo_spa.services["swedish-massage"] if "swedish-massage" in demo_spa.services else next(
        s for s in demo_spa.services.values() if s.required_skill_id in set(technician.skills.values_list("id", flat=True))
    )
    room = demo_spa.location.rooms.filter(room_type=service.required_room_type).first()
    return BookingFactory(service=service, technician=technician, room=room, start=at(day, wall), **fields)


def _get(client, date_from, date_to):
    return client.get("/api/v1/manager/dashboard/", {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()})


def test_the_dashboard_in_the_spec_shape_with_the_right_figures(demo_spa, manager):
    _book(demo_spa, MONDAY, "10:00", total=Decimal("108.88"), channel="web")
    _book(demo_spa, MONDAY, "12:00", total=Decimal("50.00"), channel="chat", status="completed")
    _book(demo_spa, MONDAY + timedelta(days=1), "10:00", total=Decimal("70.00"), channel="phone", status="cancelled")
    _book(demo_spa, MONDAY + timedelta(days=1), "12:00", total=Decimal("70.00"), channel="admin", status="no_show")
    Conversation.objects.create(outcome=Outcome.BOOKED)
    Conversation.objects.create(outcome=Outcome.HANDOFF, handoff=True)
    Conversation.objects.filter().update(created_at=at(MONDAY, "09:00"))

    body = _get(manager, MONDAY, MONDAY + timedelta(days=6)).json()

    assert body["revenue"]["total"] == "158.88" and body["revenue"]["source"] == "bookings"
    assert body["revenue"]["by_day"][0] == {"date": MONDAY.isoformat(), "amount": "158.88"}
    assert len(body["revenue"]["by_day"]) == 7
    assert body["bookings"]["count"] == 4
    assert body["bookings"]["by_channel"] == {"web": 1, "chat": 1, "phone": 1, "admin": 1}
    assert (body["bookings"]["cancelled"], body["bookings"]["no_show"]) == (1, 1)
    assert body["members"]["active"] >= 2 and set(body["members"]["by_tier"]) >= {"Base", "Premium"}
    tech = next(t for t in body["utilisation"]["technicians"] if t["id"] == demo_spa.tech.technician.pk)
    assert tech["by_day"][0]["booked_minutes"] > 0 and 0 < tech["by_day"][0]["utilisation"] <= 1
    assert {"technicians", "rooms"} <= set(body["utilisation"])
    assert body["concierge"] == {"conversations": 2, "bookings": 1, "handoffs": 1, "contained": 1, "conversion": 0.5,
                                 "containment": 0.5}


def test_the_query_count_is_the_same_for_a_day_and_for_ninety(demo_spa, manager):
    for n in range(30):
        _book(demo_spa, MONDAY + timedelta(days=n), "10:00")
    _get(manager, MONDAY, MONDAY)  # warm the snapshots
    counts = []
    for days in (1, 7, 90):
        with CaptureQueriesContext(connection) as queries:
            assert _get(manager, MONDAY, MONDAY + timedelta(days=days - 1)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2] and counts[0] <= 12, counts


@pytest.mark.parametrize("query", [{"date_from": "2030-06-10", "date_to": "2030-06-01"}, {"date_from": "junk"},
                                   {"date_from": "2029-01-01", "date_to": "2030-06-01"}])
def test_a_bad_range_is_400(manager, query):
    response = manager.get("/api/v1/manager/dashboard/", query)
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_the_csv_export(demo_spa, manager):
    _book(demo_spa, MONDAY, "10:00", total=Decimal("108.88"))
    response = manager.get("/api/v1/manager/dashboard.csv", {"date_from": MONDAY.isoformat(), "date_to": MONDAY.isoformat()})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert f"{MONDAY.isoformat()},108.88," in text and "total,108.88" in text and "conversations," in text
