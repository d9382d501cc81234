"""One client IP, one counter: proxy headers are trusted only behind our own proxies (issue 8, item 10)."""

from __future__ import annotations

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import RequestFactory
from rest_framework.test import APIClient

from coresync.core.ratelimit import client_ip, client_ip_from_scope


@pytest.fixture
def mid_window():
    """Fixed windows: start well inside one hour and one minute, so a test's requests never straddle two."""
    with time_machine.travel("2026-12-01 15:20:10 +0000", tick=False):
        yield


def _request(remote="198.51.100.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_unless_behind_a_proxy(settings):
    settings.BEHIND_PROXY = False
    assert client_ip(_request(forwarded="1.2.3.4")) == "198.51.100.9"


def test_behind_proxies_the_address_that_many_hops_from_the_right_counts(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "1.2.3.4" itself; our one proxy appended what it saw.
    assert client_ip(_request(remote="10.0.0.2", forwarded="1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 2  # CDN, then our load balancer
    assert client_ip(_request(remote="10.0.0.2", forwarded="1.2.3.4, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"
    # Fewer hops than proxies, or garbage: the socket's peer, never the header.
    assert client_ip(_request(remote="10.0.0.2", forwarded="203.0.113.7")) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(remote="10.0.0.2", forwarded="not-an-ip")) == "10.0.0.2"


def test_websocket_scope_gives_the_same_answer(settings):
    scope = {"client": ("10.0.0.2", 5000), "headers": [(b"x-forwarded-for", b"1.2.3.4, 203.0.113.7")]}
    settings.BEHIND_PROXY = False
    assert client_ip_from_scope(scope) == "10.0.0.2"
    settings.BEHIND_PROXY = True
    assert client_ip_from_scope(scope) == "203.0.113.7"


@pytest.mark.django_db
def test_rotating_forwarded_for_does_not_escape_the_booking_limit(demo_spa, settings, mid_window):
    """150 attempts, each claiming another address: the limit (100/hour by default) still answers 429."""
    api = APIClient()
    codes = [
        api.post("/api/v1/bookings/", {}, format="json", HTTP_X_FORWARDED_FOR=f"10.{n // 256}.{n % 256}.1").status_code
        for n in range(150)
    ]
    assert codes[:100] == [400] * 100  # the limit counts attempts, valid or not
    assert codes[100:] == [429] * 50


@pytest.mark.django_db
def test_http_and_websocket_chat_share_one_ip_bucket(demo_spa, settings, mid_window):
    from coresync.asgi import application

    settings.AI_CHAT_IP_RATE_LIMIT = "2/minute"
    api = APIClient(REMOTE_ADDR="203.0.113.50")
    assert [api.post("/api/v1/chat/", {"message": "where do I park?"}, format="json").status_code for _ in range(2)] == [200, 200]

    async def over_the_socket():
        communicator = WebsocketCommunicator(application, "/ws/ai-chat/", headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")])
        communicator.scope["client"] = ("203.0.113.50", 50000)
        connected, _ = await communicator.connect()
        assert connected and (await communicator.receive_json_from())["type"] == "session"
        await communicator.send_json_to({"message": "where do I park?"})
        frames = [await communicator.receive_json_from(timeout=10)]
        while frames[-1]["type"] == "typing":
            frames.append(await communicator.receive_json_from(timeout=10))
        await communicator.disconnect()
        return frames[-1]

    reply = async_to_sync(over_the_socket)()
    assert reply["type"] == "error" and reply["error"]["code"] == "rate_limited"
