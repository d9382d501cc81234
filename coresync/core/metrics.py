"""Prometheus metrics (issue 16): ``GET /metrics`` behind ``METRICS_TOKEN``.

Two kinds, so that the numbers are right with several web and worker processes:

* **Counted in the process** (requests, latencies, Celery task outcomes): prometheus-client counters and
  histograms. With ``PROMETHEUS_MULTIPROC_DIR`` set (``runall`` sets it; the deploy blueprint too) every
  process writes its values to files in that directory and a scrape of any web process sums them all.
  The variable must be in the environment before the process starts (prometheus-client reads it at import).
* **Read from the database at scrape time** (bookings by channel, outbox depth and dead letters, e-mails by
  status): the functions listed in ``METRICS_COLLECTORS``, each returning metric families. They are the same
  whichever process answers, and cost a few aggregate queries per scrape, none per request.

Labels are bounded: the route is the URL pattern's name (never the raw path), the method one of the
standard ones or ``other``.
"""

from __future__ import annotations

import hmac
import logging
import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

logger = logging.getLogger(__name__)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = Counter("coresync_http_requests", "HTTP requests answered, by route name, method and status.",
                   ["route", "method", "status"])
LATENCY = Histogram("coresync_http_request_duration_seconds", "Time to answer an HTTP request, by route name and method.",
                    ["route", "method"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
TASKS = Counter("coresync_celery_tasks", "Celery tasks run, by task name and outcome (SUCCESS, FAILURE, RETRY, …).",
                ["task", "state"])


def route_name(request) -> str:
    """The matched URL pattern's name (``namespace:name``), else its route pattern; ``unmatched`` for a 404 of no route."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


# (route, method, status) → the labelled counter and histogram: ``labels()`` validates and locks on every
# call; the children are looked up once per combination (bounded: routes × methods × statuses).
_children: dict[tuple[str, str, int], tuple] = {}


def request_observed(request, status: int, seconds: float) -> None:
    """Count one answered request (called by ``RequestIdMiddleware``; never raises into the response)."""
    try:
        method = request.method if request.method in _METHODS else "other"
        key = (route_name(request), method, status)
        children = _children.get(key)
        if children is None:
            children = _children[key] = (REQUESTS.labels(key[0], method, str(status)), LATENCY.labels(key[0], method))
        children[0].inc()
        children[1].observe(seconds)
    except Exception:  # metrics never break a request
        logger.debug("request metric not recorded", exc_info=True)


def task_observed(task: str, state: str) -> None:
    try:
        TASKS.labels(task, state).inc()
    except Exception:
        logger.debug("task metric not recorded", exc_info=True)


class DatabaseCollector:
    """Asks each function of ``METRICS_COLLECTORS`` for its metric families (at scrape time only)."""

    def __init__(self, paths: list[str]):
        self.paths = paths

    def collect(self):
        from django.utils.module_loading import import_string

        for path in self.paths:
            try:
                yield from import_string(path)()
            except Exception:  # one failing source leaves the others' metrics in the scrape
                logger.warning("metrics: collector %s failed", path, exc_info=True)


def exposition() -> bytes:
    """The scrape's text: the processes' counters (summed across processes in multiprocess mode) + database gauges."""
    from django.conf import settings

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(list(settings.METRICS_COLLECTORS)))
    return generate_latest(counted) + generate_latest(database)


def token_matches(header: str, token: str) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    return hmac.compare_digest(header.encode("utf-8", "replace"), f"Bearer {token}".encode())


def metrics_view(request):
    """``GET /metrics``: 404 unless ``METRICS_TOKEN`` is set, 401 without the right bearer token."""
    from django.conf import settings
    from django.http import Http404, HttpResponse, JsonResponse

    from .api import error_body

    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    if not token_matches(request.headers.get("Authorization", ""), token):
        response = JsonResponse(error_body("not_authenticated", "A valid metrics token is required."), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
