"""Concierge engines behind one interface (``base.ConciergeEngine``), chosen by ``AI_ENGINE``."""

from __future__ import annotations

from django.conf import settings

from .base import ConciergeEngine


def get_engine() -> ConciergeEngine:
    """The configured engine; ``rules`` (deterministic, offline) unless ``AI_ENGINE=llm`` and a key or a local server is set."""
    from .rules import RulesEngine

    if settings.AI_ENGINE == "llm" and (settings.AI_LLM_API_KEY or settings.AI_LLM_BASE_URL):
        from .llm import LLMEngine

        return LLMEngine()
    return RulesEngine()
