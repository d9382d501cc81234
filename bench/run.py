"""``make bench``: SPEC §9 scenarios S1, S2, S3, S4, S7 (and S5 when its script exists) on PostgreSQL.

    .venv/bin/python bench/run.py            # full run (about 17 minutes with payments), writes docs/benchmarks.md
    .venv/bin/python bench/run.py --quick    # one run per figure, shorter loads (about 4 minutes)
    .venv/bin/python bench/run.py --no-write # measure and print, leave docs/benchmarks.md alone
    .venv/bin/python bench/run.py --render-only  # re-render docs/benchmarks.md from var/bench-results.json
    .venv/bin/python bench/run.py --only s3,s5   # just those scenarios on spa-5k (3 runs each), printed, nothing written
    BENCH_WEB_WORKERS=3 .venv/bin/python bench/run.py --only s3   # an experiment with another uvicorn worker count

What it does, in order:
 1. starts PostgreSQL and Redis if they are down; drops and recreates the
    ``coresync_bench`` database and migrates it; flushes Redis db 5;
 2. S7: the slot engine alone, in memory (``bench/engine.py``);
 3. seeds the catalog and spa-20k (``bench/dataset.py``), starts uvicorn with
    2 workers (DEBUG=0, psycopg pool, BENCH_ENDPOINTS=1), measures the floors
    at c=1 and S1 (90 days as a Premium member, 3 days as a guest);
 4. replaces the bookings with spa-5k; S1 again; floors at c=16 and S2; S4
    (plus its query count, measured in-process against the same database);
    floors at c=50 and S3, with the overlap self-join after every run;
 5. S5 through ``bench/s5_chat_ws.py`` if present; stops uvicorn and writes
    ``docs/benchmarks.md``.

Load comes from locust (headless, FastHttpUser, one process per run) on the
same machine; each figure is the median of 3 runs of raw per-request samples.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = str(ROOT / ".venv" / "bin" / "python")
LOCUST = str(ROOT / ".venv" / "bin" / "locust")
UVICORN = str(ROOT / ".venv" / "bin" / "uvicorn")
DB_NAME = "coresync_bench"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_DB = 5
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
REPORT = ROOT / "docs" / "benchmarks.md"
TZ = ZoneInfo("America/New_York")
S1_SERVICE = "deep-tissue-massage-60"  # a 60-minute service (treatment rooms, massage skill)

STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f}s] {message}", flush=True)


# --- services and database ---------------------------------------------------------------------


def _ok(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_services() -> None:
    if not _ok(["pg_isready", "-h", "127.0.0.1", "-p", "5432"]):
        say("PostgreSQL is down: starting it")
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True)
        for _ in range(30):
            if _ok(["pg_isready", "-h", "127.0.0.1", "-p", "5432"]):
                break
            time.sleep(1)
    if not _ok(["redis-cli", "-h", "127.0.0.1", "ping"]):
        say("Redis is down: starting it")
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "-::1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
                "--logfile",
                "/var/log/redis/ci.log",
            ],
            check=True,
        )
        for _ in range(30):
            if _ok(["redis-cli", "-h", "127.0.0.1", "ping"]):
                break
            time.sleep(0.5)
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(REDIS_DB), "flushdb"], check=True, capture_output=True)


def sql(query: str, dbname: str = DB_NAME, autocommit: bool = True):
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname, autocommit=autocommit) as conn:
        cur = conn.execute(query)
        return cur.fetchall() if cur.description else None


def recreate_database() -> None:
    say(f"recreating database {DB_NAME}")
    sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", dbname="postgres")
    sql(f"CREATE DATABASE {DB_NAME}", dbname="postgres")
    say("migrating")
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=server_env(), check=True)


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "0",
            "DATABASE_URL": DB_URL,
            "REDIS_URL": REDIS_URL,
            "DB_POOL": "1",
            "BOOKING_RATE_LIMIT": "1000000/hour",
            "CHAT_RATE_LIMIT": "1000000/minute",
            "AI_CHAT_SESSION_RATE_LIMIT": "1000000/minute",
            "AI_CHAT_IP_RATE_LIMIT": "1000000/minute",
            "WEBHOOK_RATE_LIMIT": "1000000/minute",  # bench/payments.py's webhook load comes from one IP
            "BENCH_ENDPOINTS": "1",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DJANGO_SETTINGS_MODULE": "coresync.settings",
        }
    )
    return env


def dataset(*args: str) -> str:
    """Run bench/dataset.py, stream its progress, return the member token it prints."""
    proc = subprocess.Popen([PY, "bench/dataset.py", *args], cwd=ROOT, env=server_env(), stdout=subprocess.PIPE, text=True)
    token = ""
    for line in proc.stdout:
        if line.startswith("TOKEN="):
            token = line.strip().split("=", 1)[1]
        else:
            print(line, end="", flush=True)
    if proc.wait() != 0:
        raise SystemExit(f"bench/dataset.py {' '.join(args)} failed")
    return token


# --- server ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn with 2 workers. ``cache=False`` (the figure of record) turns the availability answer cache off,
    so every answer is computed as after a booking; ``cache=True`` is the warm server beside it."""

    def __init__(self, cache: bool = False) -> None:
        self.port = free_port()
        self.cache = cache
        self.label = "warm (answer cache on)" if cache else "cold (answer cache off)"
        self.base = f"http://127.0.0.1:{self.port}"
        (ROOT / "var").mkdir(exist_ok=True)
        self.log = open(ROOT / "var" / f"bench-uvicorn-{'warm' if cache else 'cold'}.log", "w")  # noqa: SIM115
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        say(f"starting uvicorn (2 workers, {self.label}) on {self.base}")
        self.proc = subprocess.Popen(
            [
                UVICORN,
                "coresync.asgi:application",
                "--workers",
                os.environ.get("BENCH_WEB_WORKERS", "2"),  # the figure of record is 2; other counts for experiments
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
            ],
            cwd=ROOT,
            env=dict(server_env(), AVAILABILITY_CACHE_SECONDS="60" if self.cache else "0"),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(120):
            if self.proc.poll() is not None:
                raise SystemExit(f"uvicorn exited early; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise SystemExit("uvicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            say(f"stopping uvicorn ({self.label})")
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: only the server and its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def get(self, path: str, token: str | None = None) -> tuple[int, dict | bytes]:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Token {token}"} if token else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def warm(self, paths: list[tuple[str, str | None]], rounds: int = 12) -> None:
        """Fresh connections, so both workers load their catalog snapshot and fill their pools."""
        for _ in range(rounds):
            for path, token in paths:
                status, body = self.get(path, token)
                if status != 200:
                    raise SystemExit(f"warm-up GET {path} -> {status}: {str(body)[:300]}")


# --- load -------------------------------------------------------------------------------------------


def cpu_busy(seconds: float = 1.0) -> float:
    """Fraction of all CPUs busy over ``seconds`` (from /proc/stat); our own server is idle when this is called."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


class QuietGate:
    """Before each run, wait (within a total budget) until other work on the machine has settled."""

    THRESHOLD = 0.25

    def __init__(self, budget_seconds: float) -> None:
        self.budget = budget_seconds

    def wait(self) -> float:
        busy = cpu_busy()
        if busy < self.THRESHOLD or self.budget <= 0:
            return busy
        say(f"  machine busy with other work ({busy:.0%} CPU); waiting up to {self.budget:.0f} s for it to settle")
        while busy >= self.THRESHOLD and self.budget > 0:
            time.sleep(2)
            self.budget -= 3
            busy = cpu_busy()
        return busy


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def locust(server: Server, params: dict, users: int, seconds: int) -> dict:
    """One headless locust run; returns latency stats from the raw samples."""
    with tempfile.TemporaryDirectory() as tmp:
        params_file, out_file = Path(tmp, "params.json"), Path(tmp, "out.json")
        params_file.write_text(json.dumps(params))
        env = dict(os.environ, BENCH_PARAMS=str(params_file), BENCH_OUT=str(out_file))
        cmd = [
            LOCUST,
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "-H",
            server.base,
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--stop-timeout",
            "10",
        ]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if not out_file.exists():
            raise SystemExit(f"locust wrote no samples (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        samples = json.loads(out_file.read_text())["samples"]
    return summarize(samples)


def summarize(samples: list) -> dict:
    latencies = [s[1] for s in samples]
    statuses: dict[str, int] = {}
    for s in samples:
        statuses[str(s[2])] = statuses.get(str(s[2]), 0) + 1
    span = (max(s[3] * 1000 + s[1] for s in samples) - min(s[3] * 1000 for s in samples)) / 1000 if samples else 0
    by_name: dict[str, list[float]] = {}
    for s in samples:
        by_name.setdefault(s[0], []).append(s[1])
    return {
        "n": len(samples),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "rps": len(samples) / span if span else 0.0,
        "statuses": statuses,
        "by_name": {name: {"n": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95)} for name, v in by_name.items()},
    }


def median_of(runs: list[dict]) -> dict:
    return {
        "p50": statistics.median(r["p50"] for r in runs),
        "p95": statistics.median(r["p95"] for r in runs),
        "rps": statistics.median(r["rps"] for r in runs),
        "n": sum(r["n"] for r in runs),
        "runs": runs,
    }


class Bench:
    def __init__(self, quick: bool, wait_budget: float = 300) -> None:
        self.quick = quick
        self.gate = QuietGate(wait_budget)
        self.n_runs = 1 if quick else 3
        self.results: dict = {"floors": {}, "load": {}}
        self.server = Server(cache=False)  # every figure of record is cold
        self.warm_server = Server(cache=True)
        self.token = ""
        self.step = 0
        today = datetime.now(TZ).date()
        self.today = today

    def seconds(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def base_params(self, scenario: str, **extra) -> dict:
        return {
            "scenario": scenario,
            "token": self.token,
            "service": S1_SERVICE,
            "today": self.today.isoformat(),
            "to_90": (self.today + timedelta(days=89)).isoformat(),
            "to_3": (self.today + timedelta(days=3)).isoformat(),
            **extra,
        }

    def loadavg(self) -> str:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())

    def progress(self, message: str) -> None:
        """One line per scenario: its number, what it is, the time so far."""
        self.step += 1
        say(f"[{self.step}/{TOTAL_STEPS}] {message}")

    def measure(self, key: str, scenario: str, users: int, seconds: int, params_for_run=None, server: Server | None = None) -> dict:
        runs = []
        for i in range(self.n_runs):
            params = params_for_run(i) if params_for_run else self.base_params(scenario)
            background = self.gate.wait()
            load = self.loadavg()
            run = locust(server or self.server, params, users, seconds)
            run["loadavg"] = load
            run["background_cpu"] = background
            if params_for_run:
                run["after"] = self.after_run(scenario, params)
            runs.append(run)
            say(
                f"  {key} run {i + 1}: n={run['n']}, p50 {run['p50']:.1f} ms, p95 {run['p95']:.1f} ms, "
                f"{run['rps']:.0f} req/s, statuses {run['statuses']} (load {load}, other work {background:.0%} CPU)"
            )
        result = median_of(runs)
        self.results["load"][key] = result
        return result

    def floors(self, users: int) -> None:
        seconds = self.seconds(6, 4)
        for name, scenario in (("plain", "plain"), ("one-query", "one_query")):
            key = f"floor {name} c={users}"
            self.progress(f"floor: {key}")
            self.results["floors"][key] = self.measure(key, scenario, users, seconds)

    def after_run(self, scenario: str, params: dict) -> dict:
        if scenario != "s3":
            return {}
        overlaps = count_overlaps()
        say(f"  overlap self-join after the run: {overlaps} overlapping pairs of active bookings")
        return {"overlaps": overlaps}

    # --- slots for the booking scenarios ---

    def free_slots(self) -> list[dict]:
        """Every start the API offers the member over 90 days, for one service of each duration in each room type."""
        slots = []
        for service in FREE_SLOT_SERVICES:
            path = f"/api/v1/availability/?service={service}&date_from={self.today}&date_to={self.today + timedelta(days=89)}"
            status, body = self.server.get(path, self.token)
            if status != 200:
                raise SystemExit(f"GET {path} -> {status}: {str(body)[:300]}")
            for slot in body["slots"]:
                slots.append(
                    {"service": service, "start": slot["start"], "end": slot["end"], "technician": slot["technician"]["id"]}
                )
        return slots

    def s3_params(self, run: int) -> dict:
        rng = random.Random(100 + run)
        slots = self.free_slots()
        # Five contested (start, technician) pairs on five different days, at least a day from now.
        by_day: dict[str, list[dict]] = {}
        for slot in slots:
            if slot["start"][:10] > (self.today + timedelta(days=1)).isoformat():
                by_day.setdefault(slot["start"][:10], []).append(slot)
        days = rng.sample(sorted(by_day), 5)
        contested = [rng.choice(by_day[d]) for d in days]
        free = [dict(s, technician=None) for s in slots if s["start"][:10] not in days]
        rng.shuffle(free)
        return self.base_params("s3", contested=contested, free=free, seed=run + 1)

    def s4_params(self, run: int) -> dict:
        """Free slots that do not overlap one another at all, so each booking is on a genuinely free slot."""
        rng = random.Random(200 + run)
        slots = self.free_slots()
        rng.shuffle(slots)
        chosen, taken = [], []
        for slot in slots:
            start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"]) + timedelta(minutes=15)
            if all(end <= a or start >= b for a, b in taken):
                taken.append((start, end))
                chosen.append(dict(slot, technician=None))
            if len(chosen) >= 400:
                break
        return self.base_params("s4", free=chosen, seed=run + 1)


TOTAL_STEPS = 1 + 2 + 4 + 4 + 2 + 2 + 1 + 2 + 1 + 1 + 1  # S7, floors c=1, S1 x2 data sets, floors c=16, S2 x2, S4, floors c=50, S3, S5, payments

FREE_SLOT_SERVICES = [
    "deep-tissue-massage-60",
    "swedish-massage-30",
    "hydrating-facial-60",
    "signature-facial-30",
    "classic-manicure-30",
    "gel-manicure-60",
]


def count_overlaps() -> int:
    """Pairs of active bookings sharing a technician or a room whose blocked intervals overlap."""
    active = "status NOT IN ('cancelled', 'expired')"
    rows = sql(f"""
        SELECT
          (SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
             ON a.technician_id = b.technician_id AND a.id < b.id
            AND tstzrange(a.start, a.blocked_until) && tstzrange(b.start, b.blocked_until)
           WHERE a.{active} AND b.{active})
        + (SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
             ON a.room_id = b.room_id AND a.id < b.id
            AND tstzrange(a.start, a.blocked_until) && tstzrange(b.start, b.blocked_until)
           WHERE a.{active} AND b.{active})
    """)
    return int(rows[0][0])


def query_counts() -> dict:
    out = subprocess.run([PY, "bench/querycount.py"], cwd=ROOT, env=server_env(), capture_output=True, text=True)
    if out.returncode != 0:
        say(f"query count failed:\n{out.stderr[-3000:]}")
        return {"error": out.stderr[-1500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_s5(bench: Bench) -> dict | None:
    """S5 (chat turn over WebSocket) through bench/s5_chat_ws.py, written by the concierge helper."""
    script = ROOT / "bench" / "s5_chat_ws.py"
    if not script.exists():
        say("S5: bench/s5_chat_ws.py not present; skipped")
        return None
    ws_url = bench.server.base.replace("http://", "ws://") + "/ws/ai-chat/"
    runs: dict[str, list[dict]] = {"c1": [], "c20": []}
    for i in range(bench.n_runs):
        bench.gate.wait()
        cmd = [PY, str(script), ws_url, "--turns", "30", "--concurrency", "1,20"]
        proc = subprocess.run(cmd, cwd=ROOT, env=server_env(), capture_output=True, text=True)
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            say(f"S5 script failed (exit {proc.returncode}): {(proc.stderr or proc.stdout)[-1500:]}")
            return {"error": (proc.stderr or proc.stdout)[-1500:]}
        for line in lines:
            runs[f"c{line['concurrency']}"].append(line)
            say(
                f"  S5 run {i + 1} c={line['concurrency']}: p50 {line['p50_ms']} ms, p95 {line['p95_ms']} ms, "
                f"{line['turns']} turns, errors {line['errors']}"
            )
    out: dict = {"runs": runs}
    for key, items in runs.items():
        good = [x for x in items if x.get("p95_ms") is not None]
        if good:
            out[key] = {
                "p50": statistics.median(x["p50_ms"] for x in good),
                "p95": statistics.median(x["p95_ms"] for x in good),
                "errors": sum(x["errors"] if isinstance(x["errors"], int) else len(x["errors"]) for x in items),
                "turns": sum(x["turns"] for x in items),
            }
            later = [x for x in good if x.get("later_p95_ms") is not None]
            if later:
                out[f"{key}_later"] = {
                    "p50": statistics.median(x["later_p50_ms"] for x in later),
                    "p95": statistics.median(x["later_p95_ms"] for x in later),
                }
    return out


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    pg = sql("SHOW server_version", dbname="postgres")[0][0]  # before the bench database exists
    locust_version = subprocess.run([LOCUST, "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "postgresql": pg,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "locust": locust_version,
        "date": datetime.now(TZ).strftime("%Y-%m-%d %H:%M %Z"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run per figure and shorter loads")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=300,
        metavar="SECONDS",
        help="total time to spend waiting for other work on the machine to settle before runs (default 300)",
    )
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite docs/benchmarks.md from var/bench-results.json without measuring"
    )
    parser.add_argument(
        "--only", default="", metavar="S3,S5", help="run just these of s3, s4, s5 on spa-5k and print them (no file written)"
    )
    args = parser.parse_args()
    from bench import report
    from bench.engine import run_s7

    if args.render_only:
        saved = json.loads((ROOT / "var" / "bench-results.json").read_text())
        text = report.render(saved)
        if saved.get("payments"):
            from bench import payments

            text = text.rstrip("\n") + "\n\n" + payments.render(saved["payments"], saved.get("machine"))
        REPORT.write_text(text)
        say(f"wrote {REPORT.relative_to(ROOT)} from var/bench-results.json")
        return

    if not shutil.which("pg_isready"):
        raise SystemExit("PostgreSQL client tools are not installed")
    if args.only:
        return only(args)
    bench = Bench(args.quick, args.wait_quiet)
    results = bench.results
    results["quick"] = args.quick
    ensure_services()
    results["machine"] = machine()
    say(f"machine: {results['machine']}")
    recreate_database()

    bench.progress("S7: slot engine alone, in memory")
    results["s7_background_cpu"] = bench.gate.wait()
    results["s7"] = run_s7(quick=args.quick, log=say)

    say("data set spa-20k: catalog + 20,000 confirmed / 2,000 cancelled bookings")
    bench.token = dataset("catalog")
    dataset("bookings", "20000")
    results["counts_20k"] = booking_counts()
    try:
        bench.server.start()
        bench.warm_server.start()
        warm_paths(bench)
        bench.floors(1)
        s1(bench, "spa-20k")
        say("data set spa-5k: replacing bookings with 5,000 confirmed / 500 cancelled")
        dataset("bookings", "5000")
        results["counts_5k"] = booking_counts()
        # bulk_create bypasses the services: retire the warm server's spa-20k answers by hand
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(REDIS_DB), "flushdb"], check=True, capture_output=True)
        warm_paths(bench)
        s1(bench, "spa-5k")
        bench.floors(16)
        bench.progress("S2 cold: availability under load, 16 clients, 80% 3-day / 20% 90-day")
        bench.measure("S2", "s2", 16, bench.seconds(30, 15))
        bench.progress("S2 warm: the same on the server with the answer cache on")
        bench.measure("S2 warm", "s2", 16, bench.seconds(30, 15), server=bench.warm_server)
        bench.warm_server.stop()
        bench.progress("S4: one booking on a free slot, c=1")
        bench.measure("S4", "s4", 1, bench.seconds(12, 6), params_for_run=bench.s4_params)
        say("S4: queries per request, measured in-process against the same database")
        results["query_counts"] = query_counts()
        say(f"  {results['query_counts']}")
        bench.floors(50)
        bench.progress("S3: booking contention, 50 clients, 70% at 5 contested slots")
        bench.measure("S3", "s3", 50, bench.seconds(20, 10), params_for_run=bench.s3_params)
        bench.progress("S5: chat turn over WebSocket, 1 and 20 sessions x 30 turns (bench/s5_chat_ws.py)")
        results["s5"] = run_s5(bench)
        bench.progress("Payments: Stripe webhook c=1/c=16, S4 online, outbox with the Stripe handler (bench/payments.py)")
        from bench import payments

        results["payments"] = payments.run_payments(bench)
    finally:
        bench.server.stop()
        bench.warm_server.stop()
    results["counts_after"] = booking_counts()
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench-results.json").write_text(json.dumps(results, indent=1, default=str))
    text = report.render(results)
    if results.get("payments"):  # its own section (bench/payments.py renders it)
        from bench import payments

        text = text.rstrip("\n") + "\n\n" + payments.render(results["payments"], results.get("machine"))
    print(text)
    if not args.no_write:
        REPORT.parent.mkdir(exist_ok=True)
        REPORT.write_text(text)
        say(f"wrote {REPORT.relative_to(ROOT)} (raw figures in var/bench-results.json)")


def only(args) -> None:
    """Some scenarios alone, for quiet re-runs of the ones near their targets (``--only s3,s5``)."""
    wanted = {name.strip().lower() for name in args.only.split(",") if name.strip()}
    bench = Bench(args.quick, args.wait_quiet)
    ensure_services()
    recreate_database()
    bench.token = dataset("catalog")
    dataset("bookings", "5000")
    try:
        bench.server.start()
        warm_paths(bench)
        if "s4" in wanted:
            bench.progress("S4: one booking on a free slot, c=1")
            bench.measure("S4", "s4", 1, bench.seconds(12, 6), params_for_run=bench.s4_params)
        if "s3" in wanted:
            bench.floors(50)
            bench.progress("S3: booking contention, 50 clients, 70% at 5 contested slots")
            bench.measure("S3", "s3", 50, bench.seconds(20, 10), params_for_run=bench.s3_params)
        if "s5" in wanted:
            bench.progress("S5: chat turn over WebSocket, 1 and 20 sessions x 30 turns (bench/s5_chat_ws.py)")
            bench.results["s5"] = run_s5(bench)
    finally:
        bench.server.stop()
    print(json.dumps({k: v for k, v in bench.results.items() if k != "runs"}, indent=1, default=str))


def booking_counts() -> dict:
    rows = sql("SELECT status, count(*) FROM bookings_booking GROUP BY status")
    return dict(rows)


def warm_paths(bench: Bench) -> None:
    p = bench.base_params("warm")
    for server in (bench.server, bench.warm_server):
        if server.proc is None or server.proc.poll() is not None:
            continue
        server.warm(
            [
                ("/bench/plain", None),
                ("/bench/one-query", None),
                (f"/api/v1/availability/?service={S1_SERVICE}&date_from={p['today']}&date_to={p['to_3']}", None),
                (f"/api/v1/availability/?service={S1_SERVICE}&date_from={p['today']}&date_to={p['to_90']}", bench.token),
            ]
        )


def s1(bench: Bench, dataset_name: str) -> None:
    seconds_90, seconds_3 = bench.seconds(12, 6), bench.seconds(8, 4)
    for suffix, server in (("", bench.server), (" warm", bench.warm_server)):
        bench.progress(f"S1 on {dataset_name}, {server.label}: availability 90 days (Premium member), c=1")
        bench.measure(f"S1 90 days {dataset_name}{suffix}", "s1_90", 1, seconds_90, server=server)
        bench.progress(f"S1 on {dataset_name}, {server.label}: availability 3 days (guest), c=1")
        bench.measure(f"S1 3 days {dataset_name}{suffix}", "s1_3", 1, seconds_3, server=server)
    status, body = bench.server.get(
        f"/api/v1/availability/?service={S1_SERVICE}&date_from={bench.today}&date_to={bench.today + timedelta(days=89)}",
        bench.token,
    )
    status3, body3 = bench.server.get(
        f"/api/v1/availability/?service={S1_SERVICE}&date_from={bench.today}&date_to={bench.today + timedelta(days=3)}"
    )
    bench.results.setdefault("s1_shape", {})[dataset_name] = {
        "slots_90": len(body["slots"]) if status == 200 else None,
        "slots_3": len(body3["slots"]) if status3 == 200 else None,
        "window_ends_90": body.get("window_ends") if status == 200 else None,
        "bytes_90": len(json.dumps(body)),
        "bytes_3": len(json.dumps(body3)),
    }


if __name__ == "__main__":
    main()
