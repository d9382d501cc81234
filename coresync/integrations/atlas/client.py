"""Outgoing calls to the voice/chat provider Atlas (texts to callers). Incoming events: ``api/atlas.py``."""

from __future__ import annotations

from django.conf import settings

from coresync.integrations.common.http import BaseHttpClient, ProviderError


class AtlasError(ProviderError):
    pass


class AtlasConnector(BaseHttpClient):
    provider = "atlas"
    error_class = AtlasError

    def __init__(self, *, base_url: str, api_key: str, timeout: float = 5.0, transport=None):
        super().__init__(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json", "User-Agent": "CoreSync/1.0"},
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_settings(cls) -> AtlasConnector | None:
        """The configured connector, or None when no Atlas API is set up (the embedded default)."""
        if not (settings.ATLAS_API_URL and settings.ATLAS_API_KEY and settings.ATLAS_SEND_CONFIRMATION_TEXT):
            return None
        return cls(base_url=settings.ATLAS_API_URL, api_key=settings.ATLAS_API_KEY, timeout=settings.ATLAS_TIMEOUT)

    def send_text(self, *, to: str, text: str, idempotency_key: str) -> str:
        """Send a text message; returns Atlas's message id."""
        response = self.request(
            "POST", "/v1/messages", json={"to": to, "text": text}, headers={"Idempotency-Key": idempotency_key}
        )
        return str(response.json().get("id", ""))
