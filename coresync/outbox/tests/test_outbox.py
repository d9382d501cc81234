"""The outbox: written with the change, delivered after commit, swept when the dispatch is lost, retried, dead-lettered."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import respx
import time_machine
from django.db import transaction
from django.utils import timezone

from coresync.integrations.common.http import BaseHttpClient
from coresync.outbox.models import OutboxMessage, OutboxStatus
from coresync.outbox.registry import outbox_handler
from coresync.outbox.services import backoff_seconds, outbox_deliver, outbox_enqueue, outbox_retry
from coresync.outbox.signals import message_dead
from coresync.outbox.tasks import sweep_outbox

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERED: list[tuple[str, dict]] = []
EFFECTS: set[str] = set()
VENDOR = "https://vendor.test"


@outbox_handler("test.record")
def _record(payload: dict, dedupe_key: str) -> None:
    DELIVERED.append((dedupe_key, payload))
    EFFECTS.add(dedupe_key)  # the handler's own idempotency: one effect per key


@outbox_handler("test.vendor", max_attempts=3)
def _call_vendor(payload: dict, dedupe_key: str) -> None:
    client = BaseHttpClient(base_url=VENDOR)
    try:
        client.request("POST", "/v1/things", json=payload, headers={"Idempotency-Key": dedupe_key})
    finally:
        client.close()


class Killed(BaseException):
    """Stands for the worker process dying in the middle of a delivery (nothing after it runs)."""


@outbox_handler("test.killed")
def _killed(payload: dict, dedupe_key: str) -> None:
    DELIVERED.append((dedupe_key, payload))
    if len([k for k, _ in DELIVERED if k == dedupe_key]) == 1:
        raise Killed


@pytest.fixture(autouse=True)
def _clean():
    DELIVERED.clear()
    EFFECTS.clear()
    yield


def test_a_message_is_delivered_once_after_commit():
    with transaction.atomic():
        outbox_enqueue(kind="test.record", dedupe_key="k1", payload={"booking": 7})
        assert DELIVERED == []  # nothing leaves before commit
    assert DELIVERED == [("k1", {"booking": 7})]
    row = OutboxMessage.objects.get(dedupe_key="k1")
    assert (row.status, row.attempts, row.done_at is not None) == (OutboxStatus.DONE, 1, True)


def test_a_rolled_back_change_leaves_no_message():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(kind="test.record", dedupe_key="k2")
        raise RuntimeError("the booking failed")
    assert not OutboxMessage.objects.filter(dedupe_key="k2").exists()
    assert DELIVERED == []


def test_the_same_dedupe_key_is_one_message():
    with transaction.atomic():
        outbox_enqueue(kind="test.record", dedupe_key="same", payload={"n": 1})
        outbox_enqueue(kind="test.record", dedupe_key="same", payload={"n": 2})
    outbox_enqueue(kind="test.record", dedupe_key="same", payload={"n": 3})
    assert OutboxMessage.objects.filter(dedupe_key="same").count() == 1
    assert DELIVERED == [("same", {"n": 1})]


def _die_after_commit():
    raise Killed


def test_a_process_killed_between_commit_and_dispatch_still_delivers_exactly_once():
    # The process dies right after COMMIT: the first after-commit hook kills it, so no dispatch runs.
    with pytest.raises(Killed), transaction.atomic():
        transaction.on_commit(_die_after_commit)
        outbox_enqueue(kind="test.record", dedupe_key="lost-1", payload={"x": 1})
        outbox_enqueue(kind="test.record", dedupe_key="lost-2", payload={"x": 2})
    assert DELIVERED == []
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 2

    assert sweep_outbox() == 2  # the beat sweep finds them
    assert sweep_outbox() == 0  # and a second sweep has nothing left
    assert sorted(k for k, _ in DELIVERED) == ["lost-1", "lost-2"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}


def test_a_worker_killed_mid_delivery_is_redelivered_after_its_claim_expires():
    with pytest.raises(Killed), transaction.atomic():
        transaction.on_commit(_die_after_commit)
        outbox_enqueue(kind="test.killed", dedupe_key="crash")
    with pytest.raises(Killed):
        outbox_deliver("crash")  # the worker dies inside the handler, after its effect, before marking the row done
    row = OutboxMessage.objects.get(dedupe_key="crash")
    assert row.status == OutboxStatus.PENDING and row.claimed_until is not None

    assert sweep_outbox() == 0  # still claimed by the dead worker: not delivered twice at once
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert sweep_outbox() == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.DONE
    assert [k for k, _ in DELIVERED] == ["crash", "crash"]  # at least once; the handler's key makes it once in effect


def test_a_claimed_message_is_not_delivered_by_a_second_worker():
    OutboxMessage.objects.create(kind="test.record", dedupe_key="held", next_attempt_at=timezone.now(),
                                 claimed_until=timezone.now() + timedelta(minutes=5), claim_token="other")
    assert outbox_deliver("held") is None
    assert DELIVERED == []


@respx.mock
def test_a_vendor_503_is_retried_with_backoff_and_then_delivered():
    route = respx.post(f"{VENDOR}/v1/things").mock(side_effect=[httpx.Response(503), httpx.Response(201, json={"id": "t1"})])
    with transaction.atomic():
        outbox_enqueue(kind="test.vendor", dedupe_key="vendor-1", payload={"amount": "10.00"})
    row = OutboxMessage.objects.get(dedupe_key="vendor-1")
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "503" in row.last_error
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=10)  # base 30 s, jitter between 15 and 30

    assert sweep_outbox() == 0  # not due yet
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert sweep_outbox() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.DONE, 2)
    assert [call.request.headers["Idempotency-Key"] for call in route.calls] == ["vendor-1", "vendor-1"]


@respx.mock
def test_a_vendor_400_is_not_retried_and_the_manager_hears_of_the_dead_letter():
    respx.post(f"{VENDOR}/v1/things").mock(return_value=httpx.Response(400, json={"error": "bad"}))
    dead: list[OutboxMessage] = []

    def on_dead(sender, message, **kwargs):
        dead.append(message)

    message_dead.connect(on_dead, weak=False)
    try:
        with transaction.atomic():
            outbox_enqueue(kind="test.vendor", dedupe_key="vendor-bad")
    finally:
        message_dead.disconnect(on_dead)
    row = OutboxMessage.objects.get(dedupe_key="vendor-bad")
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
    assert [m.dedupe_key for m in dead] == ["vendor-bad"]


@respx.mock
def test_the_last_attempt_ends_dead_and_a_manager_retry_revives_it():
    route = respx.post(f"{VENDOR}/v1/things").mock(return_value=httpx.Response(500))
    with transaction.atomic():
        outbox_enqueue(kind="test.vendor", dedupe_key="vendor-down")
    for _ in range(3):
        row = OutboxMessage.objects.get(dedupe_key="vendor-down")
        with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
            sweep_outbox()
    row.refresh_from_db()
    assert (row.status, row.attempts, route.call_count) == (OutboxStatus.DEAD, 3, 3)

    route.mock(return_value=httpx.Response(201, json={}))
    assert outbox_retry(message_ids=[row.pk]) == 1
    row.refresh_from_db()
    assert (row.status, route.call_count) == (OutboxStatus.DONE, 4)


def test_an_unknown_kind_goes_dead_at_once():
    with transaction.atomic():
        outbox_enqueue(kind="test.nobody-handles-this", dedupe_key="orphan")
    assert OutboxMessage.objects.get(dedupe_key="orphan").status == OutboxStatus.DEAD


def test_backoff_grows_exponentially_with_jitter_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 30, 3600
    for attempts, step in ((1, 30), (2, 60), (3, 120), (10, 3600)):
        waits = {backoff_seconds(attempts) for _ in range(50)}
        assert all(step / 2 <= w <= step for w in waits)
        assert len(waits) > 1  # jittered: retries of a shared outage do not stampede together
