"""Fixtures for the concierge: a frozen clock on a Monday morning in New York, and a chat helper."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

SECRET = "whsec-test"  # the Atlas webhook secret in tests
NEW_YORK = ZoneInfo("America/New_York")
# Monday 23 November 2026, 09:00 in New York: guests may book until Thursday the 26th.
FROZEN_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=NEW_YORK)


@pytest.fixture
def frozen_now():
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield FROZEN_NOW


class Chat:
    """Talk to the concierge like a client: send text, or follow an action by its label."""

    def __init__(self, *, channel: str = "web", user=None, caller_phone: str = "", call_id: str = ""):
        self.channel, self.user, self.caller_phone, self.call_id = channel, user, caller_phone, call_id
        self.session_id = None
        self.last = None
        if call_id:
            from coresync.ai_agent.services import caller_session

            self.session_id, _ = caller_session(call_id=call_id, caller_phone=caller_phone)

    def say(self, text: str) -> dict:
        from coresync.ai_agent.services import chat_turn

        result = chat_turn(
            message=text, session_id=self.session_id, channel=self.channel, user=self.user,
            caller_phone=self.caller_phone, call_id=self.call_id,
        )  # fmt: skip
        self.session_id = result.session_id
        self.last = result.as_dict()
        return self.last

    @property
    def text(self) -> str:
        return " ".join(m["text"] for m in self.last["messages"])

    @property
    def actions(self) -> list[dict]:
        return [a for m in self.last["messages"] for a in m.get("actions", [])]

    def choose(self, label_part: str = "", index: int | None = None) -> dict:
        actions = self.actions
        if index is not None:
            return self.say(actions[index]["message"])
        for found in actions:
            if label_part.lower() in found["label"].lower():
                return self.say(found["message"])
        raise AssertionError(f"no action like {label_part!r} in {[a['label'] for a in actions]}")


@pytest.fixture
def chat(demo_spa, frozen_now):
    return lambda **kwargs: Chat(**kwargs)


def _signed(body: dict, *, secret=SECRET, timestamp=None):
    raw = json.dumps(body).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), f"{ts}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"HTTP_X_ATLAS_TIMESTAMP": ts, "HTTP_X_ATLAS_SIGNATURE": f"v1={signature}"}


def _event(n, kind="message", text=None, call="call-42", caller="+19175550100"):
    body = {"event_id": f"evt-{n}", "type": kind, "call_id": call, "from": caller, "timestamp": int(time.time())}
    if text is not None:
        body["text"] = text
    return body


@pytest.fixture
def atlas(settings, client, demo_spa, frozen_now):
    settings.ATLAS_WEBHOOK_SECRET = SECRET

    def post(body, **kwargs):
        raw, headers = _signed(body, **kwargs)
        return client.post("/api/ai/atlas-webhook/", raw, content_type="application/json", **headers)

    return post
