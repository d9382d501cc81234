"""The OpenAPI schema documents every operation's 4xx answers in the SPEC error shape (issue 8, item 9)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_lists_its_4xx_answers_with_the_error_schema(schema):
    operations = dict(_operations(schema))
    assert len(operations) >= 8
    for name, operation in operations.items():
        errors = {status: response for status, response in operation["responses"].items() if status.startswith("4")}
        assert errors, f"{name} documents no 4xx answer"
        for status, response in errors.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, f"{name} {status}"
            assert response["description"]


def test_the_error_component_is_the_spec_shape(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["error"]
    detail = components["Error"]["properties"]["error"]["$ref"].rsplit("/", 1)[1]
    assert set(components[detail]["required"]) == {"code", "message", "fields"}


def test_the_statuses_follow_what_each_operation_can_answer(schema):
    operations = dict(_operations(schema))

    def statuses(name):
        return {s for s in operations[name]["responses"] if s.startswith("4")}

    assert {"400", "409", "413", "429"} <= statuses("POST /api/v1/bookings/")
    assert "404" in statuses("GET /api/v1/bookings/{reference}/") and "409" in statuses("POST /api/v1/bookings/{reference}/cancel/")
    assert "429" in statuses("POST /api/v1/chat/")
    assert {"401", "403"} <= statuses("GET /api/v1/manager/conversations/")
    assert "404" not in statuses("POST /api/v1/bookings/") and "401" not in statuses("GET /api/v1/services/")
