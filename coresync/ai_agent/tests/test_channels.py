"""The three doors: WebSocket consumer, HTTP twin, Atlas webhook; plus manager views and the Atlas connector."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest
import respx
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from coresync.ai_agent.models import AtlasLog, Conversation
from coresync.ai_agent.tests.conftest import SECRET, _event
from coresync.bookings.models import Booking
from coresync.integrations.atlas.client import AtlasConnector, AtlasError


@pytest.fixture
def application():
    from coresync.asgi import application

    return application


async def _connect(application, path="/ws/ai-chat/"):
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")])
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "session"
    return communicator, hello


async def _turn(communicator, message, **extra):
    await communicator.send_json_to({"message": message, **extra})
    first = await communicator.receive_json_from(timeout=10)
    if first["type"] == "typing":
        return await communicator.receive_json_from(timeout=10)
    return first


@pytest.mark.django_db(transaction=True)
def test_websocket_chat_resumes_after_reconnect(application, demo_spa, frozen_now):
    async_to_sync(_test_websocket_chat_resumes_after_reconnect)(application)


async def _test_websocket_chat_resumes_after_reconnect(application):
    communicator, hello = await _connect(application)
    assert hello["session_id"] is None
    reply = await _turn(communicator, "swedish massage tomorrow afternoon")
    assert reply["type"] == "reply" and reply["messages"][0]["actions"]
    session_id = reply["session_id"]
    await communicator.disconnect()
    again, hello = await _connect(application, f"/ws/ai-chat/?session_id={session_id}")
    assert hello == {"type": "session", "session_id": session_id, "resumed": True}
    reply = await _turn(again, "and on Wednesday?")
    assert reply["session_id"] == session_id and "Swedish Massage" in reply["messages"][0]["text"]
    await again.disconnect()


@pytest.mark.django_db(transaction=True)
def test_websocket_errors_use_the_error_shape(application, demo_spa):
    async_to_sync(_test_websocket_errors_use_the_error_shape)(application)


async def _test_websocket_errors_use_the_error_shape(application):
    communicator, _ = await _connect(application)
    reply = await _turn(communicator, "x" * 2001)
    assert reply["type"] == "error" and reply["error"]["code"] == "message_too_long"
    await communicator.send_to(text_data="{not json")
    reply = await communicator.receive_json_from()
    assert reply["error"]["code"] == "malformed_json"
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
def test_websocket_refuses_foreign_origins(application):
    async_to_sync(_test_websocket_refuses_foreign_origins)(application)


async def _test_websocket_refuses_foreign_origins(application):
    communicator = WebsocketCommunicator(application, "/ws/ai-chat/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.django_db
def test_http_twin_has_the_same_shape(client, demo_spa, frozen_now):
    response = client.post("/api/v1/chat/", {"message": "hi"}, content_type="application/json")
    body = response.json()
    assert response.status_code == 200 and set(body) == {"session_id", "messages", "state"}
    response = client.post("/api/v1/chat/", {"session_id": body["session_id"], "message": "where do I park?"}, content_type="application/json")
    assert response.json()["session_id"] == body["session_id"]
    too_long = client.post("/api/v1/chat/", {"message": "a" * 2001}, content_type="application/json")
    assert too_long.status_code == 413 and too_long.json()["error"]["code"] == "message_too_long"
    bad = client.post("/api/v1/chat/", "nope", content_type="application/json")
    assert bad.status_code == 400 and "error" in bad.json()


@pytest.mark.django_db
def test_http_chat_is_rate_limited_per_session(client, demo_spa, settings):
    settings.AI_CHAT_SESSION_RATE_LIMIT = "2/minute"
    first = client.post("/api/v1/chat/", {"message": "hi"}, content_type="application/json").json()
    codes = [
        client.post("/api/v1/chat/", {"session_id": first["session_id"], "message": "hi"}, content_type="application/json").status_code
        for _ in range(3)
    ]
    assert codes[-1] == 429


@pytest.mark.django_db
def test_websocket_chat_is_rate_limited_per_ip(application, settings):
    settings.AI_CHAT_IP_RATE_LIMIT = "0/minute"
    async_to_sync(_test_websocket_chat_is_rate_limited_per_ip)(application)


async def _test_websocket_chat_is_rate_limited_per_ip(application):
    communicator = WebsocketCommunicator(application, "/ws/ai-chat/", headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")])
    communicator.scope["client"] = ("203.0.113.7", 50000)
    connected, _ = await communicator.connect()
    assert connected and (await communicator.receive_json_from())["type"] == "session"
    reply = await _turn(communicator, "where do I park?")
    assert reply["type"] == "error" and reply["error"]["code"] == "rate_limited"
    await communicator.disconnect()


@pytest.mark.django_db
def test_manager_conversation_list_and_replay(client, demo_spa, frozen_now):
    client.post("/api/v1/chat/", {"message": "talk to a person"}, content_type="application/json")
    assert client.get("/api/v1/manager/conversations/").status_code in (401, 403)
    client.force_login(demo_spa.users["premium"])
    assert client.get("/api/v1/manager/conversations/").status_code == 403
    client.force_login(demo_spa.users["manager"])
    listing = client.get("/api/v1/manager/conversations/?handoff=true&channel=api").json()
    assert listing["count"] == 1
    session_id = listing["results"][0]["session_id"]
    replay = client.get(f"/api/v1/manager/conversations/{session_id}/").json()
    assert replay["turns_detail"][0]["message"] == "talk to a person" and replay["handoffs"][0]["status"] == "open"


@pytest.mark.django_db
def test_atlas_signatures(atlas, client):
    assert atlas(_event(1, text="hi")).status_code == 200
    assert atlas(_event(2, text="hi"), secret="wrong").status_code == 401
    assert atlas(_event(3, text="hi"), timestamp=int(time.time()) - 301).status_code == 401
    unsigned = client.post("/api/ai/atlas-webhook/", json.dumps(_event(4, text="hi")), content_type="application/json")
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "invalid_signature"


@pytest.mark.django_db
def test_rejected_atlas_requests_are_counted_not_stored(atlas):
    from coresync.ai_agent.api.atlas import rejected_requests

    before = rejected_requests()
    for n in range(50):
        assert atlas(_event(500 + n, text="hi"), secret="forged").status_code == 401
    assert not AtlasLog.objects.exists()  # anyone can send these: no row per request
    assert rejected_requests() == before + 50


@pytest.mark.django_db
def test_long_event_ids_are_compared_whole(atlas):
    common = "evt-" + "x" * 120
    first = atlas({**_event(0, text="where do I park?"), "event_id": common + "-first-event-of-the-call"})
    second = atlas({**_event(0, text="what are your opening hours?"), "event_id": common + "-second-event-of-the-call"})
    assert first.json()["reply"] != second.json()["reply"]
    assert second.json().get("status") != "duplicate"
    assert Conversation.objects.get().turns == 2
    again = atlas({**_event(0, text="what are your opening hours?"), "event_id": common + "-second-event-of-the-call"})
    assert again.json()["status"] == "duplicate" and Conversation.objects.get().turns == 2


@pytest.mark.django_db
def test_old_atlas_events_are_purged_with_the_conversations(atlas):
    from datetime import timedelta

    from django.utils import timezone

    from coresync.ai_agent.services import conversations_purge

    atlas(_event(600, text="hi"))
    atlas(_event(601, text="where do I park?"))
    AtlasLog.objects.filter(event_id="evt-600").update(received_at=timezone.now() - timedelta(days=400))
    Conversation.objects.update(updated_at=timezone.now() - timedelta(days=400))
    conversations_purge(older_than_days=90)
    assert list(AtlasLog.objects.values_list("event_id", flat=True)) == ["evt-601"]


@pytest.mark.django_db
def test_atlas_replay_is_acknowledged_once(atlas):
    first = atlas(_event(7, text="where do I park?")).json()
    again = atlas(_event(7, text="where do I park?")).json()
    assert again["status"] == "duplicate" and again["reply"] == first["reply"]
    assert Conversation.objects.get().turns == 1
    assert AtlasLog.objects.filter(event_id="evt-7").count() == 1


@pytest.mark.django_db
def test_atlas_malformed_body(settings, client, atlas):
    raw = b"{not json"
    ts = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), f"{ts}.".encode() + raw, hashlib.sha256).hexdigest()
    response = client.post("/api/ai/atlas-webhook/", raw, content_type="application/json",
                           HTTP_X_ATLAS_TIMESTAMP=ts, HTTP_X_ATLAS_SIGNATURE=f"v1={signature}")  # fmt: skip
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_event"
    assert atlas({"type": "message"}).status_code == 400


@pytest.mark.django_db
def test_signed_phone_conversation_books_with_channel_phone(atlas, django_capture_on_commit_callbacks):
    replies = []
    script = [
        ("call.started", None),
        ("message", "I'd like a swedish massage tomorrow at 3pm"),
        ("message", "My name is Carla Diaz"),
        ("message", "carla at example dot com"),
        ("message", "yes"),
    ]
    for n, (kind, text) in enumerate(script):
        body = atlas(_event(100 + n, kind=kind, text=text)).json()
        assert body["call_id"] == "call-42"
        replies.append(body["reply"])
    booking = Booking.objects.get()
    assert booking.channel == "phone" and booking.atlas_call_id == "call-42" and booking.customer_phone.endswith("5550100")
    assert booking.customer_email == "carla@example.com"
    assert "three p.m." in replies[1] and all("http" not in r and "*" not in r for r in replies)
    assert "C S" in replies[-1]  # the reference is spelled out
    with django_capture_on_commit_callbacks(execute=True):
        assert atlas(_event(200, kind="call.ended")).json()["status"] == "accepted"
    conversation = Conversation.objects.get()
    assert conversation.ended_at is not None and conversation.outcome == "booked"


@respx.mock
def test_atlas_connector_sends_the_exact_request():
    route = respx.post("https://atlas.example/v1/messages").mock(return_value=httpx.Response(201, json={"id": "msg_1"}))
    connector = AtlasConnector(base_url="https://atlas.example", api_key="key-1")
    assert connector.send_text(to="+12125550100", text="See you Friday", idempotency_key="k1") == "msg_1"
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer key-1" and sent.headers["Idempotency-Key"] == "k1"
    assert json.loads(sent.content) == {"to": "+12125550100", "text": "See you Friday"}
    respx.post("https://atlas.example/v1/messages").mock(return_value=httpx.Response(503))
    with pytest.raises(AtlasError) as error:
        connector.send_text(to="+1", text="x", idempotency_key="k2")
    assert error.value.retryable


@pytest.fixture
def guest_booking_today(demo_spa, frozen_now):
    from datetime import datetime

    from coresync.ai_agent.tests.conftest import NEW_YORK
    from coresync.bookings.services import GuestDetails, booking_create

    return booking_create(
        service="swedish-massage", start=datetime(2026, 11, 23, 15, 0, tzinfo=NEW_YORK),
        guest=GuestDetails("Ann Lee", "ann@example.com", "+1 (646) 555-0123"), now=frozen_now,
    )  # fmt: skip


def _call(atlas, call_id: str, caller: str, lines: list[str], first: int) -> list[str]:
    replies = []
    for n, text in enumerate(lines):
        response = atlas(_event(first + n, text=text, call=call_id, caller=caller))
        assert response.status_code == 200, response.content
        replies.append(response.json()["reply"])
    return replies


@pytest.mark.django_db
def test_a_call_from_the_managers_number_has_no_staff_powers(atlas, demo_spa, guest_booking_today):
    manager = demo_spa.manager
    manager.phone = "+1 (917) 555-0999"
    manager.save(update_fields=["phone"])
    reference = guest_booking_today.reference
    replies = _call(atlas, "call-mgr", "+19175550999", [f"cancel {reference}", "ann@example.com", "yes", "yes"], first=700)
    guest_booking_today.refresh_from_db()
    assert guest_booking_today.status == "confirmed"  # inside 24 hours: only the spa's team in person may
    assert "24 hours" in " ".join(replies)
    conversation = Conversation.objects.get(atlas_call_id="call-mgr")
    assert conversation.customer_id is None  # caller ID never identifies a staff account


@pytest.mark.django_db
def test_caller_id_alone_cancels_nothing(atlas, guest_booking):
    # The call comes from the very number on the booking: still the reference and the name are asked.
    replies = _call(atlas, "call-own", "+16465550123", ["I want to cancel my booking", "yes", "yes"], first=720)
    guest_booking.refresh_from_db()
    assert guest_booking.status == "confirmed"
    assert "reference" in replies[0] and all("Swedish" not in r for r in replies)


@pytest.mark.django_db
def test_caller_cancels_with_the_reference_and_the_name_on_it(atlas, guest_booking):
    reference = guest_booking.reference
    replies = _call(atlas, "call-ann", "+19175550000", ["cancel my booking", reference, "Bo Chen"], first=740)
    assert "don't match" in replies[-1] and "Swedish" not in " ".join(replies)
    replies = _call(atlas, "call-ann", "+19175550000", ["Ann Lee"], first=750)
    assert "Cancel your Swedish Massage at two p.m. on Wednesday" in replies[-1] and "yes or no" in replies[-1]
    guest_booking.refresh_from_db()
    assert guest_booking.status == "confirmed"
    _call(atlas, "call-ann", "+19175550000", ["yes"], first=760)
    guest_booking.refresh_from_db()
    assert guest_booking.status == "cancelled"


@pytest.fixture
def guest_booking(demo_spa, frozen_now):
    from datetime import datetime

    from coresync.ai_agent.tests.conftest import NEW_YORK
    from coresync.bookings.services import GuestDetails, booking_create

    return booking_create(
        service="swedish-massage", start=datetime(2026, 11, 25, 14, 0, tzinfo=NEW_YORK),
        guest=GuestDetails("Ann Lee", "ann@example.com", "+1 (646) 555-0123"), now=frozen_now,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_websocket_resume_frame_answers_the_history_and_the_conversation_goes_on(application, demo_spa, frozen_now):
    async def talk():
        communicator, _ = await _connect(application)
        first = await _turn(communicator, "hello")
        second = await _turn(communicator, "swedish massage tomorrow afternoon")
        session_id = second["session_id"]
        await communicator.disconnect()
        # Another page: a new socket, the stored session id, a resume frame first.
        again, _ = await _connect(application)
        await again.send_json_to({"type": "resume", "session_id": session_id})
        history = await again.receive_json_from(timeout=10)
        assert history["type"] == "history" and history["session_id"] == session_id
        assert [m["role"] for m in history["messages"]] == ["user", "assistant", "user", "assistant"]
        assert history["messages"][0]["text"] == "hello"
        assert history["messages"][1]["text"] == first["messages"][0]["text"]
        assert history["messages"][3]["actions"] == second["messages"][0]["actions"]
        assert history["state"] == second["state"]
        reply = await _turn(again, "and on Wednesday?")
        assert reply["session_id"] == session_id and "Swedish Massage" in reply["messages"][0]["text"]
        await again.disconnect()

    async_to_sync(talk)()


@pytest.mark.django_db(transaction=True)
def test_websocket_resume_of_an_unknown_or_expired_session_is_empty(application, demo_spa, frozen_now):
    import uuid

    from coresync.ai_agent.state import state_delete

    async def talk():
        communicator, _ = await _connect(application)
        reply = await _turn(communicator, "hello")
        # The turn's bookkeeping runs after its reply; the socket's next frame waits for it.
        await communicator.send_json_to({"type": "resume", "session_id": reply["session_id"]})
        assert (await communicator.receive_json_from(timeout=10))["session_id"] == reply["session_id"]
        await database_sync_to_async(state_delete)(reply["session_id"])  # the session's lifetime is over
        for session_id in (reply["session_id"], str(uuid.uuid4()), "not-a-uuid", None):
            await communicator.send_json_to({"type": "resume", "session_id": session_id})
            history = await communicator.receive_json_from(timeout=10)
            assert history == {"type": "history", "session_id": None, "messages": [], "state": {}}
        await communicator.disconnect()

    from channels.db import database_sync_to_async

    async_to_sync(talk)()


@pytest.mark.django_db
def test_http_history_is_only_the_owners(client, demo_spa, frozen_now):
    from django.test import Client

    client.force_login(demo_spa.users["base"])
    turn = client.post("/api/v1/chat/", {"message": "where do I park?"}, content_type="application/json").json()
    session_id = turn["session_id"]
    mine = client.get(f"/api/v1/chat/?session_id={session_id}")
    assert mine.status_code == 200
    body = mine.json()
    assert body["session_id"] == session_id and [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][1]["text"] == turn["messages"][0]["text"] and body["state"] == turn["state"]
    stranger = Client()
    assert stranger.get(f"/api/v1/chat/?session_id={session_id}").json()["messages"] == []
    other = Client()
    other.force_login(demo_spa.users["premium"])
    assert other.get(f"/api/v1/chat/?session_id={session_id}").json() == {"type": "history", "session_id": None, "messages": [], "state": {}}


@pytest.mark.django_db(transaction=True)
def test_the_turn_is_recorded_after_its_reply_and_before_the_next_frame(application, demo_spa, frozen_now):
    from coresync.ai_agent.models import AgentAction

    async def talk():
        communicator, _ = await _connect(application)
        first = await _turn(communicator, "60 min swedish massage tomorrow afternoon?")
        second = await _turn(communicator, "how much is it?")
        assert second["session_id"] == first["session_id"]
        await communicator.disconnect()
        return first["session_id"]

    from asgiref.sync import async_to_sync

    session_id = async_to_sync(talk)()
    turns = list(AgentAction.objects.filter(conversation__session_id=session_id).order_by("position").values_list("position", "message"))
    assert turns == [(1, "60 min swedish massage tomorrow afternoon?"), (2, "how much is it?")]


@pytest.mark.django_db
def test_a_websocket_turn_saves_the_state_before_the_reply_leaves(demo_spa, frozen_now):
    """The socket sends the reply, then writes the turn's rows: a client reconnecting at once resumes the session."""
    from coresync.ai_agent.services import chat_turn
    from coresync.ai_agent.state import state_load

    first = chat_turn(message="swedish massage tomorrow afternoon", channel="web", defer_writes=True)
    saved = state_load(first.session_id)  # before finish(): what a reconnect in that instant finds
    assert saved is not None and saved.turn == 1
    conversation = Conversation.objects.get(pk=saved.conversation_id)
    assert conversation.session_id.hex == first.session_id.replace("-", "")
    first.finish()
    second = chat_turn(message="and on Wednesday?", session_id=first.session_id, channel="web", defer_writes=True)
    second.finish()
    conversation.refresh_from_db()
    assert conversation.turns == 2 and Conversation.objects.count() == 1
    assert list(conversation.actions.values_list("position", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_an_empty_message_is_answered_and_logs_no_error(application, demo_spa, caplog):
    async def talk():
        communicator, _ = await _connect(application)
        reply = await _turn(communicator, "   ")
        await communicator.disconnect()
        return reply

    reply = async_to_sync(talk)()
    assert reply["type"] == "reply" and "listening" in reply["messages"][0]["text"]
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []
