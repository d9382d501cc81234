"""Payments (issue 12) on PostgreSQL: the Stripe webhook, booking create with online payment, the outbox's Stripe handler.

    .venv/bin/python bench/payments.py            # standalone: its own database (coresync_paybench), 3 runs a figure
    .venv/bin/python bench/payments.py --quick    # one run a figure, shorter loads
    (``make bench`` runs it too, from bench/run.py, on the spa-5k data set of the main run)

The server is uvicorn with 2 workers (DEBUG=0, psycopg pool) configured as a Stripe shop:
``PAYMENT_PROVIDER=stripe``, ``BOOKING_PAYMENT_MODE=online``, ``STRIPE_API_BASE`` pointed at a fake
Stripe served by this script that answers every call after 50 ms and counts them.

- **webhook**: signed ``payment_intent.succeeded`` events (the SDK's own signing), a fresh event id
  each, at c=1 and c=16 (locust, this file is also its locustfile). The fake Stripe must see no call
  while they run: the request only verifies, stores the event id and writes the outbox row.
- **S4 online**: ``POST /api/v1/bookings/`` on free slots with ``BOOKING_PAYMENT_MODE=online`` (held,
  PaymentIntent created later by the pay call, off the booking request); again no Stripe call.
  Its query budget (≤ 8) is asserted in ``coresync/payments/tests/test_local_flow.py``.
- **outbox throughput**: N ``payments.event`` messages drained by one Celery worker
  (``WORKER_CONCURRENCY``, prefork) whose handler re-fetches the PaymentIntent from the fake (50 ms).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid

# --- the locust side (``locust -f bench/payments.py`` with BENCH_PAY_PARAMS set) ---------------------
if os.environ.get("BENCH_PAY_PARAMS"):
    import stripe
    from locust import constant, events, task
    from locust.contrib.fasthttp import FastHttpUser

    PARAMS = json.loads(open(os.environ["BENCH_PAY_PARAMS"]).read())  # noqa: SIM115
    SAMPLES: list[tuple[str, float, int, float]] = []

    @events.request.add_listener
    def _record(request_type, name, response_time, response_length, response=None, exception=None, start_time=None, **kw):
        SAMPLES.append((name, response_time, int(getattr(response, "status_code", 0) or 0), start_time or time.time()))

    @events.quitting.add_listener
    def _dump(environment, **kw):
        with open(os.environ["BENCH_PAY_OUT"], "w") as handle:
            json.dump({"samples": SAMPLES}, handle)

    class WebhookUser(FastHttpUser):
        wait_time = constant(0)
        concurrency = 1

        @task
        def event(self) -> None:
            event_id = f"evt_bench_{uuid.uuid4().hex}"
            body = json.dumps({
                "id": event_id, "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
                "api_version": "2026-10-28.endive",
                "data": {"object": {"id": f"pi_bench_{random.randrange(1_000_000)}", "object": "payment_intent"}},
            })
            header = stripe.WebhookSignature.generate_signature_header(body, PARAMS["secret"], timestamp=int(time.time()))
            with self.client.post("/api/payments/stripe/webhook/", data=body, name="stripe webhook", catch_response=True,
                                  headers={"Content-Type": "application/json", "Stripe-Signature": header}) as response:
                if response.status_code == 200:
                    response.success()
                else:
                    response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


# --- the runner -----------------------------------------------------------------------------------------
FAKE_LATENCY = 0.050
WEBHOOK_SECRET = "whsec_bench_payments"


class FakeStripe:
    """Answers like Stripe after 50 ms: PaymentIntents (retrieve/create/confirm) and a generic object; counts calls."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        fake = self
        self.calls = 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with fake.lock:
                    fake.calls += 1
                time.sleep(FAKE_LATENCY)
                path = self.path.split("?", 1)[0]
                object_id = path.rstrip("/").rsplit("/", 1)[-1] if path.count("/") >= 3 else f"pi_{uuid.uuid4().hex[:14]}"
                body = json.dumps({"id": object_id, "object": "payment_intent", "status": "succeeded", "amount": 15243,
                                   "amount_received": 15243, "currency": "usd", "client_secret": f"{object_id}_secret",
                                   "metadata": {}, "latest_charge": None, "customer": None, "payment_method": None}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", "req_bench")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


def _env(fake: FakeStripe) -> dict[str, str]:
    from bench import run

    return dict(run.server_env_main(), PAYMENT_PROVIDER="stripe", BOOKING_PAYMENT_MODE="online", STRIPE_SECRET_KEY="sk_test_bench",
                STRIPE_PUBLISHABLE_KEY="pk_test_bench", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=fake.base,
                AVAILABILITY_CACHE_SECONDS="0")


def _server(fake: FakeStripe):
    """run.Server, started with the Stripe shop's settings."""
    from bench import run

    server = run.Server(cache=False)
    server.log.close()  # not the main run's log file
    server.log = open(run.ROOT / "var" / "bench-uvicorn-payments.log", "w")  # noqa: SIM115
    server.label = "payments: stripe provider, online mode"
    original = run.server_env
    run.server_env_main = getattr(run, "server_env_main", original)
    run.server_env = lambda: _env(fake)  # Server.start reads its environment from here
    try:
        server.start()
    finally:
        run.server_env = original
    return server


def _locust_webhook(server, users: int, seconds: int) -> dict:
    import subprocess
    import tempfile
    from pathlib import Path

    from bench import run

    with tempfile.TemporaryDirectory() as tmp:
        params, out = Path(tmp, "params.json"), Path(tmp, "out.json")
        params.write_text(json.dumps({"secret": WEBHOOK_SECRET}))
        env = dict(os.environ, BENCH_PAY_PARAMS=str(params), BENCH_PAY_OUT=str(out))
        cmd = [run.LOCUST, "-f", str(run.ROOT / "bench" / "payments.py"), "--headless", "-u", str(users), "-r", str(users),
               "-t", f"{seconds}s", "-H", server.base, "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "10"]
        proc = subprocess.run(cmd, cwd=run.ROOT, env=env, capture_output=True, text=True)
        if not out.exists():
            raise SystemExit(f"locust wrote no samples (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        return run.summarize(json.loads(out.read_text())["samples"])


def _pending_events() -> int:
    from bench import run

    return int(run.sql("SELECT count(*) FROM outbox WHERE kind = 'payments.event' AND status = 'pending'", dbname=run.DB_NAME)[0][0])


def _outbox_throughput(fake: FakeStripe, count: int, concurrency: int) -> dict:
    """Queue ``count`` events through the webhook (no worker running), then time one worker draining them."""
    import subprocess
    import urllib.request

    import stripe

    from bench import run

    run.sql("UPDATE outbox SET status = 'done' WHERE kind = 'payments.event' AND status = 'pending'", dbname=run.DB_NAME)
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(run.REDIS_DB), "flushdb"], check=True, capture_output=True)
    server = _server(fake)
    try:
        for _ in range(count):
            body = json.dumps({"id": f"evt_drain_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.succeeded",
                               "created": int(time.time()), "data": {"object": {"id": f"pi_drain_{uuid.uuid4().hex[:12]}"}}})
            header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET, timestamp=int(time.time()))
            request = urllib.request.Request(server.base + "/api/payments/stripe/webhook/", body.encode(),
                                             {"Content-Type": "application/json", "Stripe-Signature": header})
            urllib.request.urlopen(request, timeout=10).read()
    finally:
        server.stop()
    queued = _pending_events()
    calls_before = fake.calls
    concurrency = str(concurrency)
    log = open(run.ROOT / "var" / "bench-payments-worker.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [str(run.ROOT / ".venv" / "bin" / "celery"), "-A", "coresync", "worker", "--loglevel", "WARNING", "--concurrency", concurrency,
         "--hostname", f"paybench-{uuid.uuid4().hex[:6]}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=run.ROOT, env=dict(_env(fake), WORKER_CONCURRENCY=concurrency), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first_done = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            left = _pending_events()
            if first_done is None and left < queued:
                first_done = time.monotonic()
            if left == 0:
                break
            time.sleep(0.05)
        finished = time.monotonic()
    finally:
        import signal

        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        log.close()
    drained = queued - _pending_events()
    elapsed = finished - (first_done or finished)
    return {"queued": queued, "drained": drained, "seconds": round(elapsed, 2), "per_second": round(drained / elapsed, 1) if elapsed else None,
            "stripe_calls": fake.calls - calls_before, "worker_concurrency": int(concurrency), "fake_latency_ms": int(FAKE_LATENCY * 1000)}


def run_payments(bench) -> dict:
    """Every payments figure, on ``bench``'s database (spa-5k loaded, its member token in ``bench.token``)."""
    from bench import run

    fake = FakeStripe()
    run.server_env_main = getattr(run, "server_env_main", run.server_env)
    results: dict = {"fake_latency_ms": int(FAKE_LATENCY * 1000)}
    server = _server(fake)
    main_server = bench.server
    try:
        for users in (1, 16):  # the machine's floor next to each figure: a plain response and a one-query DRF view
            for name, scenario in (("plain", "plain"), ("one-query", "one_query")):
                runs = [run.locust(server, {"scenario": scenario}, users, bench.seconds(6, 4)) for _ in range(bench.n_runs)]
                results[f"floor {name} c={users}"] = run.median_of(runs)
                run.say(f"  floor {name} c={users}: p50 {results[f'floor {name} c={users}']['p50']:.1f} ms, "
                        f"p95 {results[f'floor {name} c={users}']['p95']:.1f} ms")
        for users in (1, 16):
            runs = []
            for i in range(bench.n_runs):
                background = bench.gate.wait()
                before = fake.calls
                result = _locust_webhook(server, users, bench.seconds(15, 8))
                result.update(stripe_calls=fake.calls - before, background_cpu=background, loadavg=bench.loadavg())
                runs.append(result)
                run.say(f"  webhook c={users} run {i + 1}: n={result['n']}, p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
                        f"{result['rps']:.0f} req/s, statuses {result['statuses']}, Stripe calls during the run {result['stripe_calls']}")
            results[f"webhook c={users}"] = {**run.median_of(runs), "stripe_calls": sum(r["stripe_calls"] for r in runs)}
        bench.server = server  # free slots and S4 params come from the Stripe-shop server
        runs = []
        for i in range(bench.n_runs):
            params = bench.s4_params(i)
            background = bench.gate.wait()
            before = fake.calls
            result = run.locust(server, params, 1, bench.seconds(12, 6))
            result.update(stripe_calls=fake.calls - before, background_cpu=background, loadavg=bench.loadavg())
            runs.append(result)
            run.say(f"  S4 online run {i + 1}: n={result['n']}, p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
                    f"statuses {result['statuses']}, Stripe calls {result['stripe_calls']}")
        results["S4 online"] = {**run.median_of(runs), "stripe_calls": sum(r["stripe_calls"] for r in runs)}
        held = run.sql("SELECT count(*) FROM bookings_booking WHERE status = 'pending_payment'", dbname=run.DB_NAME)[0][0]
        results["S4 online"]["held_bookings"] = int(held)
    finally:
        bench.server = main_server
        server.stop()
    for concurrency in (2, 8):  # 2: the default WORKER_CONCURRENCY; the handler waits on Stripe, so more processes help
        run.say(f"outbox: payments.event messages drained by one worker (concurrency {concurrency}) against the fake Stripe (50 ms)")
        results[f"outbox c={concurrency}"] = _outbox_throughput(fake, bench.seconds(600, 200), concurrency)
        run.say(f"  outbox: {results[f'outbox c={concurrency}']}")
    fake.stop()
    return results


def render(results: dict, machine: dict | None = None) -> str:
    """The ``## Payments (issue 12)`` section of docs/benchmarks.md."""
    if not results:
        return ""
    lines = ["## Payments (issue 12)", ""]
    if machine:
        lines += [f"Measured {machine.get('date', '')} on {machine.get('nproc')} CPUs ({machine.get('cpu')}), PostgreSQL "
                  f"{machine.get('postgresql')}; uvicorn 2 workers, `PAYMENT_PROVIDER=stripe`, `BOOKING_PAYMENT_MODE=online`, "
                  f"`STRIPE_API_BASE` at a local fake Stripe answering every call in {results['fake_latency_ms']} ms. "
                  "Load from locust on the same machine; each figure the median of the runs listed. Reproduce with "
                  "`.venv/bin/python bench/payments.py` (its own database, `coresync_paybench`) or `make bench`.", ""]
    busy = [r.get("background_cpu", 0) for key in ("webhook c=1", "webhook c=16", "S4 online")
            for r in (results.get(key) or {}).get("runs", [])]
    if busy and max(busy) >= 0.25:
        lines += [f"**The machine was shared** with other work during these runs (up to {max(busy):.0%} of the CPUs busy before a "
                  "run, see *Every run*): read the figures as upper bounds, next to the floors measured at the same time.", ""]
    lines += ["| figure | p50 | p95 | rate | target | floor p95 (plain / one query) | Stripe calls during the runs | other answers |",
              "|---|---|---|---|---|---|---|---|"]
    for key, target, users, expected in (("webhook c=1", "p95 ≤ 50 ms", 1, "200"), ("webhook c=16", "—", 16, "200"),
                                         ("S4 online", "p95 ≤ 60 ms, ≤ 8 queries", 1, "201")):
        item = results.get(key)
        plain, one = results.get(f"floor plain c={users}"), results.get(f"floor one-query c={users}")
        floor = f"{plain['p95']:.1f} / {one['p95']:.1f} ms" if plain and one else "—"
        if item:
            # A figure made of refusals (a 429 from a rate limit, say) measures the refusal: say so beside it.
            other = sum(count for r in item.get("runs", []) for status, count in r["statuses"].items() if str(status) != expected)
            lines.append(f"| {key} | {item['p50']:.1f} ms | {item['p95']:.1f} ms | {item['rps']:.0f} req/s | {target} | {floor} | "
                         f"{item['stripe_calls']} | {f'**{other} not {expected}: figure invalid**' if other else 'none'} |")
    for key in ("outbox", "outbox c=2", "outbox c=8"):
        outbox = results.get(key) or {}
        if not outbox:
            continue
        lines.append(f"| outbox `payments.event` (re-fetch from the fake) | — | — | {outbox['per_second']} events/s "
                     f"({outbox['drained']} in {outbox['seconds']} s, worker concurrency {outbox['worker_concurrency']}) | — | — | "
                     f"{outbox['stripe_calls']} | — |")
    lines += ["", "The webhook request verifies the signature (`construct_event`), stores the event id and writes the outbox row; "
              "the Stripe column counts calls the fake received while the load ran (no worker running): 0 means no outbound "
              "call on the request path. S4 online holds the booking (`pending_payment`); its PaymentIntent is created later by "
              "the pay call. The outbox figure is one Celery worker (prefork) draining `payments.event` messages whose handler "
              "re-fetches the PaymentIntent from the fake: it waits on Stripe, so it scales with `WORKER_CONCURRENCY`.",
              "", "Every run:", ""]
    for key in ("webhook c=1", "webhook c=16", "S4 online"):
        for i, item in enumerate((results.get(key) or {}).get("runs", []), 1):
            lines.append(f"- {key} run {i}: n={item['n']}, p50 {item['p50']:.1f} ms, p95 {item['p95']:.1f} ms, "
                         f"{item['rps']:.0f} req/s, statuses {item['statuses']}, load {item.get('loadavg')}, "
                         f"other work {item.get('background_cpu', 0):.0%} CPU")
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) this section in docs/benchmarks.md, leaving the others as they are."""
    from bench import run

    path = run.REPORT
    current = path.read_text() if path.exists() else ""
    start = current.find("## Payments (issue 12)")
    if start >= 0:
        end = current.find("\n## ", start + 1)
        current = current[:start] + text + (current[end + 1:] if end >= 0 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current)


def main() -> None:
    import argparse

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench import run

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--bookings", type=int, default=5000)
    args = parser.parse_args()
    run.DB_NAME = "coresync_paybench"  # its own database: never the main run's
    run.DB_URL = f"postgres://postgres@127.0.0.1:5432/{run.DB_NAME}"
    run.ensure_services()
    machine = run.machine()
    run.recreate_database()
    bench = run.Bench(args.quick, 60)
    bench.token = run.dataset("catalog")
    run.dataset("bookings", str(args.bookings))
    results = run_payments(bench)
    (run.ROOT / "var").mkdir(exist_ok=True)
    (run.ROOT / "var" / "bench-payments.json").write_text(json.dumps({"machine": machine, "payments": results}, indent=1, default=str))
    text = render(results, machine)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
