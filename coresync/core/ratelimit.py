"""The one rate limiter: who the client is, and how many times it has knocked.

Every per-IP limit (bookings, chat over HTTP and WebSocket, password reset,
the login lockout's address) asks :func:`client_ip`, which trusts
``X-Forwarded-For`` only when ``BEHIND_PROXY`` is on, and then only the address
``TRUSTED_PROXY_COUNT`` hops from the right (what our own proxies saw; anything
further left is whatever the client chose to write). Counting is a fixed window
in the default cache (:func:`hit`); a cache that cannot be reached lets the
request through and logs it, so an outage of Redis never locks everybody out.
"""

from __future__ import annotations

import ipaddress
import logging
import time

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from .cache import count_hit

logger = logging.getLogger(__name__)

UNKNOWN_CLIENT = "unknown"  # no usable socket address (a request built in-process)
_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/minute' -> (60, 60); '5/h' -> (5, 3600)."""
    count, _, period = (rate or "").partition("/")
    return int(count), _PERIODS.get(period.strip().lower(), 60)


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:50000"
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def forwarded_client(peer: str | None, forwarded_for: str | None) -> str:
    """The client's address from the socket peer and an ``X-Forwarded-For`` value, by the proxy settings."""
    direct = _valid_ip(peer or "") or UNKNOWN_CLIENT
    if not settings.BEHIND_PROXY or not forwarded_for:
        return direct
    hops = [hop for hop in (h.strip() for h in forwarded_for.split(",")) if hop]
    count = max(1, settings.TRUSTED_PROXY_COUNT)
    if len(hops) < count:
        # Fewer hops than proxies we run: the header did not come (only) through them.
        return direct
    return _valid_ip(hops[-count]) or direct


def client_ip(request) -> str:
    """The address of the client of an ``HttpRequest`` (or DRF ``Request``)."""
    meta = request.META
    return forwarded_client(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"))


def client_ip_from_scope(scope: dict) -> str:
    """The same answer for an ASGI (WebSocket) scope."""
    peer = (scope.get("client") or (None, None))[0]
    forwarded = [value.decode("latin-1") for name, value in scope.get("headers") or [] if name == b"x-forwarded-for"]
    return forwarded_client(peer, ",".join(forwarded) or None)


def hit(bucket: str, ident: str, rate: str) -> int | None:
    """Count one request of ``ident`` in ``bucket``; the seconds to wait when over ``rate``, else None."""
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    try:
        count = count_hit(f"rate:{bucket}:{ident}:{window}", period + 1)
    except Exception:  # fail safe: a limiter that cannot count lets the request through
        logger.warning("rate limit %s not counted (cache unavailable); request allowed", bucket, exc_info=True)
        return None
    if count > limit:
        return max(1, int(period - time.time() % period))
    return None


class RateThrottle(BaseThrottle):
    """DRF throttle over :func:`hit`: the view's ``throttle_scope`` names the rate in ``DEFAULT_THROTTLE_RATES``.

    Signed-in callers are counted by account, everyone else by :func:`client_ip`.
    """

    by_user = True

    def __init__(self):
        self._wait: int | None = None

    def rate(self, view) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(getattr(view, "throttle_scope", None))

    def get_ident(self, request) -> str:
        user = getattr(request, "user", None)
        if self.by_user and user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_ip(request)}"

    def allow_request(self, request, view) -> bool:
        rate = self.rate(view)
        if not rate:
            return True
        self._wait = hit(view.throttle_scope, self.get_ident(request), rate)
        return self._wait is None

    def wait(self) -> int | None:
        return self._wait


class WriteRateThrottle(RateThrottle):
    """:class:`RateThrottle` for writes only: reads (GET, HEAD, OPTIONS) of the same view are not counted."""

    def allow_request(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


def too_many_requests(wait: int):
    """The 429 answer of a plain Django view: the contract's ``rate_limited`` error and ``Retry-After``."""
    from django.http import JsonResponse

    from .errors import RateLimited

    response = JsonResponse(RateLimited().as_dict(), status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limited(bucket: str, rate_setting: str, *, methods: tuple[str, ...] = ("POST",), by_user: bool = True):
    """The same limit for a plain Django view: over ``settings.<rate_setting>`` it answers 429 ``rate_limited``.

    Counts the requests whose method is in ``methods`` per account (signed in) or
    per :func:`client_ip`, in ``bucket``; the answer is the contract's JSON error
    with ``Retry-After``. Webhooks use it as a flood guard, counted before the
    signature is checked (``by_user=False``: they carry no session).
    """
    from functools import wraps

    def decorate(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.method in methods:
                user = getattr(request, "user", None)
                ident = f"user:{user.pk}" if by_user and user is not None and user.is_authenticated else f"ip:{client_ip(request)}"
                wait = hit(bucket, ident, getattr(settings, rate_setting))
                if wait is not None:
                    return too_many_requests(wait)
            return view(request, *args, **kwargs)

        return limited

    return decorate
