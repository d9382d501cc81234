"""Scale-out, shown working on one machine: two web processes, two Celery workers and two beats behind HAProxy.

    make scaleout                      # or: .venv/bin/python deploy/scaleout.py [--bookings 400] [--clients 16]
    make scaleout BROKER=rabbitmq      # the same with RabbitMQ as Celery's broker (RABBITMQ_URL, default guest@127.0.0.1)

Everything shares one PostgreSQL and one Redis, as it would across machines
(docs/operations.md, "Scale-out"). The script recreates the database
``coresync_scaleout``, loads the demo spa, starts

    HAProxy :8300  ->  web1 :8301, web2 :8302   (uvicorn, ASGI: HTTP and WebSocket)
    worker1, worker2                            (Celery, one process each)
    beat1, beat2                                (SingleBeatScheduler: one leads, one stands by)

and then checks, printing a line per step:

1. bookings driven through the balancer by concurrent guests (some fighting for the
   same few slots) are served by both web processes, with 0 × 5xx and every
   conflict a 409;
2. a chat on web1 survives web1's restart: the client reconnects through the
   balancer with its session id, lands on web2, and the conversation goes on
   (its state is in Redis, not in the process);
3. exactly one beat leads; when it is killed the standby takes over;
4. after the outbox drains: 0 overlapping bookings, exactly one confirmation
   e-mail per booking, 0 dead letters.

Exit status 0 only if every check holds. Logs of each process are in var/scaleout/logs/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PY = str(BIN / "python")
VAR = ROOT / "var" / "scaleout"
DB_NAME = "coresync_scaleout"
REDIS_DB = 9
LB_PORT, WEB_PORTS = 8300, (8301, 8302)
LB = f"http://127.0.0.1:{LB_PORT}"
SERVICE = "swedish-massage"
LEASE_SECONDS = 10
STARTED = time.monotonic()

HAPROXY_CFG = """
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option http-server-close
    retries 3
    option redispatch 1
frontend coresync
    bind 127.0.0.1:{lb}
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
    http-request set-header X-Forwarded-Proto http
    http-response set-header X-Served-By %[srv_name]
    server web1 127.0.0.1:{web1} check
    server web2 127.0.0.1:{web2} check
"""


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.0f}s] {message}", flush=True)


def sql(query: str, params=(), dbname: str | None = None):
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname or DB_NAME, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else None


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="coresync.settings",
        DEBUG="0",
        SECRET_KEY="scaleout-" + "x" * 50,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        CORESYNC_VAR_DIR=str(VAR),
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(LB_PORT),  # links in e-mails and the CSRF origin are the balancer's
        BEHIND_PROXY="1",
        TRUSTED_PROXY_COUNT="1",
        BEAT_LEASE_SECONDS=str(LEASE_SECONDS),
        BOOKING_RATE_LIMIT="1000000/hour",
        CHAT_RATE_LIMIT="1000000/minute",
        AI_CHAT_SESSION_RATE_LIMIT="1000000/minute",
        AI_CHAT_IP_RATE_LIMIT="1000000/minute",
        STATIC_MANIFEST="0",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    return env


class Processes:
    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen] = {}
        (VAR / "logs").mkdir(parents=True, exist_ok=True)

    def start(self, name: str, command: list[str]) -> None:
        log = open(VAR / "logs" / f"{name}.log", "a")  # noqa: SIM115 - kept open for the child's life
        self.children[name] = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True)  # fmt: skip

    def web(self, name: str, port: int) -> None:
        self.start(name, [str(BIN / "uvicorn"), "coresync.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                          "--workers", "1", "--no-access-log"])  # fmt: skip

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        child = self.children.pop(name, None)
        if child and child.poll() is None:
            os.killpg(child.pid, sig)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.children):
            self.stop(name)

    def log(self, name: str) -> str:
        return (VAR / "logs" / f"{name}.log").read_text(errors="replace")


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def request(method: str, path: str, body: dict | None = None) -> tuple[int, dict, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(LB + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers.get("X-Served-By", "")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            parsed = json.loads(payload or b"{}")
        except ValueError:
            parsed = {"raw": payload[:200].decode(errors="replace")}
        return error.code, parsed, error.headers.get("X-Served-By", "")


def prepare(processes: Processes) -> None:
    if not shutil.which("haproxy"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            say("HAProxy is not installed: installing it from Debian")
            subprocess.run(["apt-get", "install", "-y", "-q", "haproxy"], check=True, capture_output=True)
        else:
            raise SystemExit("HAProxy is not installed (apt-get install haproxy)")
    sys.path.insert(0, str(ROOT))
    from bench.run import ensure_services

    ensure_services()
    say(f"recreating database {DB_NAME} and Redis db {REDIS_DB}")
    shutil.rmtree(VAR, ignore_errors=True)
    (VAR / "logs").mkdir(parents=True)
    sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", dbname="postgres")
    sql(f"CREATE DATABASE {DB_NAME}", dbname="postgres")
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(REDIS_DB), "flushdb"], check=True, capture_output=True)
    for step in (["migrate", "--noinput", "-v", "0"], ["seed_demo"], ["collectstatic", "--noinput", "-v", "0"]):
        say(f"manage.py {step[0]}")
        subprocess.run([PY, "manage.py", *step], cwd=ROOT, env=environment(), check=True, capture_output=True)
    (VAR / "haproxy.cfg").write_text(HAPROXY_CFG.format(lb=LB_PORT, web1=WEB_PORTS[0], web2=WEB_PORTS[1]))
    say("starting web1, web2, worker1, worker2, beat1, beat2 and HAProxy")
    processes.web("web1", WEB_PORTS[0])
    processes.web("web2", WEB_PORTS[1])
    for n in (1, 2):
        processes.start(f"worker{n}", [str(BIN / "celery"), "-A", "coresync", "worker", "--loglevel", "INFO",
                                       "--concurrency", "1", "--hostname", f"worker{n}@%h"])  # fmt: skip
    for n in (1, 2):
        processes.start(f"beat{n}", [str(BIN / "celery"), "-A", "coresync", "beat", "--loglevel", "INFO",
                                     "--scheduler", "coresync.core.beat:SingleBeatScheduler",
                                     "--schedule", str(VAR / f"beat{n}.schedule")])  # fmt: skip
        time.sleep(1.5)  # beat1 takes the lease first, so the takeover below is beat2's
    processes.start("haproxy", ["haproxy", "-db", "-f", str(VAR / "haproxy.cfg")])
    for port in WEB_PORTS:
        wait_for(f"http://127.0.0.1:{port}/healthz")
    wait_for(LB + "/healthz")


def free_starts() -> list[str]:
    starts: list[str] = []
    day = date.today() + timedelta(days=2)
    while len(starts) < 400 and day < date.today() + timedelta(days=14):
        status, body, _ = request("GET", f"/api/v1/availability/?service={SERVICE}&date_from={day}&date_to={day}")
        if status == 200:
            starts.extend(slot["start"] for slot in body["slots"])
        day += timedelta(days=1)
    return starts


def drive_bookings(total: int, clients: int) -> dict:
    starts = free_starts()
    contested = starts[:3]
    rng = random.Random(7)
    plan = [contested[i % 3] if rng.random() < 0.4 else rng.choice(starts) for i in range(total)]
    statuses: Counter = Counter()
    served: Counter = Counter()
    references: list[str] = []
    lock = threading.Lock()
    cursor = iter(enumerate(plan))

    def client() -> None:
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            n, start = item
            guest = {"name": f"Guest {n}", "email": f"guest{n}@scaleout.test", "phone": "+12125550100"}
            status, body, server = request("POST", "/api/v1/bookings/", {"service": SERVICE, "start": start, "guest": guest})
            with lock:
                statuses[status] += 1
                served[server] += 1
                if status == 201:
                    references.append(body["reference"])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    return {"statuses": dict(statuses), "served_by": dict(served), "references": references, "seconds": round(seconds, 1),
            "attempts_per_second": round(total / seconds, 1)}  # fmt: skip


async def chat_survives_restart(processes: Processes) -> dict:
    import websockets

    origin = LB

    async def turn(socket, message: str) -> dict:
        await socket.send(json.dumps({"message": message}))
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            if frame.get("type") != "typing":
                return frame

    async with websockets.connect(f"ws://127.0.0.1:{WEB_PORTS[0]}/ws/ai-chat/", origin=origin) as socket:
        session = json.loads(await socket.recv())
        first = await turn(socket, "I'd like a 60 minute swedish massage the day after tomorrow")
        session_id = first.get("session_id") or session.get("session_id")
    say("  chat opened on web1; restarting web1 under it")
    processes.stop("web1")
    for attempt in range(5):  # as the site's chat does: reconnect with a short back-off, keeping the session id
        try:
            async with websockets.connect(f"ws://127.0.0.1:{LB_PORT}/ws/ai-chat/?session_id={session_id}", origin=origin) as socket:
                reopened = json.loads(await socket.recv())
                follow_up = await turn(socket, "how much is it?")
            break
        except (OSError, websockets.exceptions.InvalidStatus):
            await asyncio.sleep(0.5 * (attempt + 1))
    else:
        raise SystemExit("the chat could not reconnect through the balancer")
    processes.web("web1", WEB_PORTS[0])
    wait_for(f"http://127.0.0.1:{WEB_PORTS[0]}/healthz")
    text = " ".join(m.get("text", "") for m in follow_up.get("messages", []))
    return {"session_id": session_id, "resumed": reopened.get("resumed"), "reply_type": follow_up.get("type"),
            "knows_the_service": "swedish" in text.lower() or "$" in text, "follow_up": text[:160]}  # fmt: skip


def beat_takeover(processes: Processes) -> dict:
    leaders = [name for name in ("beat1", "beat2") if "leads: sending" in processes.log(name)]
    standby = [name for name in ("beat1", "beat2") if "stands by" in processes.log(name)]
    result = {"leaders_before": leaders, "standby_before": standby}
    if len(leaders) == 1:
        processes.stop(leaders[0], signal.SIGKILL)  # no clean release: the lease must expire on its own
        other = "beat2" if leaders[0] == "beat1" else "beat1"
        deadline = time.monotonic() + LEASE_SECONDS * 3
        while time.monotonic() < deadline and "leads: sending" not in processes.log(other):
            time.sleep(0.5)
        result["took_over"] = "leads: sending" in processes.log(other)
    return result


def drain(seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    pending = None
    while time.monotonic() < deadline:
        pending = sql("SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0]
        queued = sql("SELECT count(*) FROM notifications_emaillog WHERE status IN ('queued', 'sending')")[0][0]
        if pending == 0 and queued == 0:
            break
        time.sleep(1)
    dead = sql("SELECT count(*) FROM outbox WHERE status = 'dead'")[0][0]
    return {"pending": pending, "dead": dead}


def overlaps() -> int:
    active = "status NOT IN ('cancelled', 'expired')"
    pairs = 0
    for column in ("technician_id", "room_id"):
        pairs += sql(f"""SELECT count(*) FROM bookings_booking a JOIN bookings_booking b ON a.{column} = b.{column}
                         AND a.id < b.id AND tstzrange(a.start, a.blocked_until) && tstzrange(b.start, b.blocked_until)
                         WHERE a.{active} AND b.{active}""")[0][0]
    return pairs


def confirmations(references: list[str]) -> dict:
    rows = sql("""SELECT b.reference, count(e.id) FILTER (WHERE e.status IN ('sent', 'delivered')) FROM bookings_booking b
                  LEFT JOIN notifications_emaillog e ON e.booking_id = b.id AND e.kind = 'booking_confirmation'
                  WHERE b.reference = ANY(%s) GROUP BY b.reference""", [references])  # fmt: skip
    counts = Counter(count for _ref, count in rows)
    mail_files = len(list((VAR / "mail").glob("*.eml"))) if (VAR / "mail").exists() else 0
    return {"bookings": len(rows), "with_exactly_one": counts.get(1, 0), "missing": counts.get(0, 0),
            "more_than_one": sum(v for k, v in counts.items() if k > 1), "mail_files": mail_files}  # fmt: skip


def ensure_rabbitmq() -> str:
    """RabbitMQ's URL (``RABBITMQ_URL``), starting the local server if nothing answers on its port."""
    import socket
    from urllib.parse import urlparse

    url = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
    address = (urlparse(url).hostname or "127.0.0.1", urlparse(url).port or 5672)

    def answers() -> bool:
        with socket.socket() as probe:
            probe.settimeout(1)
            return probe.connect_ex(address) == 0

    if not answers():
        say("RabbitMQ is down: starting it (rabbitmq-server -detached)")
        subprocess.run(["rabbitmq-server", "-detached"], check=False)
        for _ in range(60):
            if answers():
                break
            time.sleep(1)
    say(f"Celery's broker: RabbitMQ at {address[0]}:{address[1]}")
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="leave everything running after the checks (Ctrl-C stops)")
    parser.add_argument("--broker", choices=("redis", "rabbitmq"), default="redis", help="Celery's broker (Redis stays the cache)")
    args = parser.parse_args()
    if args.broker == "rabbitmq":
        os.environ["CELERY_BROKER_URL"] = ensure_rabbitmq()
    processes = Processes()
    checks: dict[str, bool] = {}
    try:
        prepare(processes)
        say(f"1/4 {args.bookings} booking attempts by {args.clients} concurrent guests through HAProxy")
        booked = drive_bookings(args.bookings, args.clients)
        say(f"  statuses {booked['statuses']}, served by {booked['served_by']}, {booked['attempts_per_second']} attempts/s")
        checks["both web processes served"] = all(booked["served_by"].get(name, 0) > 0 for name in ("web1", "web2"))
        checks["no 5xx, conflicts are 409"] = set(booked["statuses"]) <= {201, 409}
        say("2/4 a chat survives the restart of the web process it was on")
        chat = asyncio.run(chat_survives_restart(processes))
        say(f"  resumed={chat['resumed']} reply={chat['reply_type']} follow-up: {chat['follow_up']!r}")
        checks["chat resumed on the other process"] = bool(chat["resumed"]) and chat["reply_type"] == "reply" and chat["knows_the_service"]
        say("3/4 one beat leads; killing it hands over to the standby")
        beat = beat_takeover(processes)
        say(f"  {beat}")
        checks["exactly one beat leads, the standby takes over"] = len(beat["leaders_before"]) == 1 and beat.get("took_over", False)
        say("4/4 waiting for the outbox and the e-mails to drain")
        drained = drain()
        pairs = overlaps()
        mails = confirmations(booked["references"])
        say(f"  outbox {drained}; overlapping pairs {pairs}; confirmations {mails}")
        checks["outbox drained, 0 dead letters"] = drained["pending"] == 0 and drained["dead"] == 0
        checks["0 overlapping bookings"] = pairs == 0
        broker = "amqp://" if args.broker == "rabbitmq" else "redis://"
        checks[f"both workers took their jobs from {args.broker}"] = all(
            f"Connected to {broker}" in processes.log(name) for name in ("worker1", "worker2"))  # fmt: skip
        checks["exactly one confirmation e-mail per booking"] = (
            mails["bookings"] == len(booked["references"]) == mails["with_exactly_one"] and mails["mail_files"] >= mails["bookings"]
        )
        for name, ok in checks.items():
            say(f"{'PASS' if ok else 'FAIL'}  {name}")
        (VAR / "result.json").write_text(json.dumps({"bookings": {k: v for k, v in booked.items() if k != "references"},
                                                     "chat": chat, "beat": beat, "drain": drained, "overlaps": pairs,
                                                     "confirmations": mails, "checks": checks}, indent=1))  # fmt: skip
        if args.keep:
            say(f"everything is running behind {LB}; Ctrl-C stops")
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        processes.stop_all()
    return 0 if checks and all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
