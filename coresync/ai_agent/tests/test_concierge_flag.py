"""CONCIERGE_ENABLED=0: every door of the concierge answers politely with the front desk's number.

The flag is read per request, so ``override_settings`` switches it in a running process.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from coresync.ai_agent.models import AgentAction, AtlasLog, Conversation
from coresync.ai_agent.tests.conftest import SECRET, _event, _signed
from coresync.bookings.models import Booking

DESK = "+1 (212) 555-0142"  # the demo spa's phone number


@pytest.mark.django_db
def test_http_chat_is_a_clear_503_with_the_front_desk(client, demo_spa, frozen_now):
    with override_settings(CONCIERGE_ENABLED=False):
        response = client.post("/api/v1/chat/", {"message": "book a massage tomorrow at 3pm"}, content_type="application/json")
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["error"]["code"] == "concierge_unavailable" and body["error"]["fields"] == {}
    assert DESK in body["error"]["message"] and body["handoff"] == {"reason": "concierge_disabled", "phone": DESK}
    assert response["Retry-After"]
    assert not Booking.objects.exists() and not Conversation.objects.exists() and not AgentAction.objects.exists()
    # Bad input while off is the same polite answer, never a 500.
    with override_settings(CONCIERGE_ENABLED=False):
        assert client.post("/api/v1/chat/", "nope", content_type="application/json").status_code == 503
    # Back on without a restart: the engine answers again.
    again = client.post("/api/v1/chat/", {"message": "where do I park?"}, content_type="application/json")
    assert again.status_code == 200 and set(again.json()) == {"session_id", "messages", "state"}


@pytest.mark.django_db(transaction=True)
def test_websocket_chat_answers_unavailable(demo_spa, frozen_now):
    async_to_sync(_websocket_chat_answers_unavailable)()


async def _websocket_chat_answers_unavailable():
    from coresync.asgi import application

    with override_settings(CONCIERGE_ENABLED=False):
        communicator = WebsocketCommunicator(
            application, "/ws/ai-chat/", headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")]
        )
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "session"
        await communicator.send_json_to({"message": "book a massage tomorrow at 3pm"})
        frame = await communicator.receive_json_from(timeout=10)
        await communicator.disconnect()
    assert frame["type"] == "error" and frame["error"]["code"] == "concierge_unavailable", frame
    assert DESK in frame["error"]["message"] and frame["handoff"]["phone"] == DESK


@pytest.mark.django_db
def test_atlas_webhook_verifies_logs_and_offers_a_call_back(client, settings, demo_spa, frozen_now):
    settings.ATLAS_WEBHOOK_SECRET = SECRET
    settings.CONCIERGE_ENABLED = False
    # The signature is still checked: an unsigned request is a 401, nothing stored.
    raw, headers = _signed(_event(1, text="book a massage tomorrow at 3pm"), secret="wrong")
    refused = client.post("/api/ai/atlas-webhook/", raw, content_type="application/json", **headers)
    assert refused.status_code == 401 and not AtlasLog.objects.exists()
    raw, headers = _signed(_event(2, text="book a massage tomorrow at 3pm"))
    response = client.post("/api/ai/atlas-webhook/", raw, content_type="application/json", **headers)
    assert response.status_code == 200
    body = response.json()
    assert body["call_id"] == "call-42" and body["handoff"] is True
    assert DESK in body["reply"] and "call you back" in body["reply"]
    log = AtlasLog.objects.get(event_id="evt-2")
    assert log.reply == body["reply"] and log.caller == "+19175550100" and log.status == AtlasLog.Status.PROCESSED
    assert not Booking.objects.exists() and not Conversation.objects.exists()
    # A replay is acknowledged with the same answer, not processed twice.
    replay = client.post("/api/ai/atlas-webhook/", raw, content_type="application/json", **headers)
    assert replay.json()["status"] == "duplicate" and replay.json()["reply"] == body["reply"]
    assert AtlasLog.objects.filter(event_id="evt-2").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/services/swedish-massage/"])
def test_the_site_hides_the_chat_widget(client, demo_spa, path):
    with override_settings(CONCIERGE_ENABLED=False):
        off = client.get(path)
    assert off.status_code == 200
    html = off.content.decode()
    assert "data-chat " not in html and "data-chat\n" not in html and "ai-chat-websocket.js" not in html
    assert "data-concierge-off" in html and DESK in html and 'id="concierge"' in html  # the page's #concierge links still land
    assert 'site-header__cta" href="/contact/"' in html  # the header's "Book" goes to the front desk's page
    on = client.get(path).content.decode()
    assert "data-chat " in on and "ai-chat-websocket.js" in on and "data-concierge-off" not in on


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, "True True"), ({"CONCIERGE_ENABLED": "0"}, "False False"), ({"AI_CONCIERGE_ENABLED": "0"}, "False False")],
)  # the older name still works
def test_the_flag_is_read_from_the_environment(env, expected):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in ("CONCIERGE_ENABLED", "AI_CONCIERGE_ENABLED")}
    code = "import coresync.settings as s; print(s.CONCIERGE_ENABLED, s.AI_CONCIERGE_ENABLED)"
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
