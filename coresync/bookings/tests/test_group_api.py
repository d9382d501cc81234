"""The group contract of SPEC §10.7 over HTTP: ``POST /api/v1/bookings/`` with ``party``, and ``scope`` on cancel/move."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from coresync.bookings.models import ACTIVE_Q, Booking, BookingGroup

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=NY)  # a Tuesday morning; the demo spa opens 09:00–21:00 on weekdays
TOMORROW = date(2026, 12, 2)
START = "2026-12-02T14:00:00-05:00"  # two massage therapists work from noon on Wednesdays
AVA = {"name": "Ava Stone", "email": "ava@example.com", "phone": "+1 212 555 0100"}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client():
    return APIClient()


def book_group(api, party, *, start=START, service="swedish-massage", **headers):
    body = {"service": service, "start": start, "guest": AVA, "party": party}
    return api.post("/api/v1/bookings/", body, format="json", **headers)


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_a_party_of_two_answers_201_with_the_group_and_both_bookings(client, demo_spa):
    response = book_group(client, [{"name": "Ava Stone"}, {"name": "Ben Stone", "email": "ben@example.com",
                                                           "service": "deep-tissue-massage", "addons": ["hot-stones"]}])

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"group", "bookings"}
    ava, ben = body["bookings"]
    assert ava["group"] == ben["group"] == body["group"] == str(BookingGroup.objects.get().public_id)
    assert ava["start"] == ben["start"] == START
    assert ava["service"]["slug"] == "swedish-massage" and ben["service"]["slug"] == "deep-tissue-massage"
    assert [a["slug"] for a in ben["addons"]] == ["hot-stones"] and ava["addons"] == []
    assert ava["technician"]["id"] != ben["technician"]["id"]
    assert ava["customer"] == {"name": "Ava Stone", "email": "ava@example.com"}
    assert ben["customer"] == {"name": "Ben Stone", "email": "ben@example.com"}
    assert {"currency", "subtotal", "discount", "tax", "total", "lines"} <= set(ben["price"])


def test_the_couples_ritual_puts_the_couple_side_by_side_in_the_private_spa(client, demo_spa):
    response = book_group(client, [{"name": "Ava Stone"}, {"name": "Ben Stone"}], service="private-spa-couples-ritual")

    assert response.status_code == 201, response.content
    rooms = {b["room"]["name"] for b in response.json()["bookings"]}
    assert rooms == {"The Private Spa"}
    single = client.post("/api/v1/bookings/", {"service": "private-spa-couples-ritual", "start": START, "guest": AVA}, format="json")
    assert_error(single, 409, "slot_unavailable")  # a room for two is never shared by two parties


def test_409_when_anyone_cannot_be_placed_and_nothing_is_booked(client, demo_spa):
    party = [{"name": f"Guest {n}"} for n in range(3)]  # one Private Spa, for two

    response = book_group(client, party, service="private-spa-couples-ritual")

    assert_error(response, 409, "slot_unavailable")
    assert not Booking.objects.exists() and not BookingGroup.objects.exists()


@pytest.mark.parametrize("people", [1, 7])
def test_400_for_one_person_or_more_than_six(client, demo_spa, people):
    response = book_group(client, [{"name": f"Guest {n}"} for n in range(people)])
    assert_error(response, 400, "invalid_party_size")
    assert response.json()["error"]["fields"] == {"party": ["Between 2 and 6 people."]}


@pytest.mark.parametrize("party", ["two", [{"email": "x@example.com"}], [{"name": "A"}, {"name": "B", "service": "no such"}],
                                   [{"name": "A"}, {"name": "B", "addons": ["hot-stones", 3]}]])
def test_a_malformed_party_is_a_400_not_a_500(client, demo_spa, party):
    response = book_group(client, party)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"error"}


def test_an_idempotency_key_replays_the_group(client, demo_spa):
    party = [{"name": "Ava Stone"}, {"name": "Ben Stone"}]
    first = book_group(client, party, HTTP_IDEMPOTENCY_KEY="grp-1")
    second = book_group(client, party, HTTP_IDEMPOTENCY_KEY="grp-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 2 and BookingGroup.objects.count() == 1
    other = book_group(client, [*party, {"name": "Cleo"}], HTTP_IDEMPOTENCY_KEY="grp-1")
    assert_error(other, 409, "idempotency_key_reused")


@pytest.fixture
def group(client, demo_spa):
    response = book_group(client, [{"name": "Ava Stone"}, {"name": "Ben Stone", "email": "ben@example.com"}])
    assert response.status_code == 201
    return response.json()


def test_cancel_scope_one_cancels_that_person_only(client, group):
    ben = group["bookings"][1]
    response = client.post(f"/api/v1/bookings/{ben['reference']}/cancel/", {"email": "ben@example.com"}, format="json")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert list(Booking.objects.filter(ACTIVE_Q).values_list("reference", flat=True)) == [group["bookings"][0]["reference"]]


def test_cancel_scope_all_cancels_the_whole_group(client, group):
    ava = group["bookings"][0]
    response = client.post(f"/api/v1/bookings/{ava['reference']}/cancel/", {"email": "ava@example.com", "scope": "all"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["group"] == group["group"]
    assert [b["status"] for b in response.json()["bookings"]] == ["cancelled", "cancelled"]
    assert not Booking.objects.filter(ACTIVE_Q).exists()


def test_reschedule_scope_all_moves_everyone_together(client, group):
    ava = group["bookings"][0]
    new_start = "2026-12-02T15:30:00-05:00"
    response = client.post(f"/api/v1/bookings/{ava['reference']}/reschedule/",
                           {"email": "ava@example.com", "start": new_start, "scope": "all"}, format="json")

    assert response.status_code == 200, response.content
    assert [b["start"] for b in response.json()["bookings"]] == [new_start, new_start]
    assert [b["technician"] for b in response.json()["bookings"]] == [b["technician"] for b in group["bookings"]]


def test_an_unknown_scope_is_a_400(client, group):
    ava = group["bookings"][0]
    response = client.post(f"/api/v1/bookings/{ava['reference']}/cancel/", {"email": "ava@example.com", "scope": "both"}, format="json")
    assert response.status_code == 400


def test_a_member_gets_their_price_and_their_guest_the_non_member_price(client, demo_spa):
    member = demo_spa.users["premium"]
    client.force_authenticate(member)
    response = client.post("/api/v1/bookings/", {"service": "swedish-massage", "start": START,
                                                 "party": [{"name": member.name}, {"name": "Ben Stone", "email": "ben@example.com"}]},
                           format="json")

    assert response.status_code == 201, response.content
    mine, guest = response.json()["bookings"]
    assert mine["price"]["tier"] == "Premium" and mine["price"]["discount"] != "0.00"
    assert guest["price"]["tier"] is None and guest["price"]["discount"] == "0.00"
    assert mine["price"]["subtotal"] == guest["price"]["subtotal"]
    assert set(Booking.objects.values_list("customer_id", flat=True)) == {member.pk}  # both in the member's account
