"""``/manager/``: the dashboard page for managers only, its figures embedded (json_script) for the vendored Chart.js,
the heatmap, the range form and the CSV link, in the same number of queries for a week and for ninety days."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coresync.analytics import selectors
from coresync.bookings.tests.factories import BookingFactory
from coresync.bookings.tests.support import MONDAY, at

pytestmark = pytest.mark.django_db
CANVASES = ["chart-revenue", "chart-channels", "chart-outcomes", "chart-tiers", "chart-concierge", "chart-utilisation"]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _book(demo_spa, day, wall, **fields):
    technician = demo_spa.technicians["Maya Rivera"]
    service = demo_spa.services["swedish-massage"]
    room = demo_spa.location.rooms.filter(room_type=service.required_room_type).first()
    return BookingFactory(service=service, technician=technician, room=room, start=at(day, wall), **fields)


def _embedded(html: str) -> dict:
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the figures are embedded with json_script"
    return json.loads(found.group(1))


def test_the_page_embeds_the_api_figures_and_draws_them_from_our_static_files(demo_spa):
    _book(demo_spa, MONDAY, "10:00", total=Decimal("108.88"), channel="web", status="completed")
    _book(demo_spa, MONDAY + timedelta(days=1), "10:00", total=Decimal("70.00"), channel="phone", status="cancelled")
    manager = _signed_in(demo_spa.manager)
    week = {"date_from": MONDAY.isoformat(), "date_to": (MONDAY + timedelta(days=6)).isoformat()}
    response = manager.get("/manager/", week)
    assert response.status_code == 200
    html = response.content.decode()
    data = _embedded(html)
    api = manager.get("/api/v1/manager/dashboard/", week).json()
    assert data == api
    assert data["revenue"]["total"] == "108.88" and data["bookings"]["cancelled"] == 1
    for canvas in CANVASES:
        assert f'<canvas id="{canvas}"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/js/manager-dashboard.js" in html
    assert not re.search(r'<(script|link)\b[^>]*\b(src|href)="(https?:)?//', html)  # every script and stylesheet is ours
    assert "https://" not in re.sub(r'https://(maps\.google|g\.page)[^"]*', "", html)
    assert f'href="/api/v1/manager/dashboard.csv?date_from={week["date_from"]}&amp;date_to={week["date_to"]}"' in html
    assert 'name="date_from"' in html and f'value="{week["date_from"]}"' in html
    # The heatmap: one cell per technician and day, shaded by a class (no inline style for the CSP to come).
    assert html.count('class="heat heat-') == 7 * (len(demo_spa.technicians) + demo_spa.location.rooms.count())
    assert "style=" not in html.split('id="heat-tech-title"')[1]


def test_a_bad_range_says_so_and_shows_the_default(demo_spa):
    page = _signed_in(demo_spa.manager).get("/manager/", {"date_from": "2030-06-10", "date_to": "2030-06-01"}, follow=True)
    assert page.status_code == 200 and b"date_to is before date_from" in page.content
    assert len(_embedded(page.content.decode())["revenue"]["by_day"]) == 30


def test_the_same_number_of_queries_for_a_week_and_for_ninety_days(demo_spa):
    for n in range(6):
        _book(demo_spa, MONDAY + timedelta(days=n * 13), "10:00")
    manager = _signed_in(demo_spa.manager)
    counts = []
    for days in (7, 90):
        manager.get("/manager/", {"date_from": MONDAY.isoformat(), "date_to": (MONDAY + timedelta(days=days - 1)).isoformat()})
        with CaptureQueriesContext(connection) as queries:
            response = manager.get("/manager/", {"date_from": MONDAY.isoformat(), "date_to": (MONDAY + timedelta(days=days - 1)).isoformat()})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_dashboard_is_for_managers(demo_spa):
    anonymous = Client().get("/manager/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for user in (demo_spa.tech, demo_spa.premium, demo_spa.guest):
        assert _signed_in(user).get("/manager/").status_code == 403


def test_heatmap_buckets():
    from coresync.analytics.views import heatmap

    rows = heatmap([{"name": "Maya", "utilisation": 0.456, "by_day": [
        {"date": "2030-06-03", "utilisation": 0.0, "available_minutes": 0, "booked_minutes": 0},
        {"date": "2030-06-04", "utilisation": 0.46, "available_minutes": 480, "booked_minutes": 220},
        {"date": "2030-06-05", "utilisation": 1.2, "available_minutes": 60, "booked_minutes": 72},
    ]}])
    assert rows[0]["percent"] == 46
    assert [(c["bucket"], c["off"]) for c in rows[0]["cells"]] == [(0, True), (5, False), (10, False)]
    assert selectors.MAX_DAYS == 366
