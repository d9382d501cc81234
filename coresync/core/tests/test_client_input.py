"""Hostile bodies and paths are 4xx JSON errors, never 500s (issue 8, item 13): every JSON endpoint, both webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from coresync.core import jsonsafe
from coresync.core.errors import RequestTooLarge
from coresync.core.parsers import read_limited

DEEP = "[" * 10_000 + "]" * 10_000
ATLAS_SECRET = "atlas-test-secret"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())


def _json_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the API schema that takes a body, path parameters filled in."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                found.append((method, path.replace("{reference}", "CS-AAAAAA").replace("{id}", "1")))
    return sorted(found)


def _post_atlas(client, body: bytes):
    timestamp = str(int(time.time()))
    signature = hmac.new(ATLAS_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return client.post("/api/ai/atlas-webhook/", body, content_type="application/json",
                       HTTP_X_ATLAS_TIMESTAMP=timestamp, HTTP_X_ATLAS_SIGNATURE=f"v1={signature}")  # fmt: skip


def _post_sendgrid(client, body: bytes):
    timestamp = str(int(time.time()))
    signature = SENDGRID_KEY.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return client.post("/api/notifications/sendgrid/events/", body, content_type="application/json", headers={
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    })  # fmt: skip


ENDPOINTS = [
    *[pytest.param(method, path, id=f"{method} {path}") for method, path in _json_operations()],
    pytest.param("webhook", "atlas", id="atlas webhook"),
    pytest.param("webhook", "sendgrid", id="sendgrid webhook"),
]


@pytest.fixture
def send(demo_spa, settings):
    settings.ATLAS_WEBHOOK_SECRET = ATLAS_SECRET
    public_der = SENDGRID_KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = base64.b64encode(public_der).decode()
    client = APIClient(raise_request_exception=False)

    def post(method: str, path: str, body: bytes):
        # Signed in as whoever the endpoint is for, so every endpoint gets as far as reading its body.
        from coresync.accounts.models import User

        technician = path.startswith("/api/v1/technicians/me/")
        tech_user = User.objects.get(email="tech@coresync.test")
        client.force_login(tech_user if technician else demo_spa.manager)
        if "/worklogs/1/" in path:  # an object that exists, so the view reads the body instead of answering 404
            from datetime import date, timedelta

            from coresync.technicians.models import WorkLog

            log = WorkLog.objects.create(technician=tech_user.technician, date=date.today() - timedelta(days=400), hours="7.50")
            path = path.replace("/worklogs/1/", f"/worklogs/{log.pk}/")
        if method == "webhook":
            return (_post_atlas if path == "atlas" else _post_sendgrid)(client, body)
        return client.generic(method.upper(), path, body, content_type="application/json")

    return post


def _assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_the_parametrised_list_covers_the_api():
    paths = {path for _method, path in _json_operations()}
    assert {"/api/v1/bookings/", "/api/v1/chat/", "/api/v1/bookings/CS-AAAAAA/cancel/"} <= paths


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_json_nested_ten_thousand_deep_is_a_400(send, method, path):
    _assert_error(send(method, path, DEEP.encode()), 400)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_three_mebibyte_body_is_a_413_json_error(send, method, path):
    body = json.dumps({"message": "a" * (3 * 1024 * 1024)}).encode()
    assert _assert_error(send(method, path, body), 413)["code"] == "request_too_large"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/bookings/%00/", "/api/v1/bookings/CS-%00ABC/cancel/", "/api/v1/bookings/%00/reschedule/"])
def test_a_nul_byte_in_a_booking_reference_never_reaches_the_database(demo_spa, path, django_assert_num_queries):
    client = APIClient(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.generic("GET" if path.endswith("%00/") else "POST", path, "{}", content_type="application/json")
    assert _assert_error(response, 404)["code"] == "not_found"


def test_moderate_nesting_still_parses():
    assert jsonsafe.loads('{"a": [[{"b": "[[[[ not \\" brackets"}]]}') == {"a": [[{"b": '[[[[ not " brackets'}]]}
    assert jsonsafe.loads("[" * 32 + "]" * 32) is not None
    with pytest.raises(json.JSONDecodeError):
        jsonsafe.loads("[" * 33 + "]" * 33)


def test_a_body_without_a_declared_length_is_still_bounded(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    assert read_limited(io.BytesIO(b"0123456789")) == b"0123456789"
    with pytest.raises(RequestTooLarge):
        read_limited(io.BytesIO(b"0123456789X"))
