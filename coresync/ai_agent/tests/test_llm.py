"""The optional LLM engine, offline: the official SDK talks to a fake HTTP server on localhost.

(respx cannot intercept the SDK: openai 3.x sends through httpx2. A real local
server fakes the vendor at its network edge instead, and records what was sent.)
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coresync.ai_agent.models import AgentAction


class FakeOpenAI:
    def __init__(self, responses: list[tuple[int, dict]]):
        self.responses = list(responses)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status, payload = fake.responses.pop(0) if fake.responses else (500, {"error": {"message": "no more"}})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def completion(message: dict, finish: str = "stop") -> dict:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", **message}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def tool_call(name: str, arguments: dict) -> dict:
    return completion(
        {"content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]},
        "tool_calls",
    )


@pytest.fixture
def llm(settings):
    servers = []

    def start(responses):
        fake = FakeOpenAI(responses)
        servers.append(fake)
        settings.AI_ENGINE, settings.AI_LLM_API_KEY, settings.AI_LLM_BASE_URL = "llm", "sk-test", fake.url
        return fake

    yield start
    for fake in servers:
        fake.close()


@pytest.mark.django_db
def test_llm_engine_uses_availability_as_a_tool(chat, llm):
    fake = llm([
        (200, tool_call("check_availability", {"service": "swedish-massage", "date": "2026-11-24", "after": "12:00", "before": "17:00"})),
        (200, completion({"content": "Tomorrow afternoon I have a few times for a Swedish massage."})),
    ])  # fmt: skip
    c = chat()
    c.say("swedish massage tomorrow afternoon?")
    assert c.text == "Tomorrow afternoon I have a few times for a Swedish massage."
    assert c.actions and all(a["message"].startswith("book swedish-massage 2026-11-24T1") for a in c.actions)
    first, second = fake.requests
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-test"
    assert {t["function"]["name"] for t in first["body"]["tools"]} == {"check_availability", "get_price", "create_booking"}
    tool_result = json.loads(second["body"]["messages"][-1]["content"])
    assert tool_result["slots"] and all("12:00" <= s["start"][11:16] < "17:00" for s in tool_result["slots"])
    assert AgentAction.objects.get().engine == "llm"


@pytest.mark.django_db
def test_llm_errors_fall_back_to_the_rules_engine(chat, llm):
    llm([(500, {"error": {"message": "overloaded"}})])
    c = chat()
    c.say("where do I park?")
    assert "Icon Parking" in c.text
    assert AgentAction.objects.get().engine == "rules"
