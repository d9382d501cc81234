"""The optional LLM engine, offline: the official SDK talks to a fake HTTP server on localhost.

(respx cannot intercept the SDK: openai 3.x sends through httpx2. A real local
server fakes the vendor at its network edge instead, and records what was sent.)
"""

from __future__ import annotations

import json

import pytest

from coresync.ai_agent.models import AgentAction

from .fake_openai import completion, llm_fixture, tool_call  # noqa: F401  (the llm fixture)


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
    assert {t["function"]["name"] for t in first["body"]["tools"]} == {
        "check_availability", "get_price", "create_booking", "create_group_booking", "reschedule_booking", "cancel_booking",
        "faq", "handoff",
    }
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


@pytest.mark.django_db
def test_a_local_server_needs_no_key(chat, llm, settings):
    fake = llm([(200, completion({"content": "Hello from a local model."}))])
    settings.AI_LLM_API_KEY = ""  # llama.cpp, vLLM and Ollama take any key: AI_LLM_BASE_URL alone is enough
    c = chat()
    c.say("hello")
    assert c.text == "Hello from a local model."
    assert fake.requests[0]["auth"] == "Bearer local"
    assert AgentAction.objects.get().engine == "llm"
