"""gspread on its real HTTP client; Sheets (and the token endpoint) faked at the ``requests`` session by ``responses``."""

from __future__ import annotations

import pytest
import responses

from coresync.catalog.models import Price, Service
from coresync.catalog.pricing_import import PRICE_HEADERS
from coresync.integrations.google import auth, sheets
from coresync.integrations.google.tests.fakes import BASE, FakeSheets, service_account_json
from coresync.memberships.models import MembershipTier
from coresync.sheets.pricing import PRICE_TABS

PRICING_ID, QUEUE_ID, HOURS_ID = "pricing-sheet-id", "queue-sheet-id", "hours-sheet-id"
WEBHOOK_TOKEN = "sheet-webhook-secret"


@pytest.fixture
def fake_sheets(settings, monkeypatch):
    settings.GOOGLE_SERVICE_ACCOUNT_JSON = service_account_json()
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""
    settings.GOOGLE_API_BASE = BASE
    settings.PRICING_SOURCE = "sheets"
    settings.GOOGLE_SHEETS_PRICING_ID, settings.GOOGLE_SHEETS_QUEUE_ID, settings.GOOGLE_SHEETS_HOURS_ID = PRICING_ID, QUEUE_ID, HOURS_ID
    settings.GOOGLE_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    auth._credentials.cache_clear()
    monkeypatch.setattr(sheets, "budget", sheets.RequestBudget(limit=50))  # each test starts with the whole minute's budget
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSheets(mock)
    auth._credentials.cache_clear()


def pricing_sheet_rows() -> dict[str, list[list[str]]]:
    """The pricing sheet as the owner keeps it, filled from the prices in the database (the five tabs, header first)."""
    amounts = {(p.service_id, p.column): p.amount for p in Price.objects.filter(service__isnull=False)}
    book: dict[str, list[list[str]]] = {}
    for tab in PRICE_TABS:
        rows = [["Service Name", "Duration", "Non-Member", "Base 30%", "Premium 40%"]]
        key = tab.lower().replace("_", "")
        for service in Service.objects.select_related("category").order_by("position", "pk"):
            if service.category.slug.replace("-", "") != key and service.category.name.lower().replace(" ", "").replace("&", "") != key:
                continue
            rows.append([service.name, str(service.duration_minutes),
                         *[f"${amounts[(service.pk, column)]:.2f}" for column in PRICE_HEADERS.values()]])
        book[tab] = rows
    book["Membership Tiers"] = [["Tier", "Monthly Price", "Benefits"]] + [
        [t.name, f"{t.monthly_price:.2f}", t.benefits] for t in MembershipTier.objects.order_by("pk")
    ]
    return book


@pytest.fixture
def pricing_sheet(fake_sheets, demo_spa):
    fake_sheets.books[PRICING_ID] = pricing_sheet_rows()
    assert all(len(rows) > 1 for rows in fake_sheets.books[PRICING_ID].values()), "every tab has rows"
    return fake_sheets.books[PRICING_ID]
