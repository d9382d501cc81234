"""GET /metrics (issue 16): behind METRICS_TOKEN; requests by route name; database gauges; several processes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from coresync.outbox.models import OutboxMessage, OutboxStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("coresync.core.tests.obs_urls")]
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def _samples(body: bytes) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


def test_metrics_are_404_while_no_token_is_set(settings):
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


@pytest.mark.parametrize("header", ["", "Bearer wrong", f"Bearer {TOKEN}x", TOKEN, f"Basic {TOKEN}"])
def test_a_wrong_or_missing_token_is_401_in_the_error_format(token, header):
    response = Client().get("/metrics", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert b"coresync_" not in response.content


def test_requests_are_counted_by_route_name_never_by_raw_path(token):
    labels = {"route": "obs-item", "method": "GET", "status": "200"}
    before = REGISTRY.get_sample_value("coresync_http_requests_total", labels) or 0
    client = Client()
    for pk in (1, 2, 3):
        assert client.get(f"/obs/items/{pk}").status_code == 200
    client.get("/no/such/page/9f8e7d")
    body = client.get("/metrics", **token).content
    samples = _samples(body)
    assert samples[("coresync_http_requests_total", tuple(sorted(labels.items())))] == before + 3
    assert ("coresync_http_request_duration_seconds_count", (("method", "GET"), ("route", "obs-item"))) in samples
    assert b"/obs/items/" not in body and b"9f8e7d" not in body  # no raw paths, so no unbounded labels
    assert any(key[0] == "coresync_http_requests_total" and ("route", "unmatched") in key[1] for key in samples)


def test_outbox_depth_and_dead_letters_are_read_from_the_database(token):
    now = timezone.now()
    kind = f"test.metrics.{uuid.uuid4().hex[:8]}"
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind=kind, dedupe_key=uuid.uuid4().hex, next_attempt_at=now) for _ in range(3)]
        + [OutboxMessage(kind=kind, dedupe_key=uuid.uuid4().hex, next_attempt_at=now, status=OutboxStatus.DEAD)]
    )
    samples = _samples(Client().get("/metrics", **token).content)
    assert samples[("coresync_outbox_pending", (("kind", kind),))] == 3
    assert samples[("coresync_outbox_dead", (("kind", kind),))] == 1
    assert samples[("coresync_outbox_oldest_pending_age_seconds", ())] >= 0


def test_bookings_by_channel_and_emails_by_status(token):
    from coresync.notifications.models import EmailLog
    from coresync.notifications.tests.factories import BookingFactory

    samples = _samples(Client().get("/metrics", **token).content)
    web_before = samples.get(("coresync_bookings_created_total", (("channel", "web"),)), 0)
    chat_before = samples.get(("coresync_bookings_created_total", (("channel", "chat"),)), 0)
    BookingFactory(channel="chat")
    BookingFactory(channel="web")
    BookingFactory(channel="web")
    EmailLog.objects.create(kind="booking_confirmation", dedupe_key=uuid.uuid4().hex, status="failed")
    samples = _samples(Client().get("/metrics", **token).content)
    assert samples[("coresync_bookings_created_total", (("channel", "web"),))] == web_before + 2
    assert samples[("coresync_bookings_created_total", (("channel", "chat"),))] == chat_before + 1
    assert samples[("coresync_emails", (("kind", "booking_confirmation"), ("status", "failed")))] >= 1


def test_celery_task_outcomes_are_counted():
    from coresync.core.tests.obs_urls import obs_task

    labels = {"task": "test.obs.task", "state": "SUCCESS"}
    before = REGISTRY.get_sample_value("coresync_celery_tasks_total", labels) or 0
    obs_task.apply(args=["counted"])
    assert REGISTRY.get_sample_value("coresync_celery_tasks_total", labels) == before + 1


_WRITER = """
from coresync.core.metrics import REQUESTS, TASKS
REQUESTS.labels("bookings", "POST", "201").inc({n})
TASKS.labels("outbox.deliver", "SUCCESS").inc()
"""
_READER = """
import django
django.setup()
from django.conf import settings
settings.METRICS_COLLECTORS = []  # this process has no test database; the counters are what is checked
from coresync.core.metrics import exposition
print(exposition().decode())
"""


def test_multiprocess_mode_sums_the_counters_of_every_process(tmp_path):
    """Two processes (two uvicorn workers, or a web and a Celery worker) write; a third scrape sees the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (2, 5):
        subprocess.run([sys.executable, "-c", _WRITER.format(n=n)], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", _READER], env=env, check=True, timeout=60, capture_output=True, text=True).stdout
    samples = _samples(out.encode())
    assert samples[("coresync_http_requests_total", (("method", "POST"), ("route", "bookings"), ("status", "201")))] == 7
    assert samples[("coresync_celery_tasks_total", (("state", "SUCCESS"), ("task", "outbox.deliver")))] == 2
