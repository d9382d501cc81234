"""Golden files for the accounting e-mails: the exact subject and plain text, from fixed facts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coresync.accounting.emails import (
    DiscrepancyLine,
    ReportFacts,
    disconnected_compose,
    mapping_missing_compose,
    reconcile_report_compose,
)

GOLDEN = Path(__file__).parent / "golden"
REPORT = ReportFacts(
    to="manager@coresync.test", day="2026-12-01", provider="quickbooks", payments_checked=42, receipts_checked=41,
    lines=(DiscrepancyLine("Missing in the books", "SalesReceipt CS-7KQ2M9 (payment 412)", "$130.65 (tax $10.65)", "—"),
           DiscrepancyLine("Amount differs", "SalesReceipt CS-4HT8PX (payment 415)", "$206.86 (tax $16.86)", "$201.86 (tax $16.86)")),
    admin_url="https://spa.example/admin/accounting/reconcilereport/7/change/",
)
CASES = {
    "reconcile_report": lambda: reconcile_report_compose(REPORT),
    "reconcile_report_clean": lambda: reconcile_report_compose(ReportFacts(**{**REPORT.__dict__, "lines": ()})),
    "quickbooks_disconnected": lambda: disconnected_compose(to="owner@coresync.test", realm_id="9341453008726471",
                                                            error="QuickBooks refused our refresh token"),
    "mapping_missing": lambda: mapping_missing_compose(to="manager@coresync.test", name="Hot Stones",
                                                       admin_url="https://spa.example/admin/accounting/itemmapping/add/"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_accounting_emails_match_their_golden_text(name, settings):
    settings.SITE_URL = "https://spa.example"
    composed = CASES[name]()
    text = f"To: {composed.to}\nSubject: {composed.subject}\n\n{composed.text}"
    path = GOLDEN / f"email_{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert composed.subject in composed.html and "<html" in composed.html.lower()
