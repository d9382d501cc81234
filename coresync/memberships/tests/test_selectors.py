"""The membership tiers as their own read model: edited in the admin, seen by the next availability answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coresync.catalog.selectors import catalog_snapshot
from coresync.memberships.selectors import tiers_snapshot

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("America/New_York"))


def window_ends(api) -> str:
    today = NOW.date()
    response = api.get(
        "/api/v1/availability/",
        {"service": "swedish-massage", "date_from": today.isoformat(), "date_to": (today + timedelta(days=90)).isoformat()},
    )
    assert response.status_code == 200, response.content
    return response.json()["window_ends"]


def test_a_shorter_tier_window_is_seen_by_the_next_cached_answer_without_rebuilding_the_catalog(demo_spa):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=demo_spa.base)[0].key}")
    with time_machine.travel(NOW, tick=False):
        assert window_ends(api) == (NOW.date() + timedelta(days=60)).isoformat()  # answered, and cached
        catalog = catalog_snapshot()

        tier = demo_spa.tiers["base"]
        tier.booking_window_days = 30
        tier.save()

        assert window_ends(api) == (NOW.date() + timedelta(days=30)).isoformat()
        assert catalog_snapshot() is catalog
        assert tiers_snapshot().by_slug["base"].window_days == 30
