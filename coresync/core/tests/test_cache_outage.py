"""Redis down or hung: the site keeps booking from the database; /readyz names what is down (issue 8, item 14)."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from coresync.bookings.models import Booking


def _redis_cache(location: str) -> dict:
    return {"default": {"BACKEND": "coresync.core.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": "outage"}}


@pytest.fixture
def hung_redis():
    """A port that accepts connections (the kernel's backlog) and never answers: a hung server."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def _free_start(api: APIClient) -> str:
    day = timezone.localdate() + timedelta(days=1)
    response = api.get("/api/v1/availability/", {"service": "swedish-massage", "date_from": day, "date_to": day})
    assert response.status_code == 200, response.content
    return response.json()["slots"][-1]["start"]


def _the_site_works_without_its_cache():
    api = APIClient()
    assert api.get("/api/v1/services/").status_code == 200
    start = _free_start(api)
    guest = {"name": "Ava Stone", "email": "ava.outage@example.com", "phone": "+1 212 555 0100"}
    created = api.post("/api/v1/bookings/", {"service": "swedish-massage", "start": start, "guest": guest}, format="json")
    assert created.status_code == 201, created.content
    assert Booking.objects.filter(reference=created.json()["reference"], status="confirmed").exists()
    chat = api.post("/api/v1/chat/", {"message": "where do I park?"}, format="json")
    assert chat.status_code == 200 and chat.json()["messages"]
    web = APIClient()
    login = web.post("/accounts/login/", {"username": "premium@coresync.test", "password": "coresync-demo"})
    assert login.status_code == 302
    assert web.get("/accounts/bookings/").status_code == 200  # the session was kept (in the database)


@pytest.mark.django_db
def test_with_redis_refusing_connections_everything_still_works(demo_spa):
    with override_settings(CACHES=_redis_cache("redis://127.0.0.1:1/0")):
        _the_site_works_without_its_cache()


@pytest.mark.django_db
def test_a_hung_redis_costs_a_short_timeout_not_seconds_per_call(demo_spa, hung_redis):
    with override_settings(CACHES=_redis_cache(hung_redis)):
        started = time.monotonic()
        _the_site_works_without_its_cache()
        # Eight requests; the default 5 s socket wait per cache call would take minutes.
        assert time.monotonic() - started < 5


@pytest.mark.django_db
def test_readyz_names_the_component_that_is_down_without_exception_text(demo_spa):
    with override_settings(CACHES=_redis_cache("redis://127.0.0.1:1/0")):
        response = APIClient().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and body["down"] == ["cache"]
    assert body["checks"]["cache"] == {"ok": False, "error": "unavailable"}
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1" not in response.content.decode() and "Error" not in response.content.decode()


def test_a_rate_limit_that_cannot_count_lets_the_request_through(caplog):
    from coresync.core.ratelimit import hit

    with override_settings(CACHES=_redis_cache("redis://127.0.0.1:1/0")):
        assert [hit("bookings", "ip:203.0.113.9", "1/hour") for _ in range(3)] == [None, None, None]
    assert "not counted" in caplog.text


PUBLISH_TWICE = """
import time, django
django.setup()
from coresync.core.transactions import delay_on_commit
from coresync.outbox.tasks import deliver_outbox_message
started = time.monotonic()
delay_on_commit(deliver_outbox_message, "first")
delay_on_commit(deliver_outbox_message, "second")
print(round(time.monotonic() - started, 2))
"""


def test_a_hung_broker_costs_one_short_timeout_then_publishing_pauses(hung_redis, tmp_path):
    """Bookings enqueue after commit in the request: a broker that never answers must not hang it."""
    import os
    import subprocess
    import sys

    from coresync.settings import BASE_DIR

    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="coresync.settings", CELERY_BROKER_URL=hung_redis, CORESYNC_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", PUBLISH_TWICE], env=env, cwd=BASE_DIR, capture_output=True, text=True,
                            timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip().splitlines()[-1]) < 4  # one ~2 s timeout, then the second is skipped
    assert "publishing paused" in result.stderr and "not queued now" in result.stderr
