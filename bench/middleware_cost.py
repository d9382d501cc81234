"""The request-id/metrics middleware's own cost per request, in-process (issue 16; figures in bench/NOTES.md).

    PYTHONPATH=. DJANGO_SETTINGS_MODULE=coresync.settings .venv/bin/python bench/middleware_cost.py
    PROMETHEUS_MULTIPROC_DIR=/tmp/prom ... (the same, in multiprocess mode; the directory must exist)

Best of 5 rounds of 20,000 calls each; the access log line is switched off (it is not what is measured).
"""

from __future__ import annotations

import logging
import os
import time

import django


def _best(fn, rounds: int = 5, calls: int = 20000) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


def main() -> None:
    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from coresync.core import observability
    from coresync.core.metrics import request_observed

    logging.getLogger("coresync.request").setLevel(logging.WARNING)
    match, response = resolve("/api/v1/services/"), HttpResponse("ok")

    def view(request):
        request.resolver_match = match
        return response

    request = RequestFactory().get("/api/v1/services/", HTTP_X_REQUEST_ID="abc")
    request.resolver_match = match
    middleware = observability.RequestIdMiddleware(view)
    metrics = _best(lambda: request_observed(request, 200, 0.01))
    total = _best(lambda: middleware(request)) - _best(lambda: view(request))
    mode = "multiprocess" if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else "single process"
    print(f"{mode}: metrics {metrics:.1f} µs per request, whole middleware {total:.1f} µs")


if __name__ == "__main__":
    main()
