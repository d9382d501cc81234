"""Liveness and readiness probes."""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    if hasattr(cache, "ping"):  # our Redis cache answers misses when Redis is down: ask the server itself
        cache.ping()
        return
    key, value = "readyz:probe", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("cache did not return what was written")


def _check_broker() -> None:
    from coresync.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _provider_states() -> dict:
    """Each configured provider's state (``READYZ_PROVIDER_CHECKS``: database-only functions, no network)."""
    from django.utils.module_loading import import_string

    states = {}
    for path in getattr(settings, "READYZ_PROVIDER_CHECKS", []):
        try:
            state = import_string(path)()
        except Exception:  # a probe reports failures, it never raises them
            logger.warning("readiness: provider check %s failed", path, exc_info=True)
            state = {"provider": path.rsplit(".", 1)[-1], "ok": False, "state": "error"}
        states[state.get("name") or state.get("provider") or path] = state
    return states


@never_cache
def readyz(request):
    """Ready for traffic: database, cache and Celery broker all answer (503 naming what is down).

    The answer names components, never exception text (which may carry hosts,
    users or paths); the log has the details. ``providers`` adds each configured
    provider's stored state (mail, payments, calendar, sheets, concierge, outbox,
    accounting): database reads only, no network; a provider that is not ``ok``
    is listed in ``degraded`` but never turns the answer into a 503.
    """
    checks = {}
    for name, check in (("database", _check_database), ("cache", _check_cache), ("broker", _check_broker)):
        started = time.perf_counter()
        try:
            check()
            checks[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception:  # a probe reports failures, it never raises them
            logger.warning("readiness: %s is unavailable", name, exc_info=True)
            checks[name] = {"ok": False, "error": "unavailable"}
    ready = all(check["ok"] for check in checks.values())
    down = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "ready" if ready else "not_ready", "checks": checks, "down": down, "database": settings.DB_VENDOR}
    providers = _provider_states()
    if providers:
        body["providers"] = providers  # informational: a disconnected mirror never takes the site out of service
        body["degraded"] = sorted(name for name, state in providers.items() if not state.get("ok", True))
    return JsonResponse(body, status=200 if ready else 503)
