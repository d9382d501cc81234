"""The HTTP contract of SPEC §4: shapes, error codes, bad input, idempotency, budgets."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coresync.bookings.models import Booking

NY = ZoneInfo("America/New_York")
# A Tuesday morning; the demo spa opens 09:00–21:00 on weekdays.
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=NY)
TOMORROW = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client():
    return APIClient()


def token_client(user) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def slots(api, service="swedish-massage", days=1, start=TOMORROW, **params):
    response = api.get(
        "/api/v1/availability/",
        {"service": service, "date_from": start.isoformat(), "date_to": (start + timedelta(days=days - 1)).isoformat(), **params},
    )
    assert response.status_code == 200, response.content
    return response.json()


def book(api, start, service="swedish-massage", **extra):
    body = {"service": service, "start": start, "guest": {"name": "Ava Stone", "email": "ava@example.com", "phone": "+1 212 555 0100"}}
    body.update(extra)
    return api.post("/api/v1/bookings/", body, format="json")


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


# --- catalog -------------------------------------------------------------------------


def test_catalog_shape_has_every_category_and_no_prices(client, demo_spa, django_assert_max_num_queries):
    client.get("/api/v1/services/")  # warm the catalog snapshot
    with django_assert_max_num_queries(1):
        response = client.get("/api/v1/services/")
    assert response.status_code == 200
    body = response.json()
    assert [c["slug"] for c in body["categories"]] == ["massages", "facials", "barber", "mani-pedi"]
    for category in body["categories"]:
        assert len(category["services"]) >= 4
        for service in category["services"]:
            assert {"slug", "name", "duration_minutes", "description", "image", "addons"} <= set(service)
            for addon in service["addons"]:
                assert set(addon) == {"slug", "name", "extra_minutes"}
    text = json.dumps(body).lower()
    assert "price" not in text and "amount" not in text and "$" not in text and "140.00" not in text


# --- availability --------------------------------------------------------------------------


def test_availability_shape_and_offsets(client, demo_spa):
    body = slots(client)
    assert body["service"]["slug"] == "swedish-massage"
    assert body["window_ends"] == (NOW.date() + timedelta(days=3)).isoformat()
    first = body["slots"][0]
    assert set(first) == {"start", "end", "technician"}
    assert set(first["technician"]) == {"id", "name"}
    start = datetime.fromisoformat(first["start"])
    assert start.utcoffset() == timedelta(hours=-5)
    assert datetime.fromisoformat(first["end"]) - start == timedelta(minutes=60)
    assert start.date() == TOMORROW and start.hour >= 9
    starts = [s["start"] for s in body["slots"]]
    assert starts == sorted(starts) and len(starts) == len(set(starts))


@pytest.mark.parametrize(("who", "window"), [(None, 3), ("base", 60), ("premium", 90)])
def test_window_per_tier(demo_spa, who, window):
    api = token_client(getattr(demo_spa, who)) if who else APIClient()
    body = slots(api, days=120, start=NOW.date())
    window_ends = NOW.date() + timedelta(days=window)
    assert body["window_ends"] == window_ends.isoformat()
    last_day = max(datetime.fromisoformat(s["start"]).date() for s in body["slots"])
    assert window_ends - timedelta(days=1) <= last_day <= window_ends


def test_availability_respects_technician_and_addons(client, demo_spa):
    maya = demo_spa.technicians["Maya Rivera"]
    body = slots(client, technician=maya.id, addons="hot-stones")
    assert body["slots"] and all(s["technician"]["id"] == maya.id for s in body["slots"])
    first = body["slots"][0]
    assert datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"]) == timedelta(minutes=75)


@pytest.mark.parametrize("days", [3, 90])
def test_availability_query_budget_is_constant(demo_spa, days, django_assert_max_num_queries):
    api = token_client(demo_spa.premium)
    slots(api, days=days)  # warm the snapshot
    with django_assert_max_num_queries(4):
        slots(api, days=days)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "validation_error"),
        ({"service": "no-such-service"}, 400, "unknown_service"),
        ({"service": "swedish-massage", "date_from": "2026-13-01"}, 400, "validation_error"),
        ({"service": "swedish-massage", "date_from": "2026-12-05", "date_to": "2026-12-01"}, 400, "validation_error"),
        ({"service": "swedish-massage", "date_from": "2026-12-01", "date_to": "2027-12-01"}, 400, "validation_error"),
        ({"service": "swedish-massage", "technician": "abc"}, 400, "validation_error"),
        ({"service": "swedish-massage", "technician": "999999"}, 400, "unknown_technician"),
        ({"service": "swedish-massage", "addons": "eye-revival-treatment"}, 400, "unknown_addon"),
        ({"service": "../../etc/passwd"}, 400, "validation_error"),
    ],
)
def test_availability_bad_input(client, demo_spa, params, status, code):
    assert_error(client.get("/api/v1/availability/", params), status, code)


# --- booking create -------------------------------------------------------------------------


def test_create_returns_contract_shape(client, demo_spa):
    slot = slots(client)["slots"][0]
    response = book(client, slot["start"], addons=["hot-stones"], notes="First visit")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("CS-") and len(body["reference"]) == 9
    assert body["status"] == "confirmed" and body["channel"] == "web"
    assert body["start"] == slot["start"]
    assert body["service"] == {"slug": "swedish-massage", "name": "Swedish Massage"}
    assert body["technician"] == slot["technician"]
    assert set(body["room"]) == {"id", "name"}
    assert [a["slug"] for a in body["addons"]] == ["hot-stones"]
    price = body["price"]
    assert price == {
        "currency": "USD", "subtotal": "170.00", "discount": "0.00", "tax": "15.09", "total": "185.09", "tier": None,
        "lines": [
            {"description": "Swedish Massage", "amount": "140.00"},
            {"description": "Hot Stones", "amount": "30.00"},
            {"description": "Sales tax (8.875%)", "amount": "15.09"},
        ],
    }
    booking = Booking.objects.get(reference=body["reference"])
    assert booking.customer_email == "ava@example.com" and booking.blocked_until == booking.end + timedelta(minutes=15)


def test_member_pays_tier_price(demo_spa):
    api = token_client(demo_spa.premium)
    slot = slots(api)["slots"][0]
    body = api.post("/api/v1/bookings/", {"service": "swedish-massage", "start": slot["start"]}, format="json").json()
    assert body["price"]["subtotal"] == "140.00" and body["price"]["discount"] == "56.00"
    assert body["price"]["tax"] == "7.46" and body["price"]["total"] == "91.46"
    assert {"description": "Premium member discount (40%)", "amount": "-56.00"} in body["price"]["lines"]
    assert Booking.objects.get(reference=body["reference"]).customer == demo_spa.premium


def test_taken_slot_is_409_and_next_request_gets_another_technician(client, demo_spa):
    slot = slots(client)["slots"][0]
    assert book(client, slot["start"], technician=slot["technician"]["id"]).status_code == 201
    assert_error(book(client, slot["start"], technician=slot["technician"]["id"]), 409, "slot_unavailable")
    again = book(client, slot["start"])
    if again.status_code == 201:
        assert again.json()["technician"]["id"] != slot["technician"]["id"]
    else:
        assert_error(again, 409, "slot_unavailable")


def test_outside_window_is_403(client, demo_spa):
    start = datetime(2026, 12, 10, 10, 0, tzinfo=NY).isoformat()
    error = assert_error(book(client, start), 403, "outside_booking_window")
    assert error["window_ends"] == "2026-12-04"


def test_create_query_budget(demo_spa):
    """S4/S6: a member's booking with an add-on and an Idempotency-Key in at most 8 statements.

    SAVEPOINT/RELEASE are left out: they exist only because the test itself runs
    inside a transaction (in production the booking's atomic block is the outermost).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = token_client(demo_spa.base)
    free = slots(api)["slots"]
    with CaptureQueriesContext(connection) as captured:
        response = api.post("/api/v1/bookings/", {"service": "swedish-massage", "start": free[0]["start"], "addons": ["hot-stones"]},
                            format="json", HTTP_IDEMPOTENCY_KEY="budget-1")
    assert response.status_code == 201
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) <= 8, statements


LONG_NOTES = "x" * 100_000


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ("[1, 2, 3]", 400, "validation_error"),
        ('"just a string"', 400, "validation_error"),
        ({"start": "2026-12-02T10:00:00-05:00"}, 400, "validation_error"),
        ({"service": 42, "start": "2026-12-02T10:00:00-05:00"}, 400, "unknown_service"),
        ({"service": ["swedish-massage"], "start": "2026-12-02T10:00:00-05:00"}, 400, "validation_error"),
        ({"service": "swedish-massage", "start": "tomorrow at ten"}, 400, "validation_error"),
        ({"service": "swedish-massage", "start": 1764687600}, 400, "validation_error"),
        ({"service": "unknown-thing", "start": "2026-12-02T10:00:00-05:00"}, 400, "unknown_service"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:00:00-05:00"}, 400, "validation_error"),  # no guest
        ({"service": "swedish-massage", "start": "2026-11-20T10:00:00-05:00"}, 400, "start_in_past"),
        ({"service": "swedish-massage", "start": "2026-12-01T09:00:00-05:00"}, 400, "start_too_soon"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:07:00-05:00"}, 400, "invalid_start"),
        ({"service": "swedish-massage", "start": "2026-12-02T20:30:00-05:00"}, 400, "invalid_start"),
        ({"service": "swedish-massage", "start": "2026-12-02T06:00:00-05:00"}, 400, "invalid_start"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:00:00-05:00", "technician": "maya"}, 400, "validation_error"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:00:00-05:00", "technician": 10**12}, 400, "validation_error"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:00:00-05:00", "technician": 999999}, 400, "unknown_technician"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:00:00-05:00", "addons": ["paraffin-treatment"]}, 400, "unknown_addon"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:00:00-05:00", "addons": "hot-stones"}, 400, "validation_error"),
        ({"service": "swedish-massage", "start": "2026-12-02T10:00:00-05:00", "notes": LONG_NOTES}, 400, "validation_error"),
    ],
)
def test_create_bad_input_table(client, demo_spa, body, status, code):
    if isinstance(body, dict) and "guest" not in body and code != "validation_error":
        body = {**body, "guest": {"name": "Ava Stone", "email": "ava@example.com"}}
    payload = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/api/v1/bookings/", payload, content_type="application/json")
    assert_error(response, status, code)
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("guest", "field"),
    [
        ({"name": "Ava", "email": "not-an-email"}, "guest"),
        ({"name": "", "email": "ava@example.com"}, "guest"),
        ({"name": "Ava\x00Stone", "email": "ava@example.com"}, "guest.name"),
        ({"name": "Ava\x1b[31m", "email": "ava@example.com"}, "guest.name"),
        ({"name": "Ava", "email": "ava@example.com", "phone": "call me maybe"}, "guest.phone"),
        ({"name": "A" * 151, "email": "ava@example.com"}, "guest"),
    ],
)
def test_guest_details_are_validated(client, demo_spa, guest, field):
    start = slots(client)["slots"][0]["start"]
    response = client.post("/api/v1/bookings/", {"service": "swedish-massage", "start": start, "guest": guest}, format="json")
    error = assert_error(response, 400, "validation_error")
    assert any(key.startswith(field) for key in error["fields"]), error["fields"]
    assert Booking.objects.count() == 0


def test_control_characters_in_notes_are_refused(client, demo_spa):
    start = slots(client)["slots"][0]["start"]
    assert_error(book(client, start, notes="hello\x07world"), 400, "validation_error")


def test_non_json_content_type_is_415(client, demo_spa):
    response = client.post("/api/v1/bookings/", "service=swedish-massage", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


# --- idempotency ----------------------------------------------------------------------------


def test_idempotency_key_replays_first_answer(client, demo_spa):
    start = slots(client)["slots"][0]["start"]
    first = client.post("/api/v1/bookings/", {"service": "swedish-massage", "start": start,
                                              "guest": {"name": "Ava Stone", "email": "ava@example.com"}},
                        format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    second = client.post("/api/v1/bookings/", {"service": "swedish-massage", "start": start,
                                               "guest": {"name": "Ava Stone", "email": "ava@example.com"}},
                         format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_idempotency_key_with_other_body_is_409(client, demo_spa):
    free = slots(client)["slots"]
    first = client.post("/api/v1/bookings/", {"service": "swedish-massage", "start": free[0]["start"],
                                              "guest": {"name": "Ava Stone", "email": "ava@example.com"}},
                        format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 201
    response = client.post("/api/v1/bookings/", {"service": "swedish-massage", "start": free[8]["start"],
                                                 "guest": {"name": "Ava Stone", "email": "ava@example.com"}},
                           format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert_error(response, 409, "idempotency_key_reused")
    assert Booking.objects.count() == 1


# --- read, cancel, reschedule --------------------------------------------------------------------


@pytest.fixture
def guest_booking(client, demo_spa):
    start = slots(client, start=TOMORROW + timedelta(days=1))["slots"][4]["start"]
    response = book(client, start)
    assert response.status_code == 201
    return response.json()


def test_booking_visible_to_owner_email_and_staff_only(client, demo_spa, guest_booking):
    ref = guest_booking["reference"]
    assert_error(client.get(f"/api/v1/bookings/{ref}/"), 404, "booking_not_found")
    assert_error(client.get(f"/api/v1/bookings/{ref}/", {"email": "someone@else.com"}), 404, "booking_not_found")
    assert client.get(f"/api/v1/bookings/{ref}/", {"email": "AVA@example.com"}).json()["reference"] == ref
    assert token_client(demo_spa.manager).get(f"/api/v1/bookings/{ref}/").status_code == 200
    assert token_client(demo_spa.base).get(f"/api/v1/bookings/{ref}/").status_code == 404
    assert_error(client.get("/api/v1/bookings/CS-NOPE00/"), 404, "booking_not_found")


def test_cancel_and_reschedule_over_http(client, demo_spa, guest_booking):
    ref = guest_booking["reference"]
    later = slots(client, start=TOMORROW + timedelta(days=2))["slots"][6]["start"]
    moved = client.post(f"/api/v1/bookings/{ref}/reschedule/", {"start": later, "email": "ava@example.com"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["start"] == later and moved.json()["reference"] == ref
    cancelled = client.post(f"/api/v1/bookings/{ref}/cancel/", {"email": "ava@example.com", "reason": "Travel"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_error(client.post(f"/api/v1/bookings/{ref}/cancel/", {"email": "ava@example.com"}, format="json"), 409, "invalid_booking_state")


def test_late_cancel_is_refused_for_guests_but_not_staff(client, demo_spa):
    start = slots(client, start=NOW.date())["slots"][0]["start"]  # later today: less than 24 h away
    ref = book(client, start).json()["reference"]
    assert_error(client.post(f"/api/v1/bookings/{ref}/cancel/", {"email": "ava@example.com"}, format="json"),
                 409, "cancellation_window_closed")
    staff = token_client(demo_spa.manager).post(f"/api/v1/bookings/{ref}/cancel/", {}, format="json")
    assert staff.status_code == 200 and staff.json()["status"] == "cancelled"


def test_cancel_requires_proof_of_ownership(client, demo_spa, guest_booking):
    ref = guest_booking["reference"]
    assert_error(client.post(f"/api/v1/bookings/{ref}/cancel/", {}, format="json"), 404, "booking_not_found")
    assert Booking.objects.get(reference=ref).status == "confirmed"


# --- throttling, framework errors, docs, health ------------------------------------------------


@override_settings(REST_FRAMEWORK={**__import__("django.conf").conf.settings.REST_FRAMEWORK,
                                   "DEFAULT_THROTTLE_RATES": {"bookings": "2/hour", "chat": "60/minute"}})
def test_booking_creation_is_rate_limited(client, demo_spa):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        free = slots(client)["slots"]
        codes = [book(client, free[i * 8]["start"]).status_code for i in range(2)]
        assert codes == [201, 201]
        response = book(client, free[30]["start"])
        assert_error(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) > 0
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_framework_errors_use_the_error_shape(client, demo_spa):
    assert_error(client.delete("/api/v1/services/"), 405, "method_not_allowed")
    assert_error(client.get("/api/v1/no-such-endpoint/"), 404, "not_found")
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_error(bad_token.get("/api/v1/availability/", {"service": "swedish-massage"}), 401, "authentication_failed")


def test_schema_and_docs(client, demo_spa):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ["/api/v1/services/", "/api/v1/availability/", "/api/v1/bookings/", "/api/v1/bookings/{reference}/",
                 "/api/v1/bookings/{reference}/cancel/", "/api/v1/bookings/{reference}/reschedule/"]:
        assert path in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn.jsdelivr" not in docs.content


def test_health_and_readiness(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert {name: check["ok"] for name, check in ready.json()["checks"].items()} == {"database": True, "cache": True, "broker": True}


def test_slots_payload_matches_slot_as_dict_across_offsets_and_midnight():
    from coresync.bookings.api.serializers import slots_payload
    from coresync.bookings.selectors import Slot

    base = int(datetime(2027, 3, 13, 9, 0, tzinfo=NY).timestamp()) // 60
    slots = [
        Slot(base, base + 60, -300, 1, "Maya Rivera"),
        Slot(base + 1440, base + 1500, -240, 2, "Daniel Cho"),  # after spring-forward
        Slot(base + 14 * 60 + 30, base + 15 * 60 + 30, -300, 1, "Maya Rivera"),  # 23:30 -> 00:30 next day
        Slot(base + 7, base + 67, 330, 3, "Asha K."),  # a half-hour zone
    ]
    assert slots_payload(slots) == [slot.as_dict() for slot in slots]


def test_a_clashing_reference_is_retried_not_a_500(client, demo_spa, monkeypatch):
    """References are random; a clash with an existing one must cost a retry, never an error."""
    from coresync.bookings import models

    free = slots(client)["slots"]
    first = book(client, free[0]["start"]).json()["reference"]
    codes = iter([first, "CS-ZZZZZ2"])
    monkeypatch.setattr(models.Booking._meta.get_field("reference"), "_get_default", lambda: next(codes))
    response = book(client, free[8]["start"])
    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "CS-ZZZZZ2"


# --- the availability cache never outlives a write ----------------------------------------------
# Time is frozen in this module, so every request below falls in the same minute and would be a
# cache hit if a write did not retire the cached answer.


def maya_starts(api) -> list[str]:
    maya = Booking._meta.get_field("technician").related_model.objects.get(display_name="Maya Rivera")
    return [s["start"] for s in slots(api, technician=maya.id)["slots"]], maya.id


def test_a_booking_retires_cached_availability_at_once(client, demo_spa):
    starts, maya = maya_starts(client)
    assert book(client, starts[0], technician=maya).status_code == 201
    after, _ = maya_starts(client)
    assert starts[0] not in after
    assert len(after) < len(starts)


def test_a_cancellation_and_an_expired_hold_bring_the_time_back(client, demo_spa, settings):
    from coresync.bookings.services import bookings_expire_holds

    starts, maya = maya_starts(client)
    later = slots(client, start=TOMORROW + timedelta(days=1), technician=maya)["slots"][0]["start"]
    ref = book(client, later, technician=maya).json()["reference"]
    assert later not in [s["start"] for s in slots(client, start=TOMORROW + timedelta(days=1), technician=maya)["slots"]]
    client.post(f"/api/v1/bookings/{ref}/cancel/", {"email": "ava@example.com"}, format="json")
    assert later in [s["start"] for s in slots(client, start=TOMORROW + timedelta(days=1), technician=maya)["slots"]]

    settings.BOOKING_PAYMENT_MODE = "online"
    assert book(client, starts[0], technician=maya).json()["status"] == "pending_payment"
    assert starts[0] not in maya_starts(client)[0]
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        assert bookings_expire_holds() == 1
    assert starts[0] in maya_starts(client)[0]


def test_an_admin_edit_retires_cached_availability(client, demo_spa):
    first = slots(client)["slots"][0]
    service = demo_spa.services["swedish-massage"]
    service.duration_minutes = 90
    service.save()
    again = slots(client)["slots"][0]
    assert datetime.fromisoformat(again["end"]) - datetime.fromisoformat(again["start"]) == timedelta(minutes=90)
    assert again != first


def test_a_cached_answer_costs_only_the_callers_identity(demo_spa, django_assert_max_num_queries):
    api = token_client(demo_spa.premium)
    first = slots(api, days=90)
    with django_assert_max_num_queries(1):  # the token, with the member's tier in the same query; the answer is cached
        assert slots(api, days=90) == first


def test_members_and_guests_never_share_a_cached_answer(client, demo_spa):
    guest = slots(client, days=30, start=NOW.date())
    member = slots(token_client(demo_spa.premium), days=30, start=NOW.date())
    assert guest["window_ends"] != member["window_ends"]
    assert len(member["slots"]) > len(guest["slots"])
