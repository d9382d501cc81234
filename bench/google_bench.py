"""Google Calendar and Sheets figures of issue 14, on PostgreSQL with Google faked (no Google account needed).

    .venv/bin/python bench/google_bench.py            # recreate coresync_google_bench (spa-5k), measure, print
    .venv/bin/python bench/google_bench.py --reuse    # keep the database from the last run
    ... --concurrency=8                                  # Celery worker processes (default 2, as WORKER_CONCURRENCY)

1. Booking → event created, from commit: bookings made in this process (the booking
   service, PostgreSQL), the outbox delivered by a real Celery worker over Redis, the
   real google-api-python-client talking HTTP to a fake Google on 127.0.0.1 that
   answers every call after 100 ms. Latency = the fake finishing the booking's last
   insert minus the booking's commit. Also API calls per booking.
2. Availability with 500 external busy blocks (``CALENDAR_PROVIDER=google``) against the
   same requests with no external calendar, cold (``AVAILABILITY_CACHE_SECONDS=0``),
   in-process through Django's test client like ``bench/profile_s1.py``; plus the
   worst case where every request follows a sync (the blocks are re-read each time).
3. Pricing refresh: a 200-row pricing sheet (50 per price tab) read through gspread
   (its HTTP session faked by ``responses``, 100 ms per answer), validated and applied.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
DB_NAME = "coresync_google_bench"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/11"
GOOGLE_LATENCY = 0.100
WORKER_CONCURRENCY = int(next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--concurrency=")), "2"))
S1_SERVICE = "deep-tissue-massage-60"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.1f} ms / p95 {pct(values, 95) * 1000:.1f} ms (n={len(values)})"


# --- a fake Google on a real socket --------------------------------------------------------------


class FakeGoogleServer:
    """``FakeCalendarHttp`` behind a real HTTP server; every answer waits ``GOOGLE_LATENCY``; insert times recorded."""

    def __init__(self):
        from coresync.integrations.google.tests.fakes import FakeCalendarHttp

        self.fake = FakeCalendarHttp()
        self.lock = threading.Lock()
        self.inserted_at: dict[tuple[str, str], float] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                from coresync.integrations.google.tests.fakes import BASE

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                time.sleep(GOOGLE_LATENCY)
                with server.lock:
                    response, content = server.fake.request(BASE + self.path, self.command, body=body)
                    call = server.fake.calls[-1]
                    if call.method == "POST" and call.path.endswith("/events") and response.status == 200:
                        server.inserted_at[(call.calendar_id, call.event_id)] = time.time()
                self.send_response(response.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def api_calls(self) -> int:
        with self.lock:
            return len(self.fake.api_calls())


def environment(google_base: str = "") -> dict[str, str]:
    from coresync.integrations.google.tests.fakes import service_account_json

    key = json.loads(service_account_json())
    if google_base:
        key["token_uri"] = f"{google_base}/token"
    env = dict(os.environ)
    env.update({
        "DEBUG": "0", "DATABASE_URL": DB_URL, "REDIS_URL": REDIS_URL, "DB_POOL": "0", "AVAILABILITY_CACHE_SECONDS": "0",
        "CELERY_TASK_ALWAYS_EAGER": "0", "CALENDAR_PROVIDER": "google", "GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key),
        "GOOGLE_API_BASE": google_base, "BOOKING_RATE_LIMIT": "1000000/hour", "STATIC_MANIFEST": "0",
        "BOOKING_PAYMENT_MODE": "on_site",
    })
    return env


def prepare_database(reuse: bool) -> None:
    import psycopg

    if reuse:
        return
    say(f"recreating {DB_NAME}, spa-5k")
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    env = environment()
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "bench/dataset.py", "catalog"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PY, "bench/dataset.py", "bookings", "5000"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


# --- 1. booking → event ----------------------------------------------------------------------------


def bench_events(server: FakeGoogleServer, results: dict) -> None:
    from django.db import transaction
    from django.utils import timezone

    from bench.dataset import MEMBER_EMAIL
    from coresync.accounts.models import User
    from coresync.bookings.selectors import availability_for
    from coresync.bookings.services import booking_create
    from coresync.calendars import layout
    from coresync.integrations.models import MirroredCalendar
    from coresync.outbox.models import OutboxMessage

    for key in layout.SHARED_CALENDARS:
        calendar_id = f"{key}@group.calendar.google.com"
        server.fake.add_calendar(calendar_id, layout.CALENDAR_TITLES[key])
        MirroredCalendar.objects.update_or_create(key=key, defaults={"calendar_id": calendar_id})
    member = User.objects.get(email=MEMBER_EMAIL)
    with open("/tmp/google_bench_worker.log", "w") as log:  # the child keeps its own descriptor
        worker = subprocess.Popen(
            [CELERY, "-A", "coresync", "worker", "--loglevel", "WARNING", "--concurrency", str(WORKER_CONCURRENCY), "--hostname", "gbench@%h"],
            cwd=ROOT, env=environment(server.base), stdout=subprocess.DEVNULL, stderr=log,
        )
    try:
        slots = [s for s in availability_for(service=S1_SERVICE, date_from=timezone.localdate() + timedelta(days=2),
                                             date_to=timezone.localdate() + timedelta(days=40), viewer=member).slots]
        random.Random(14).shuffle(slots)

        def book_one(slots_left):
            from coresync.core.errors import SlotUnavailable

            for slot in slots_left:
                try:
                    return _book(slot)
                except SlotUnavailable:
                    continue  # an overlapping start from the same answer was booked already
            raise RuntimeError("ran out of free slots")

        def _book(slot):
            committed = {}

            def mark(_booking):
                transaction.on_commit(lambda: committed.setdefault("at", time.time()))

            booking = booking_create(service=S1_SERVICE, start=slot.start, customer=member, technician=slot.technician_id, in_transaction=mark)
            wanted = [(f"{key}@group.calendar.google.com", layout.event_id_for(booking.pk, key)) for key in layout.booking_calendars(booking)]
            return booking, committed["at"], wanted

        def wait(wanted, deadline=30.0):
            started = time.time()
            while time.time() - started < deadline:
                with server.lock:
                    done = [server.inserted_at.get(w) for w in wanted]
                if all(done):
                    return max(done)
                time.sleep(0.005)
            raise RuntimeError(f"events not created within {deadline}s: {wanted} (see /tmp/google_bench_worker.log)")

        say("worker warm-up")
        used = iter(slots)
        for _ in range(3):
            _booking, _at, wanted = book_one(used)
            wait(wanted, deadline=90)
        calls_before = server.api_calls()
        say("booking → event, one booking at a time")
        sequential, per_booking_calendars = [], 0
        for _ in range(40):
            _booking, at, wanted = book_one(used)
            sequential.append(wait(wanted) - at)
            per_booking_calendars += len(wanted)
        calls = server.api_calls() - calls_before
        say("booking → event, a burst of 20 bookings made back to back")
        made = [book_one(used) for _ in range(20)]
        burst = [wait(wanted) - at for _, at, wanted in made]
        results["events"] = {
            "sequential": summary_ms(sequential), "burst": summary_ms(burst),
            "calls_per_booking": calls / 40, "calendars_per_booking": per_booking_calendars / 40,
            "outbox_dead": OutboxMessage.objects.filter(kind="google.calendar.event", status="dead").count(),
        }
    finally:
        worker.terminate()
        worker.wait(timeout=30)


# --- 2. availability with 500 external busy blocks -------------------------------------------------


def bench_availability(results: dict) -> None:
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from bench.dataset import member_token
    from coresync.catalog.models import Room
    from coresync.integrations.calendar import calendar_provider
    from coresync.integrations.calendar.google import busy_blocks_changed
    from coresync.integrations.models import ExternalBusyBlock, MirroredCalendar
    from coresync.technicians.models import Technician

    rng = random.Random(500)
    calendar, _ = MirroredCalendar.objects.get_or_create(key="technicians", defaults={"calendar_id": "technicians@group"})
    ExternalBusyBlock.objects.all().delete()
    technicians = list(Technician.objects.values_list("pk", flat=True))
    rooms = list(Room.objects.values_list("pk", flat=True))
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    blocks = []
    for n in range(500):
        start = now + timedelta(days=rng.randrange(0, 90), hours=rng.randrange(-4, 8))
        kind = "tech" if n < 400 else "room" if n < 480 else "spa"
        length = timedelta(minutes=rng.choice([60, 90, 120, 180]) if kind != "spa" else 60)
        blocks.append(ExternalBusyBlock(calendar=calendar, event_id=f"bench-{n}", summary=f"block {n}", start=start, end=start + length,
                                        technician_id=rng.choice(technicians) if kind == "tech" else None,
                                        room_id=rng.choice(rooms) if kind == "room" else None))
    ExternalBusyBlock.objects.bulk_create(blocks)
    token = member_token()
    today = timezone.localdate()
    client = Client()

    def run(days: int, n: int, *, after_sync: bool = False) -> list[float]:
        path = f"/api/v1/availability/?service={S1_SERVICE}&date_from={today}&date_to={today + timedelta(days=days - 1)}"
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if days > 3 else {}
        for _ in range(5):
            assert client.get(path, **headers).status_code == 200
        times = []
        for _ in range(n):
            if after_sync:
                busy_blocks_changed()
            started = time.perf_counter()
            answer = client.get(path, **headers)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.content[:300]
        return times

    # Providers interleaved in rounds, so load from other work on the machine falls on both alike.
    samples: dict[str, list[float]] = {}
    for _round in range(3):
        for provider in ("local", "google"):
            with override_settings(CALENDAR_PROVIDER=provider, AVAILABILITY_CACHE_SECONDS=0):
                calendar_provider.cache_clear()
                for days in (90, 3):
                    samples.setdefault(f"{provider} {days}", []).extend(run(days, 20))
                    if provider == "google":
                        samples.setdefault(f"google {days} after a sync", []).extend(run(days, 10, after_sync=True))
    figures = {name: summary_ms(values) for name, values in samples.items()}
    calendar_provider.cache_clear()
    results["availability"] = figures
    say(f"availability: {figures}")


# --- 3. pricing refresh of 200 rows ----------------------------------------------------------------


def bench_pricing(results: dict) -> None:
    import responses
    from django.db import transaction
    from django.test.utils import override_settings

    from coresync.catalog.models import Price, PriceColumn, Service, ServiceCategory
    from coresync.catalog.pricing_import import tab_key
    from coresync.integrations.google import auth
    from coresync.integrations.google.tests.fakes import BASE, FakeSheets, service_account_json
    from coresync.memberships.models import MembershipTier
    from coresync.sheets.pricing import PRICE_TABS, pricing_sheet_sync

    with transaction.atomic():
        categories = {tab_key(c.name): c for c in ServiceCategory.objects.all()}
        template = Service.objects.order_by("pk").first()
        for position, tab in enumerate(PRICE_TABS):
            if tab_key(tab) not in categories:
                categories[tab_key(tab)] = ServiceCategory.objects.create(slug=tab.lower().replace("_", "-"), name=tab, position=10 + position)
            category = categories[tab_key(tab)]
            have = Service.objects.filter(category=category).count()
            for n in range(have, 50):
                service = Service.objects.create(
                    location=template.location, category=category, slug=f"{category.slug}-bench-{n}", name=f"{tab} bench {n}",
                    duration_minutes=60, buffer_minutes=15, required_room_type=template.required_room_type,
                    required_skill=template.required_skill, position=100 + n,
                )
                Price.objects.bulk_create([Price(service=service, column=c, amount=a) for c, a in
                                           ((PriceColumn.NON_MEMBER, 140), (PriceColumn.BASE, 98), (PriceColumn.PREMIUM, 84))])

    def sheet(bump: int) -> dict:
        amounts = {(p.service_id, p.column): p.amount for p in Price.objects.filter(service__isnull=False)}
        book = {}
        for tab in PRICE_TABS:
            rows = [["Service Name", "Duration", "Non-Member", "Base 30%", "Premium 40%"]]
            for s in Service.objects.filter(category=categories[tab_key(tab)]).order_by("pk")[:50]:
                rows.append([s.name, str(s.duration_minutes), *[f"${amounts[(s.pk, c)] + bump:.2f}" for c in
                                                                  (PriceColumn.NON_MEMBER, PriceColumn.BASE, PriceColumn.PREMIUM)]])
            book[tab] = rows
        book["Membership Tiers"] = [["Tier", "Monthly Price", "Benefits"]] + [
            [t.name, f"{t.monthly_price:.2f}", t.benefits] for t in MembershipTier.objects.all()]
        return book

    auth._credentials.cache_clear()
    figures = {}
    with override_settings(GOOGLE_SERVICE_ACCOUNT_JSON=service_account_json(), GOOGLE_API_BASE=BASE, PRICING_SOURCE="sheets",
                           GOOGLE_SHEETS_PRICING_ID="bench-pricing"), responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeSheets(mock)
        fake.latency = GOOGLE_LATENCY
        fake.books["bench-pricing"] = sheet(0)
        rows = sum(len(r) - 1 for t, r in fake.books["bench-pricing"].items() if t in PRICE_TABS)
        assert pricing_sheet_sync().ok  # warm-up (token, imports)
        unchanged, changed = [], []
        for run in range(5):
            fake.books["bench-pricing"] = sheet(0)
            started = time.perf_counter()
            result = pricing_sheet_sync(actor="bench")
            unchanged.append(time.perf_counter() - started)
            assert result.ok and not result.changes
            fake.books["bench-pricing"] = sheet(1 if run % 2 == 0 else -1)
            calls_before = len(fake.api_calls())
            started = time.perf_counter()
            result = pricing_sheet_sync(actor="bench")
            changed.append(time.perf_counter() - started)
            assert result.ok and len(result.changes) >= 3 * rows, (len(result.changes), result.errors)
            figures["requests per refresh"] = len(fake.api_calls()) - calls_before
        figures["price rows"] = rows
        figures["nothing changed"] = f"median {statistics.median(unchanged) * 1000:.0f} ms, max {max(unchanged) * 1000:.0f} ms"
        figures["every price changed"] = f"median {statistics.median(changed) * 1000:.0f} ms, max {max(changed) * 1000:.0f} ms"
    results["pricing"] = figures
    say(f"pricing: {figures}")


def main() -> None:
    reuse = "--reuse" in sys.argv
    prepare_database(reuse)
    server_holder = {}
    os.environ.update(environment())
    # The bench process's own settings: PostgreSQL, Redis broker (not eager), the Google provider on.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")
    server_holder["server"] = FakeGoogleServer()
    os.environ.update(environment(server_holder["server"].base))
    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    load = os.getloadavg()[0]
    results: dict = {"load_before": load, "worker_concurrency": WORKER_CONCURRENCY}
    bench_availability(results)
    bench_pricing(results)
    bench_events(server_holder["server"], results)
    results["load_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
