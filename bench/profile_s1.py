"""Where an availability request spends its time, phase by phase (run against the bench database).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coresync_bench REDIS_URL=redis://127.0.0.1:6379/5 DEBUG=0 \\
        .venv/bin/python bench/profile_s1.py [days]

Wraps the functions an availability request goes through with timers (wall and
CPU time of this process) and runs the real view 30 times through Django's test
client after a warm-up. CPU time is what the server's worker spends; wall minus
CPU is waiting (mostly PostgreSQL). Prints a table in milliseconds per request.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")

import django

django.setup()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import authentication  # noqa: E402

from bench.dataset import member_token  # noqa: E402
from coresync.bookings import availability, selectors  # noqa: E402
from coresync.bookings.api import views  # noqa: E402

TOTALS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])


def timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            TOTALS[label][0] += time.perf_counter() - wall
            TOTALS[label][1] += time.process_time() - cpu

    setattr(owner, name, wrapper)


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 90
    token = member_token()
    today = timezone.localdate()
    path = f"/api/v1/availability/?service=deep-tissue-massage-60&date_from={today}&date_to={today + timedelta(days=days - 1)}"
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if days > 3 else {}
    timed(authentication.TokenAuthentication, "authenticate", "DRF token auth (1 query)")
    timed(selectors, "viewer_tier", "membership tier (1 query)")
    timed(selectors, "busy_intervals", "busy_intervals: SQL + rows -> tuples")
    timed(selectors, "find_slot_arrays", "find_slot_arrays (engine)")
    timed(selectors, "availability_for", "availability_for total")
    timed(views, "availability_body", "availability_body (JSON from arrays)")
    timed(views.AvailabilityView, "get", "view total")
    client = Client()
    for _ in range(3):
        response = client.get(path, **headers)
    TOTALS.clear()
    n = 30
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        response = client.get(path, **headers)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"GET {path} -> {response.status_code}, {len(response.content):,} bytes; per request over {n} requests:")
    print(f"{'phase':45} {'wall ms':>9} {'CPU ms':>9}")
    for label, (w, c) in TOTALS.items():
        print(f"{label:45} {w / n * 1000:9.2f} {c / n * 1000:9.2f}")
    print(f"{'whole request (test client)':45} {wall / n * 1000:9.2f} {cpu / n * 1000:9.2f}")
    _ = availability  # the engine module, for readers following the call chain


if __name__ == "__main__":
    main()
