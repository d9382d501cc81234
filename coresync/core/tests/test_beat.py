"""Beat runs once: of several beats sharing Redis, one leads; a standby takes over when the leader stops renewing."""

from __future__ import annotations

import os
import time

import pytest
import redis

from coresync.core.beat import LEASE_KEY, BeatLease

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="the lease lives in Redis (REDIS_URL)")


@pytest.fixture
def client(request):
    """Redis, and a lease key of this test's own (tests of this file may run at once on parallel workers)."""
    connection = redis.Redis.from_url(REDIS_URL)
    key = f"{LEASE_KEY}:test:{request.node.name}"
    connection.delete(key)
    yield connection, key
    connection.delete(key)


def test_of_two_beats_exactly_one_leads_and_keeps_leading_while_it_renews(client):
    (client, key) = client
    first, second = BeatLease(client, seconds=2, key=key), BeatLease(client, seconds=2, key=key)
    assert first.held() and not second.held()
    for _ in range(5):  # renewing past the lease's own length (2.5 s in all), with room for a loaded machine
        time.sleep(0.5)
        assert first.held() and not second.held()


def test_a_standby_takes_over_once_the_leader_stops_renewing(client):
    (client, key) = client
    first, second = BeatLease(client, seconds=0.4, key=key), BeatLease(client, seconds=0.4, key=key)
    assert first.held() and not second.held()
    time.sleep(0.8)  # the leader died: nothing renews
    assert second.held()
    assert not first.held()  # the old leader comes back as a standby, never as a second leader


def test_a_leader_that_stops_cleanly_hands_over_at_once(client):
    (client, key) = client
    first, second = BeatLease(client, seconds=30, key=key), BeatLease(client, seconds=30, key=key)
    assert first.held()
    first.release()
    assert second.held()


def test_without_redis_the_one_beat_leads():
    assert BeatLease(None).held()
