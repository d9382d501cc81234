"""Request ids and JSON logs (issue 16)."""

from __future__ import annotations

import json
import logging

from django.test import Client

from coresync.core.observability import JsonFormatter


def test_a_request_id_is_kept_or_made_and_returned(caplog):
    with caplog.at_level(logging.INFO, logger="coresync.request"):
        given = Client().get("/healthz", HTTP_X_REQUEST_ID="abc-123")
        made = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\nforged")
    assert given["X-Request-ID"] == "abc-123"
    assert len(made["X-Request-ID"]) == 32 and "\n" not in made["X-Request-ID"]
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "coresync.request"]
    assert [(line["request_id"], line["method"], line["path"], line["status"]) for line in lines] == [
        ("abc-123", "GET", "/healthz", 200), (made["X-Request-ID"], "GET", "/healthz", 200)]
    assert all(isinstance(line["duration_ms"], float) for line in lines)


def test_a_refused_request_is_logged_once(caplog):
    """A 4xx is a normal answer (a time already taken, a wrong id): one line from coresync.request, not two."""
    with caplog.at_level(logging.INFO):
        response = Client().get("/api/v1/services/no-such-service/")
    assert response.status_code == 404
    assert [(r.name, r.levelname) for r in caplog.records if r.name.startswith(("django.request", "coresync.request"))] == [
        ("coresync.request", "INFO")]
