"""Prices from the pricing sheet: one batch_get, all or nothing, a kept version, the manager told once, 429 survived."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from coresync.catalog.models import Price, PriceColumn
from coresync.integrations.models import PriceVersion
from coresync.sheets.pricing import PRICING_TABS, price_snapshot, pricing_sheet_sync

from .conftest import PRICING_ID, WEBHOOK_TOKEN

pytestmark = pytest.mark.django_db
NOTIFY = "/api/integrations/google/sheets/notify/"


def swedish(column=PriceColumn.NON_MEMBER) -> Decimal:
    return Price.objects.get(service__slug="swedish-massage", column=column).amount


def set_cell(sheet, service_name: str, header: str, value: str) -> None:
    for rows in sheet.values():
        if header in rows[0]:
            for row in rows[1:]:
                if row[0] == service_name:
                    row[rows[0].index(header)] = value
                    return
    raise AssertionError(f"{service_name} not in the sheet")


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_sheet_is_read_in_one_batch_get_applied_and_the_diff_printed(pricing_sheet, fake_sheets, demo_spa):
    before = swedish()
    set_cell(pricing_sheet, "Swedish Massage", "Non-Member", f"${before + 5:.2f}")
    out = StringIO()

    call_command("sync_pricing_from_sheets", stdout=out)

    calls = fake_sheets.api_calls()
    assert [(c.method, c.path) for c in calls] == [("GET", f"/v4/spreadsheets/{PRICING_ID}/values:batchGet")]
    assert calls[0].query["ranges"] == [f"'{tab}'" for tab in PRICING_TABS]
    assert swedish() == before + 5
    printed = out.getvalue()
    assert "Swedish Massage" in printed and f"{before:.2f} → {before + 5:.2f}" in printed and "1 value(s) changed" in printed
    version = PriceVersion.objects.get()
    assert version.changes == [{"item": "Swedish Massage", "column": "non_member", "old": f"{before:.2f}", "new": f"{before + 5:.2f}"}]
    assert version.actor == "manage.py sync_pricing_from_sheets" and version.snapshot == price_snapshot()

    out = StringIO()
    call_command("sync_pricing_from_sheets", stdout=out)
    assert "No changes" in out.getvalue() and PriceVersion.objects.count() == 1


def test_a_dry_run_prints_the_diff_and_changes_nothing(pricing_sheet, demo_spa):
    before = swedish(PriceColumn.PREMIUM)
    set_cell(pricing_sheet, "Swedish Massage", "Premium 40%", f"{before - 1:.2f}")
    out = StringIO()
    call_command("sync_pricing_from_sheets", "--dry-run", stdout=out)
    assert "would change" in out.getvalue()
    assert swedish(PriceColumn.PREMIUM) == before and not PriceVersion.objects.exists()


@pytest.mark.parametrize("breakage", ["typo in a price", "missing tab", "renamed column"])
def test_a_malformed_sheet_changes_nothing_and_tells_the_manager_once(pricing_sheet, demo_spa, breakage, after_commit):
    before = price_snapshot()
    set_cell(pricing_sheet, "Swedish Massage", "Base 30%", "$1O5.00")  # a good change beside the bad one must not land either
    if breakage == "typo in a price":
        set_cell(pricing_sheet, "Deep Tissue Massage", "Non-Member", "abc")
    elif breakage == "missing tab":
        del pricing_sheet["Barber"]
    else:
        pricing_sheet["Facials"][0][2] = "Non Member"
    mail.outbox.clear()

    with after_commit():
        result = pricing_sheet_sync()
    assert not result.ok and result.errors
    assert price_snapshot() == before and not PriceVersion.objects.exists()
    assert len(mail.outbox) == 1 and "last good prices" in mail.outbox[0].subject.lower() + mail.outbox[0].body.lower()

    with after_commit():  # the 5-minute runs after it: still broken, nobody mailed again
        pricing_sheet_sync()
        pricing_sheet_sync()
    assert len(mail.outbox) == 1


def test_after_a_fix_a_new_breakage_is_told_again(pricing_sheet, demo_spa, after_commit):
    mail.outbox.clear()
    set_cell(pricing_sheet, "Swedish Massage", "Duration", "sixty")
    with after_commit():
        assert not pricing_sheet_sync().ok
    set_cell(pricing_sheet, "Swedish Massage", "Duration", "60")
    with after_commit():
        assert pricing_sheet_sync().ok
    set_cell(pricing_sheet, "Swedish Massage", "Duration", "sixty")
    with after_commit():
        assert not pricing_sheet_sync().ok
    assert len(mail.outbox) == 2


def test_a_429_keeps_the_last_good_prices_and_the_next_run_applies_the_sheet(pricing_sheet, fake_sheets, demo_spa, after_commit):
    before = swedish()
    set_cell(pricing_sheet, "Swedish Massage", "Non-Member", f"{before + 10:.2f}")
    fake_sheets.failures.append(429)
    mail.outbox.clear()
    with after_commit():
        result = pricing_sheet_sync()
    assert not result.ok and "429" in result.errors[0]
    assert swedish() == before and len(mail.outbox) == 1

    assert pricing_sheet_sync().ok  # Google lets us in again
    assert swedish() == before + 10


def test_the_change_webhook_needs_its_token_and_then_syncs(pricing_sheet, fake_sheets, demo_spa, client, after_commit):
    set_cell(pricing_sheet, "Swedish Massage", "Non-Member", f"{swedish() + 1:.2f}")
    with after_commit() as callbacks:
        assert client.post(NOTIFY).status_code == 401
        assert client.post(NOTIFY, {"token": "wrong"}, content_type="application/json").status_code == 403
        assert client.post(NOTIFY, HTTP_X_CORESYNC_TOKEN="wrong").status_code == 403
    assert callbacks == [] and fake_sheets.api_calls() == []

    with after_commit():
        answer = client.post(NOTIFY, {"token": WEBHOOK_TOKEN, "sheet": "Massages"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"status": "accepted"}
    assert len(fake_sheets.api_calls()) == 1
    assert PriceVersion.objects.get().actor == "sheet edit"


def test_the_five_minute_task_does_nothing_with_the_file_source(pricing_sheet, fake_sheets, settings):
    from coresync.sheets.tasks import pricing_sync

    settings.PRICING_SOURCE = "file"
    pricing_sync()
    assert fake_sheets.api_calls() == []
    settings.PRICING_SOURCE = "sheets"
    pricing_sync()
    assert len(fake_sheets.api_calls()) == 1


def test_a_failed_command_says_nothing_changed(pricing_sheet, demo_spa):
    set_cell(pricing_sheet, "Swedish Massage", "Non-Member", "free")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing changed"):
        call_command("sync_pricing_from_sheets", stderr=err)
    assert "Swedish Massage" in err.getvalue() or "Massages row" in err.getvalue()


def test_price_versions_list_newest_first(pricing_sheet, demo_spa):
    for step in (1, 2):
        set_cell(pricing_sheet, "Swedish Massage", "Non-Member", f"{swedish() + step:.2f}")
        assert pricing_sheet_sync(actor=f"run {step}").ok
    assert list(PriceVersion.objects.values_list("actor", flat=True)) == ["run 2", "run 1"]
    assert PriceVersion.objects.first().created_at <= timezone.now() + timedelta(seconds=1)
