"""Read-model versions: one cache round trip per request, and a request always sees its own changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coresync.core.snapshots import bump_version, current_versions, version_key, versions_memo

A, B = version_key("test:snapshots:a"), version_key("test:snapshots:b")


@pytest.fixture
def cache_reads(monkeypatch):
    """How many times the shared cache is asked for versions (counted, not changed)."""
    with versions_memo():
        current_versions(A)  # every declared version exists, as after the first request of a running server
    calls = []
    original = cache.get_many

    def counted(keys, *args, **kwargs):
        calls.append(list(keys))
        return original(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counted)
    return calls


def test_inside_one_request_every_version_is_read_once(cache_reads):
    with versions_memo():
        first = current_versions(A)
        second = current_versions(B, A)
        assert current_versions(A) == first and second[1] == first[0]
    assert len(cache_reads) == 1  # the first read fetched every declared key at once
    assert {A, B} <= set(cache_reads[0])


def test_a_request_sees_its_own_change_at_once_and_others_see_it_next_request(cache_reads):
    with versions_memo():
        before = current_versions(A)[0]
        bumped = bump_version(A)
        assert current_versions(A)[0] == bumped != before
    cache.set(A, "changed-by-another-process", timeout=None)
    with versions_memo():
        assert current_versions(A)[0] == "changed-by-another-process"


def test_outside_a_request_every_read_goes_to_the_cache(cache_reads):
    current_versions(A)
    current_versions(A)
    assert len(cache_reads) == 2  # beat jobs and workers never hold a stale version


def test_a_booking_over_the_api_reads_the_versions_once_and_the_tier_with_the_token(demo_spa, cache_reads, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=demo_spa.premium)[0].key}")
    day = (timezone.now() + timedelta(days=3)).date().isoformat()
    start = api.get("/api/v1/availability/", {"service": "swedish-massage", "date_from": day, "date_to": day}).json()
    del cache_reads[:]
    with CaptureQueriesContext(connection) as captured:
        response = api.post("/api/v1/bookings/", {"service": "swedish-massage", "start": start["slots"][0]["start"]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["price"]["discount"] != "0.00"  # the tier read with the token still prices the booking
    assert len(cache_reads) == 1
    membership_reads = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT") and
                        "memberships_membership" in q["sql"] and "authtoken_token" not in q["sql"]]  # fmt: skip
    assert membership_reads == []


def test_a_memo_inside_a_memo_keeps_the_outer_one(cache_reads):
    with versions_memo():
        current_versions(A)
        with versions_memo():
            current_versions(B)
    assert len(cache_reads) == 1


def test_a_chat_turn_reads_its_state_faq_and_versions_in_one_round_trip(demo_spa, cache_reads):
    """The concierge's turn has no request middleware: it holds its own memo, filled with the state read."""
    from coresync.ai_agent.services import chat_turn

    first = chat_turn(message="60 min massage tomorrow afternoon?", channel="web")
    del cache_reads[:]
    reply = chat_turn(message="and for Wednesday?", session_id=first.session_id, channel="web")
    assert reply.messages
    assert len(cache_reads) == 1, cache_reads
    assert {A, B} <= set(cache_reads[0])  # every declared version came with the dialogue state
