"""The one OpenAI SDK client, built from settings.

``AI_LLM_BASE_URL`` points it at any OpenAI-compatible server (tests use a local
fake, see ``coresync/ai_agent/tests/fake_openai.py``); local servers take any key.
The SDK's own retries are off: a failed turn falls back to the rules engine at
once instead of keeping a customer waiting through back-offs.
"""

from __future__ import annotations

from django.conf import settings


def openai_client():
    from openai import OpenAI  # imported on first use: the default (rules) engine never loads the SDK

    return OpenAI(
        api_key=settings.AI_LLM_API_KEY or "local",
        base_url=settings.AI_LLM_BASE_URL or None,
        timeout=settings.AI_LLM_TIMEOUT,
        max_retries=0,
    )
