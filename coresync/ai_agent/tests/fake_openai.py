"""A scripted OpenAI-compatible server on localhost: the LLM engine's vendor edge, faked once.

The official SDK talks to it over real HTTP (respx cannot intercept openai 3.x, which
sends through httpx2). Each POST gets the next scripted answer (a dict, or a function
of the request body for answers that depend on what was sent) and is recorded, so
tests assert the exact requests: messages with history and state, and tools.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeOpenAI:
    def __init__(self, responses: list):
        self.responses = list(responses)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status, payload = fake.responses.pop(0) if fake.responses else (500, {"error": {"message": "no more"}})
                if callable(payload):
                    payload = payload(body)
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


def tool_call(name: str, arguments: dict, call_id: str = "call_1") -> dict:
    return completion(
        {"content": None, "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]},
        "tool_calls",
    )


def say(text: str) -> tuple[int, dict]:
    return 200, completion({"content": text})


def call(name: str, arguments) -> tuple[int, object]:
    """A tool call; ``arguments`` may be a function of the dialogue state the request carried."""
    if callable(arguments):
        return 200, lambda body: tool_call(name, arguments(dialogue_state(body)))
    return 200, tool_call(name, arguments)


def dialogue_state(body: dict) -> dict:
    """The dialogue state the engine put in the system message."""
    system = body["messages"][0]["content"]
    return json.loads(system.split("Dialogue state: ", 1)[1])


def tool_results(body: dict) -> list[dict]:
    return [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]


@pytest.fixture(name="llm")
def llm_fixture(settings):
    """Start a scripted server and point the engine at it (``AI_ENGINE=llm``): ``fake = llm([...answers])``."""
    servers = []

    def start(responses):
        fake = FakeOpenAI(responses)
        servers.append(fake)
        settings.AI_ENGINE, settings.AI_LLM_API_KEY, settings.AI_LLM_BASE_URL = "llm", "sk-test", fake.url
        return fake

    yield start
    for fake in servers:
        fake.close()
