"""The request id follows the work: into outbox rows and their handlers, Celery tasks and chat turns (issue 16)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from celery.worker.request import Request
from django.test import Client
from django.utils import timezone
from kombu import Connection

from coresync.celery import app
from coresync.core.observability import CELERY_HEADER, JsonFormatter, request_id_var
from coresync.core.tests import obs_urls
from coresync.outbox.models import OutboxMessage
from coresync.outbox.services import outbox_deliver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("coresync.core.tests.obs_urls")]


class JsonLines(logging.Handler):
    """Formats each record as it is emitted (as the console handler does), so the id is the one current then."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.lines: list[dict] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def lines():
    handler = JsonLines()
    logger = logging.getLogger("coresync.tests.obs")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_a_requests_id_is_on_its_outbox_rows_and_on_their_handlers_log_lines(lines, eager):
    eager(True)
    key = uuid.uuid4().hex
    response = Client().post("/obs/write", {"key": key}, HTTP_X_REQUEST_ID="abc")
    assert response.status_code == 200 and response["X-Request-ID"] == "abc"
    rows = dict(OutboxMessage.objects.filter(dedupe_key__startswith=key).values_list("dedupe_key", "request_id"))
    assert rows == {f"{key}:now": "abc", f"{key}:later": "abc"}
    # The delayed row is delivered long after the request, by a worker with no id of its own.
    assert request_id_var.get() == ""
    with_later = timezone.now() + timedelta(minutes=6)
    assert outbox_deliver(f"{key}:later", now=with_later) == "done"
    assert request_id_var.get() == ""  # reset after the handler
    handled = [(line["dedupe_key"], line["request_id"]) for line in lines if line["message"] == "outbox handler ran"]
    assert handled == [(f"{key}:now", "abc"), (f"{key}:later", "abc")]


def test_a_task_published_inside_a_request_logs_the_requests_id_in_eager_mode(lines, eager):
    eager(True)
    Client().post("/obs/write", {"key": uuid.uuid4().hex}, HTTP_X_REQUEST_ID="req-eager-1")
    assert [line["request_id"] for line in lines if line["message"] == "task ran"] == ["req-eager-1"]


@pytest.fixture
def eager():
    def switch(value: bool) -> None:
        app.conf.task_always_eager = value

    before = app.conf.task_always_eager
    yield switch
    app.conf.task_always_eager = before


def _publish_and_run(task, *, headers=None):
    """Publish ``task`` through a real producer to an in-memory broker and run the message as a worker does."""
    with Connection("memory://") as conn:
        name = f"obs-{uuid.uuid4().hex}"
        queue = conn.SimpleQueue(name)
        with app.producer_or_acquire(app.amqp.Producer(conn)) as producer:
            task.apply_async(args=["x"], producer=producer, queue=name, headers=headers)
        message = queue.get(timeout=2)
        published = message.headers.get(CELERY_HEADER)
        Request(message, app=app, task=task).execute()
        queue.close()
    return published


def test_a_published_task_carries_the_id_in_its_message_headers_and_runs_under_it(lines, eager):
    eager(False)
    token = request_id_var.set("abc")
    try:
        published = _publish_and_run(obs_urls.obs_task)
    finally:
        request_id_var.reset(token)
    assert published == "abc"
    # The worker runs it under the header's id, not the publisher's context (the message is all it has).
    assert [line["request_id"] for line in lines if line["message"] == "task ran"] == ["abc"]
    assert request_id_var.get() == ""


def test_an_explicit_header_is_kept_and_a_task_of_no_request_runs_under_its_task_id(lines, eager):
    eager(False)
    token = request_id_var.set("outer")
    try:
        assert _publish_and_run(obs_urls.obs_task, headers={CELERY_HEADER: "given-by-caller"}) == "given-by-caller"
    finally:
        request_id_var.reset(token)
    assert _publish_and_run(obs_urls.obs_task) is None  # beat, or a shell: nothing to carry
    ids = [line["request_id"] for line in lines if line["message"] == "task ran"]
    assert ids[0] == "given-by-caller"
    assert len(ids[1]) == 36 and ids[1].count("-") == 4  # the Celery task id


def test_a_chat_turn_gets_the_sockets_id_and_its_number():
    from channels.testing import WebsocketCommunicator

    from coresync.ai_agent.consumers import ChatConsumer

    seen: list[str] = []

    class Recording(ChatConsumer):
        async def _receive(self, text_data=None):
            seen.append(request_id_var.get())

    async def talk():
        communicator = WebsocketCommunicator(Recording.as_asgi(), "/ws/ai-chat/", headers=[(b"x-request-id", b"sock-1")])
        connected, _ = await communicator.connect()
        assert connected
        await communicator.receive_json_from()
        await communicator.send_to(text_data='{"message": "hi"}')
        await communicator.send_to(text_data='{"message": "again"}')
        await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()

    from asgiref.sync import async_to_sync

    async_to_sync(talk)()
    assert seen == ["sock-1.1", "sock-1.2"]
