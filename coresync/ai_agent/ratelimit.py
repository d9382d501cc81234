"""Chat rate limits, per client IP and per session, on the one limiter in ``coresync.core.ratelimit``.

The HTTP chat (``ChatIPThrottle``) and the WebSocket consumer (``chat_allowed``
with ``client_ip_from_scope``) count into the same per-IP bucket.
"""

from __future__ import annotations

from django.conf import settings

from coresync.core.ratelimit import RateThrottle, hit


def chat_allowed(*, session_id: str | None, ip: str | None) -> int | None:
    """None when this message may be processed, otherwise the seconds to wait."""
    if ip and (wait := hit("chat", f"ip:{ip}", settings.AI_CHAT_IP_RATE_LIMIT)):
        return wait
    if session_id and (wait := hit("chat", f"session:{session_id}", settings.AI_CHAT_SESSION_RATE_LIMIT)):
        return wait
    return None


class ChatIPThrottle(RateThrottle):
    """``POST /api/v1/chat/`` by client IP, in the WebSocket's bucket (``AI_CHAT_IP_RATE_LIMIT``)."""

    by_user = False

    def rate(self, view) -> str:
        return settings.AI_CHAT_IP_RATE_LIMIT

    def allow_request(self, request, view) -> bool:
        self._wait = hit("chat", self.get_ident(request), self.rate(view))
        return self._wait is None
