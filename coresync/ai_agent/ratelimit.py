"""Fixed-window rate limits for chat, per session and per client IP, shared by HTTP and WebSocket."""

from __future__ import annotations

import time

from django.conf import settings

from coresync.core.cache import count_hit

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/minute' -> (60, 60)."""
    count, _, period = (rate or "").partition("/")
    return int(count), _PERIODS.get(period.strip().lower(), 60)


def _hit(key: str, rate: str) -> int | None:
    """Count one request; return seconds to wait when over the limit, else None."""
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    count = count_hit(f"ai:rate:{key}:{window}", period + 1)  # one round trip on Redis
    if count > limit:
        return max(1, int(period - time.time() % period))
    return None


def chat_allowed(*, session_id: str | None, ip: str | None) -> int | None:
    """None when this message may be processed, otherwise the seconds to wait."""
    if ip and (wait := _hit(f"ip:{ip}", settings.AI_CHAT_IP_RATE_LIMIT)):
        return wait
    if session_id and (wait := _hit(f"session:{session_id}", settings.AI_CHAT_SESSION_RATE_LIMIT)):
        return wait
    return None
