"""The concierge engine's state for /readyz: which engine, and whether an LLM engine has what it needs."""

from __future__ import annotations

from django.conf import settings


def concierge_readiness() -> dict:
    engine = settings.AI_ENGINE
    if not settings.AI_CONCIERGE_ENABLED:
        return {"name": "concierge", "provider": engine, "enabled": False, "configured": True, "ok": True, "state": "off"}
    configured = engine != "llm" or bool(settings.AI_LLM_API_KEY)
    state = {"name": "concierge", "provider": engine, "enabled": True, "configured": configured, "ok": configured,
             "state": "ready" if configured else "degraded"}
    if engine == "llm":
        state["model"] = settings.AI_LLM_MODEL
        if not configured:
            state["reason"] = "AI_LLM_API_KEY is not set"
    return state
