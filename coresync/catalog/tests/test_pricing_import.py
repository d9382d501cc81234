"""Pricing import: the shipped sheets import; any bad row is named by tab and row, and nothing changes."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from coresync.accounts.models import User
from coresync.catalog.models import AddOn, Location, OpeningHours, Price, Room, RoomType, Service, ServiceCategory, Skill
from coresync.catalog.pricing_import import PricingFileError, pricing_import, read_pricing_file
from coresync.demo.seed import SERVICES, TECHNICIANS, seed_demo
from coresync.memberships.models import Membership, MembershipTier
from coresync.technicians.models import Technician, WeeklyShift

DATA = Path(settings.BASE_DIR) / "data"
WORKBOOK = DATA / "demo_pricing.xlsx"
CSV_DIR = DATA / "pricing"
HEADER = ["Service Name", "Duration", "Non-Member", "Base 30%", "Premium 40%"]


def all_prices() -> dict:
    return {(p.service_id, p.addon_id, p.column): p.amount for p in Price.objects.all()}


def massages(*rows, header=HEADER) -> dict:
    """A Massages tab: the good Swedish row (price raised to 150) and then ``rows``."""
    good = dict(zip(header, ["Swedish Massage", "60", "150.00", "105.00", "90.00"], strict=False))
    return {"Massages": [good, *[dict(zip(header, row, strict=False)) for row in rows]]}


def test_the_shipped_workbook_imports_cleanly(demo_spa):
    tabs = read_pricing_file([WORKBOOK])
    report = pricing_import(tabs)

    assert report.ok, report.errors
    assert {"Massages", "Facials", "Barber", "Mani_Pedi", "Add-ons", "Membership Tiers"} <= set(tabs)
    assert report.prices_changed == 0  # the session's seed imported the same sheet
    assert report.prices_unchanged == 3 * sum(len(rows) for tab, rows in tabs.items() if tab != "Membership Tiers")


def test_the_shipped_csv_folder_matches_the_workbook(demo_spa):
    report = pricing_import(read_pricing_file([CSV_DIR]))

    assert report.ok, report.errors
    assert (report.prices_changed, report.durations_changed, report.changed["Membership Tiers"]) == (0, 0, 0)
    swedish = demo_spa.services["swedish-massage"]
    assert {p.column: p.amount for p in swedish.prices.all()} == {
        "non_member": Decimal("140.00"), "base": Decimal("98.00"), "premium": Decimal("84.00"),
    }


def test_a_good_sheet_changes_prices_durations_and_tiers(demo_spa):
    tabs = massages()
    tabs["Membership Tiers"] = [{"Tier": "Base", "Monthly Price": "$159.00", "Benefits": "One; Two"}]
    tabs["Massages"][0]["Duration"] = "75 min"

    report = pricing_import(tabs)

    assert report.ok, report.errors
    swedish = Service.objects.get(slug="swedish-massage")
    assert swedish.duration_minutes == 75
    assert swedish.prices.get(column="non_member").amount == Decimal("150.00")
    assert (report.prices_changed, report.prices_unchanged, report.durations_changed, report.changed["Membership Tiers"]) == (3, 0, 1, 1)
    base = MembershipTier.objects.get(slug="base")
    assert (base.monthly_price, base.benefits) == (Decimal("159.00"), "One\nTwo")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["Hot Stone Massage", "90", "two hundred", "147.00", "126.00"], "Massages row 3: 'two hundred' is not an amount."),
        (["Hot Stone Massage", "90", "-210.00", "147.00", "126.00"], "Massages row 3: '-210.00' is out of range."),
        (["Hot Stone Massage", "90", "210.001", "147.00", "126.00"], "Massages row 3: '210.001' has more than two decimals."),
        (["Hot Stone Massage", "90", "", "147.00", "126.00"], "Massages row 3: '' is not an amount."),
        (["Hot Stone Massage", "ninety", "210.00", "147.00", "126.00"], "Massages row 3: 'ninety' is not a number of minutes."),
        (["Hot Stone Massage", "90", "210.00", "250.00", "126.00"],
         "Massages row 3: member prices must not exceed the non-member price (Premium ≤ Base ≤ Non-Member)."),
        (["Hot Stone Massage", "90", "210.00", "147.00", "150.00"],
         "Massages row 3: member prices must not exceed the non-member price (Premium ≤ Base ≤ Non-Member)."),
        (["Volcano Massage", "60", "99.00", "70.00", "60.00"],
         "Massages row 3: no service called 'Volcano Massage' in Massages; add it in the admin first."),
        (["Classic Manicure", "30", "45.00", "31.50", "27.00"],  # a real service, but of another tab
         "Massages row 3: no service called 'Classic Manicure' in Massages; add it in the admin first."),
        (["Swedish Massage", "60", "140.00", "98.00", "84.00"], "Massages row 3: 'Swedish Massage' appears twice."),
        (["", "60", "140.00", "98.00", "84.00"], "Massages row 3: Service Name is empty."),
    ],
)
def test_a_bad_row_is_named_and_nothing_changes(demo_spa, row, message):
    before = all_prices()

    report = pricing_import(massages(row))

    assert not report.ok
    assert report.errors == [message]
    assert all_prices() == before  # the good Swedish row was not written either
    assert Service.objects.get(slug="swedish-massage").duration_minutes == 60


def test_a_missing_column_is_reported_for_the_tab_and_nothing_changes(demo_spa):
    before = all_prices()
    short_header = HEADER[:-1]

    report = pricing_import(massages(["Hot Stone Massage", "90", "210.00", "147.00"], header=short_header))

    assert report.errors == ["Massages: missing column(s) Premium 40%."]
    assert all_prices() == before


def test_every_bad_row_of_every_tab_is_reported_at_once(demo_spa):
    tabs = massages(["Hot Stone Massage", "90", "abc", "1", "1"])
    tabs["Facials"] = [dict(zip(HEADER, ["Nope Facial", "60", "1", "1", "1"], strict=True))]
    tabs["Membership Tiers"] = [{"Tier": "Gold", "Monthly Price": "10", "Benefits": ""}]
    tabs["Sandwiches"] = [dict(zip(HEADER, ["Club", "5", "9", "8", "7"], strict=True))]

    report = pricing_import(tabs)

    assert [error.split(":")[0] for error in report.errors] == [
        "Massages row 3", "Facials row 2", "Membership Tiers row 2", "Sandwiches",
    ]


def test_a_bad_price_row_leaves_the_tiers_tab_unwritten_too(demo_spa):
    """The tiers tab is read by memberships (registered, not imported), yet is all-or-nothing with the prices."""
    tabs = massages(["Hot Stone Massage", "90", "abc", "1", "1"])
    tabs["Membership Tiers"] = [{"Tier": "Base", "Monthly Price": "$1.00", "Benefits": ""}]

    report = pricing_import(tabs)

    assert not report.ok and report.changed == {}
    assert MembershipTier.objects.get(slug="base").monthly_price != Decimal("1.00")


def write_csv(folder: Path, tab: str, rows: list[list[str]], header=HEADER) -> Path:
    path = folder / f"{tab}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_the_command_imports_the_shipped_files(demo_spa, capsys):
    call_command("import_pricing", str(WORKBOOK))
    call_command("import_pricing", str(CSV_DIR))

    out = capsys.readouterr().out
    assert out.count("Prices: 0 changed") == 2
    assert out.count("rows from 6 tabs") == 2


def test_the_command_fails_with_the_bad_rows_and_changes_nothing(demo_spa, tmp_path, capsys):
    folder = tmp_path / "pricing"
    shutil.copytree(CSV_DIR, folder)
    write_csv(folder, "Massages", [["Swedish Massage", "60", "150.00", "105.00", "90.00"], ["Hot Stone Massage", "90", "oops", "1", "1"]])
    before = all_prices()

    with pytest.raises(CommandError, match=r"1 bad row\(s\); no prices were changed") as failed:
        call_command("import_pricing", str(folder))

    assert failed.value.returncode == 1  # manage.py exits with this code
    assert "Massages row 3: 'oops' is not an amount." in capsys.readouterr().err
    assert all_prices() == before


def test_the_command_refuses_missing_and_unreadable_files(demo_spa, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_pricing", str(tmp_path / "nope.xlsx"))
    (tmp_path / "prices.txt").write_text("Swedish Massage,60,140")
    with pytest.raises(CommandError, match=r"expected an \.xlsx workbook"):
        call_command("import_pricing", str(tmp_path / "prices.txt"))
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip file")
    with pytest.raises(PricingFileError):
        read_pricing_file([tmp_path / "broken.xlsx"])


def test_seeding_the_demo_twice_changes_no_row_counts(demo_spa, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the seed checks 11 demo passwords a run
    models = [Location, OpeningHours, RoomType, Room, Skill, ServiceCategory, Service, AddOn, Price, MembershipTier,
              Membership, Technician, WeeklyShift, User, AddOn.services.through, Technician.skills.through]
    before = {model.__name__: model.objects.count() for model in models}
    prices = all_prices()

    seed_demo()
    seed_demo()

    assert {model.__name__: model.objects.count() for model in models} == before
    assert all_prices() == prices
    assert before["Service"] >= len(SERVICES) and before["Technician"] >= len(TECHNICIANS) and before["Membership"] >= 2
