"""What a client can send never makes a 500 or drops the socket: odd dates, odd characters, odd JSON."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from coresync.ai_agent.models import AgentAction, AtlasLog, Conversation
from coresync.ai_agent.tests.conftest import _event
from coresync.ai_agent.tests.test_channels import _connect, _turn

FAR_DATES = ["massage on 9999-12-31 at 3pm", "swedish massage 9999-12-31", "massage in 99999999 weeks", "massage on 2026-13-45"]


@pytest.fixture
def application():
    from coresync.asgi import application

    return application


@pytest.mark.django_db
@pytest.mark.parametrize("message", FAR_DATES)
def test_http_chat_answers_a_date_in_year_9999(client, demo_spa, frozen_now, message):
    response = client.post("/api/v1/chat/", {"message": message}, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["messages"][0]["text"]


@pytest.mark.django_db(transaction=True)
def test_websocket_chat_answers_a_date_in_year_9999(application, demo_spa, frozen_now):
    async def talk():
        communicator, _ = await _connect(application)
        reply = await _turn(communicator, "massage on 9999-12-31 at 3pm")
        assert reply["type"] == "reply" and reply["messages"][0]["text"]
        await communicator.disconnect()

    async_to_sync(talk)()


@pytest.mark.django_db(transaction=True)
def test_websocket_lone_surrogate_and_deep_nesting_get_error_frames(application, demo_spa, frozen_now):
    async def talk():
        communicator, _ = await _connect(application)
        await communicator.send_to(text_data='{"message": "hi \\ud800 there"}')
        first = await communicator.receive_json_from(timeout=10)
        reply = first if first["type"] != "typing" else await communicator.receive_json_from(timeout=10)
        assert reply["type"] == "error" and reply["error"]["code"] == "validation_error", reply
        deep = '{"message": ' + "[" * 100_000 + "]" * 100_000 + "}"
        await communicator.send_to(text_data=deep)
        reply = await communicator.receive_json_from(timeout=10)
        assert reply["type"] == "error" and reply["error"]["code"] in ("malformed_json", "validation_error"), reply
        # The socket is still open and the conversation goes on.
        reply = await _turn(communicator, "where do I park?")
        assert reply["type"] == "reply"
        await communicator.disconnect()

    async_to_sync(talk)()


@pytest.mark.django_db
def test_atlas_text_with_a_nul_is_answered_and_stored_without_it(atlas):
    response = atlas(_event(301, text="where do I\x00 park?"))
    assert response.status_code == 200 and "park" in response.json()["reply"].lower()
    # PostgreSQL refuses NUL in text and JSON: nothing stored may carry one.
    assert "\x00" not in AtlasLog.objects.get().payload["text"]
    assert "\x00" not in AgentAction.objects.get().message


@pytest.mark.django_db
@pytest.mark.parametrize("field,value", [("from", "+1" + "5" * 40), ("call_id", "c" * 150), ("call_id", "call\x00x"), ("event_id", "e\x00")])
def test_atlas_fields_too_long_or_with_a_nul_are_a_400(atlas, field, value):
    body = _event(302, text="hi")
    body[field] = value
    response = atlas(body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_event"
    assert not Conversation.objects.exists()
