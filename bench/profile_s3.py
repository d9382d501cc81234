"""Where one booking spends its time, phase by phase, and the floor of a write of the same shape.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coresync_bench REDIS_URL=redis://127.0.0.1:6379/5 DEBUG=0 \\
        BOOKING_RATE_LIMIT=1000000/hour .venv/bin/python bench/profile_s3.py [n]

Books ``n`` free 60-minute slots (found through availability) as the Premium
member through the real view (Django's test client, in-process, no HTTP),
timing each phase (wall and CPU of this process; wall minus CPU is waiting,
mostly on PostgreSQL and Redis). Then the floor: the same transaction shape
in raw psycopg (BEGIN, the advisory locks, the busy read, the booking and
outbox inserts, COMMIT) with no Django, no Python work between the statements.
"""

from __future__ import annotations

import json
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import authentication  # noqa: E402

from bench.dataset import MEMBER_EMAIL, member_token  # noqa: E402
from coresync.accounts.models import User  # noqa: E402
from coresync.bookings import selectors, services  # noqa: E402
from coresync.bookings.api import serializers as booking_serializers  # noqa: E402
from coresync.bookings.api import views  # noqa: E402
from coresync.core import ratelimit  # noqa: E402

SERVICE = "deep-tissue-massage-60"
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


def free_starts(n: int) -> list[str]:
    member = User.objects.get(email=MEMBER_EMAIL)
    today = timezone.localdate()
    found = selectors.availability_for(service=SERVICE, date_from=today + timedelta(days=2), date_to=today + timedelta(days=89), viewer=member)
    chosen, last = [], None
    for slot in found.slots:  # at least 90 minutes apart, so none of them takes another's technician and room
        if last is None or slot.start_minute - last >= 90:
            chosen.append(slot.start_iso)
            last = slot.start_minute
    return chosen[:n]


def floor(n: int) -> tuple[float, float]:
    """Raw psycopg, the same statements a booking sends inside its transaction."""
    import psycopg

    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    samples = []
    for i in range(n):
        started = time.perf_counter()
        with conn.transaction():
            conn.execute("SELECT count(pg_advisory_xact_lock(1, cell)) FROM (SELECT generate_series(%s, %s) AS cell ORDER BY 1) c",
                         [10**6 + i * 10, 10**6 + i * 10 + 4])
            conn.execute(
                "SELECT technician_id, room_id, EXTRACT(EPOCH FROM start)::bigint / 60, EXTRACT(EPOCH FROM blocked_until)::bigint / 60"
                " FROM bookings_booking WHERE status NOT IN ('cancelled', 'expired') AND start < now() + interval '3 days'"
                " AND blocked_until > now() + interval '1 day' AND (technician_id IN (1, 2, 3, 4, 5, 6, 7, 8) OR room_id IN (1, 2, 3, 4))"
            ).fetchall()
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS floor_rows (id serial, a int, b text, c timestamptz)")
            conn.execute("INSERT INTO floor_rows (a, b, c) VALUES (%s, %s, now()) RETURNING id", [i, "x" * 200]).fetchone()
            conn.execute("INSERT INTO floor_rows (a, b, c) VALUES (%s, %s, now())", [i, "y" * 300])
        samples.append((time.perf_counter() - started) * 1000)
    conn.close()
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.95)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    token = member_token()
    starts = free_starts(n + 3)
    timed(authentication.TokenAuthentication, "authenticate", "DRF token auth (1 query)")
    timed(ratelimit, "hit", "rate limit (Redis)")
    timed(services, "_prepare", "validate + quote (_prepare, tier query)")
    timed(services, "_lock_span", "advisory locks (1 round trip, waits)")
    timed(services, "search_plan", "busy read (1 query) + engine inputs")
    timed(services, "technician_order_for_start", "technician check (engine)")
    timed(services, "_booking_insert", "INSERT booking (+ outbox rows via signals)")
    timed(services, "_check_start", "_check_start total (locks, read, checks)")
    timed(services, "booking_create", "booking_create total (incl. BEGIN/COMMIT)")
    timed(booking_serializers, "booking_payload", "booking_payload (response dict)")
    timed(views.BookingCreateView, "post", "view total")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}

    def book(start: str) -> int:
        return client.post(
            "/api/v1/bookings/", data=json.dumps({"service": SERVICE, "start": start}), content_type="application/json", **headers
        ).status_code

    for start in starts[:3]:
        book(start)
    TOTALS.clear()
    statuses: dict[int, int] = defaultdict(int)
    wall, cpu = time.perf_counter(), time.process_time()
    for start in starts[3:]:
        statuses[book(start)] += 1
    count = len(starts) - 3
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"POST /api/v1/bookings/ x {count}: statuses {dict(statuses)}; per booking:")
    print(f"{'phase':50} {'wall ms':>9} {'CPU ms':>9}")
    for label, (w, c) in TOTALS.items():
        print(f"{label:50} {w / count * 1000:9.2f} {c / count * 1000:9.2f}")
    print(f"{'whole request (test client)':50} {wall / count * 1000:9.2f} {cpu / count * 1000:9.2f}")
    p50, p95 = floor(200)
    print(f"floor: the same transaction in raw psycopg (5 statements + BEGIN/COMMIT): p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    _ = connection


if __name__ == "__main__":
    main()
