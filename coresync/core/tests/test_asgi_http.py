"""HTTP under ASGI (issue 11): the whole middleware chain and the view in one hop to a pooled thread."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.sync import SyncToAsync
from channels.testing import HttpCommunicator
from django.core import signals
from django.db import connection

from coresync.asgi import application
from coresync.core.asgi_http import SyncChainASGIHandler


def _call(path: str, method: str = "GET", body: bytes = b"", headers=()):
    communicator = HttpCommunicator(application, method, path, body=body, headers=[(b"host", b"testserver"), *headers])
    return asyncio.run(communicator.get_response(timeout=10))


@pytest.fixture
def hops(monkeypatch):
    """Counts trips from the event loop to a thread (asgiref's ``sync_to_async``) while a request is served."""
    calls = []
    original = SyncToAsync.__call__

    def counted(self, *args, **kwargs):
        calls.append(getattr(self.func, "__name__", repr(self.func)))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_request_is_one_hop_and_closes_the_database_connection(hops):
    finished = []

    def on_finished(**kwargs):
        finished.append(threading.current_thread().name)

    signals.request_finished.connect(on_finished)
    try:
        response = _call("/api/v1/services/", headers=[(b"x-request-id", b"asgi-hop-1")])
    finally:
        signals.request_finished.disconnect(on_finished)
    assert response["status"] == 200 and json.loads(response["body"])
    assert {k.lower(): v for k, v in response["headers"]}[b"x-request-id"] == b"asgi-hop-1"  # the chain ran (RequestIdMiddleware)
    # Django's ASGIHandler made ~30 hops for this (two per MiddlewareMixin middleware, WhiteNoise, signals).
    assert hops == ["_respond"]
    assert finished and finished[0].startswith("http")  # request_finished on the pooled thread that served it


@pytest.mark.django_db(transaction=True)
def test_bad_input_through_asgi_is_a_clear_4xx_json_error():
    response = _call("/api/v1/bookings/", "POST", body=b"{not json", headers=[(b"content-type", b"application/json")])
    assert response["status"] == 400
    assert json.loads(response["body"])["error"]["code"]


def test_the_chain_is_built_synchronously():
    handler = SyncChainASGIHandler()
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)
    assert handler.executor._max_workers >= 1
    assert connection.vendor  # settings loaded
