"""Real processes: a Celery worker SIGKILLed in the middle of a send, and Redis (broker, cache, channel layer) killed
and restarted while guests book. Nothing queued is lost (the outbox is in PostgreSQL) and nothing is sent twice.

Each test runs its own ``redis-server`` on a free port and real ``celery worker``
processes on the test database, so they need PostgreSQL (SQLite's test database is
in memory or locked by this process) and Debian's ``redis-server``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from coresync.notifications.models import EmailKind, EmailLog, EmailStatus
from coresync.outbox.models import OutboxMessage, OutboxStatus

from .conftest import SERVICE
from .smtp import FakeSmtp

ROOT = Path(__file__).resolve().parents[2]
CLAIM_SECONDS = 3  # the outbox lease and the e-mail log's "sending" claim, short so a dead worker's rows free up fast

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (apt-get install redis-server)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, *, seconds: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


class RedisServer:
    """Our own redis-server (no persistence: a restart loses everything in it, as a crashed cache would)."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = tmp
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.tmp)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        _wait(answers, seconds=20, what="redis-server to answer")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Workers:
    """``celery worker`` processes (solo pool: the task runs in the process we kill) on the test database."""

    def __init__(self, tmp: Path, redis: RedisServer, smtp: FakeSmtp) -> None:
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_XDIST_WORKER", "CELERY_TASK_ALWAYS_EAGER")}
        self.env.update(
            DJANGO_SETTINGS_MODULE="coresync.settings", DATABASE_URL=f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url, CORESYNC_VAR_DIR=str(tmp / "var"), STATIC_MANIFEST="0",
            CELERY_TASK_ALWAYS_EAGER="0", CELERY_VISIBILITY_TIMEOUT="5",
            OUTBOX_CLAIM_SECONDS=str(CLAIM_SECONDS), EMAIL_SENDING_TIMEOUT_SECONDS=str(CLAIM_SECONDS),
            EMAIL_PROVIDER="smtp", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port), EMAIL_USE_TLS="0", EMAIL_TIMEOUT="60",
            BOOKING_PAYMENT_MODE="on_site", CALENDAR_PROVIDER="local", PAYMENT_PROVIDER="local", ACCOUNTING_PROVIDER="local",
        )  # fmt: skip
        self.tmp = tmp
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        log = os.open(self.tmp / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)  # the child keeps its own copy
        self.children[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "coresync", "worker", "--pool", "solo", "--loglevel", "INFO",
             "--hostname", f"{name}@faults", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        os.close(log)
        _wait(lambda: "ready." in self.log(name), seconds=90, what=f"{name} to be ready:\n{self.log(name)[-2000:]}")

    def kill(self, name: str) -> None:
        child = self.children.pop(name, None)
        if child and child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.children):
            self.kill(name)

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def smtp():
    fake = FakeSmtp().start()
    yield fake
    fake.stop()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def workers(tmp_path, redis_server, smtp):
    pool = Workers(tmp_path, redis_server, smtp)
    yield pool
    pool.stop_all()


@pytest.fixture
def on_redis(redis_server, settings, monkeypatch):
    """This process (the web side) on that Redis: cache, channel layer and broker, publishing for real (not eagerly)."""
    from coresync.celery import app
    from coresync.core import transactions

    settings.BOOKING_PAYMENT_MODE = "on_site"
    settings.AVAILABILITY_CACHE_SECONDS = 0
    settings.CALENDAR_PROVIDER = "local"
    caches = {"default": {"BACKEND": "coresync.core.cache.RedisCache", "LOCATION": redis_server.url, "KEY_PREFIX": "faults"}}
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_server.url]}}}
    saved = (app.conf.task_always_eager, app.conf.broker_url)

    def reconnect(url: str) -> None:
        app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = url

    monkeypatch.setattr(transactions, "_broker_down_until", 0.0)
    with override_settings(CACHES=caches, CHANNEL_LAYERS=layers):
        from channels.layers import channel_layers

        channel_layers.backends.clear()
        app.conf.task_always_eager = False
        reconnect(redis_server.url)
        yield
        app.conf.task_always_eager = saved[0]
        reconnect(saved[1])
        channel_layers.backends.clear()


def _book(api: APIClient, n: int) -> dict:
    day = timezone.localdate() + timedelta(days=2)
    slots = api.get("/api/v1/availability/", {"service": SERVICE, "date_from": day, "date_to": day + timedelta(days=6)})
    assert slots.status_code == 200, slots.content
    guest = {"name": f"Guest {n}", "email": f"guest{n}@faults.test", "phone": "+1 212 555 0100"}
    created = api.post("/api/v1/bookings/", {"service": SERVICE, "start": slots.json()["slots"][0]["start"], "guest": guest},
                       format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    return {**created.json(), "email": guest["email"]}


def _beat_runs_its_sweeps() -> None:
    """What beat sends every minute (the outbox sweep) and every five (the e-mail retry job), sent now."""
    from coresync.notifications.tasks import retry_failed_emails
    from coresync.outbox.tasks import sweep_outbox

    sweep_outbox.delay()
    retry_failed_emails.delay()


def _mailed(smtp: FakeSmtp) -> Counter:
    """Mails to this test's guests (the e-mail retry job also confirms the demo spa's own seeded bookings)."""
    return Counter(address for to in smtp.recipients() if (address := parseaddr(to)[1]).endswith("@faults.test"))


def test_a_worker_killed_in_the_middle_of_a_send_is_replaced_and_the_mail_goes_out_exactly_once(demo_spa, on_redis, workers, smtp):
    smtp.hang = 1  # the first send never gets its answer: the worker is inside the handler when it dies
    workers.start("worker1")
    booking = _book(APIClient(), 1)
    assert smtp.hanging.wait(60), "worker1 never reached the mail server:\n" + workers.log("worker1")[-3000:]
    message = OutboxMessage.objects.get(kind="email.booking")
    assert message.status == OutboxStatus.PENDING and message.claimed_until is not None  # held by worker1's lease
    assert EmailLog.objects.get(kind=EmailKind.BOOKING_CONFIRMATION).status == EmailStatus.SENDING

    workers.kill("worker1")  # SIGKILL: no cleanup, no ack, the claims stay behind until they expire
    workers.start("worker2")
    time.sleep(CLAIM_SECONDS + 1)
    _beat_runs_its_sweeps()
    _wait(lambda: smtp.messages, seconds=60, what="the mail to go out:\n" + workers.log("worker2")[-3000:])
    _wait(lambda: OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 0, seconds=30, what="the outbox to drain")
    # The redelivered Celery message (acks_late), the sweep and a second sweep all meet a delivered row now.
    time.sleep(CLAIM_SECONDS + 1)
    _beat_runs_its_sweeps()
    time.sleep(3)

    assert _mailed(smtp) == Counter({booking["email"]: 1})
    assert smtp.data_attempts == 2  # the one worker1 died in, and worker2's
    log = EmailLog.objects.get(kind=EmailKind.BOOKING_CONFIRMATION)
    assert (log.status, log.attempts) == (EmailStatus.SENT, 2)
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.DONE


def test_redis_killed_and_restarted_loses_no_booking_and_no_mail(demo_spa, on_redis, workers, smtp, redis_server):
    workers.start("worker1")
    api = APIClient()
    before = [_book(api, n) for n in range(3)]
    _wait(lambda: len(smtp.messages) == 3, seconds=90, what="the first three mails:\n" + workers.log("worker1")[-3000:])

    redis_server.kill()  # broker, cache and channel layer gone at once
    during = [_book(api, n) for n in range(3, 5)]  # each still a 201: the cache, rate limit and broker degrade
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING, kind="email.booking").count() == 2  # kept in PostgreSQL

    redis_server.start()  # empty: whatever was queued in Redis is gone
    after = [_book(api, 5)]
    _wait(lambda: "Connected to redis" in workers.log("worker1").split("Connection to broker lost")[-1], seconds=60,
          what="worker1 to reconnect:\n" + workers.log("worker1")[-3000:])  # fmt: skip
    _beat_runs_its_sweeps()
    bookings = before + during + after
    _wait(lambda: len(_mailed(smtp)) >= len(bookings), seconds=90, what="every mail after the restart:\n" + workers.log("worker1")[-3000:])
    _wait(lambda: OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 0, seconds=30, what="the outbox to drain")
    _beat_runs_its_sweeps()
    time.sleep(3)

    assert _mailed(smtp) == Counter({b["email"]: 1 for b in bookings})
    references = [b["reference"] for b in bookings]
    confirmations = EmailLog.objects.filter(kind=EmailKind.BOOKING_CONFIRMATION, booking__reference__in=references)
    assert Counter(confirmations.values_list("status", flat=True)) == {EmailStatus.SENT: len(bookings)}
    assert not OutboxMessage.objects.filter(status=OutboxStatus.DEAD).exists()
