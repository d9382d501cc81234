"""Quotes and tax: Decimal only, half-up to cents, tier columns with a percent fallback, taxability per category."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from coresync.bookings.pricing import cents, quote_for
from coresync.bookings.services import booking_quote
from coresync.catalog.selectors import AddOnInfo, CatalogSnapshot, LocationInfo, ServiceInfo
from coresync.core.errors import ValidationFailed
from coresync.memberships.selectors import TierInfo

D = Decimal
BASE = TierInfo(id=1, slug="base", name="Base", price_column="base", discount_percent=D("30.00"), window_days=60)
PREMIUM = TierInfo(id=2, slug="premium", name="Premium", price_column="premium", discount_percent=D("40.00"), window_days=90)
LOCATION = LocationInfo(
    id=1, slug="nyc", name="Spa", tz=ZoneInfo("America/New_York"), opening={}, slot_step=15, lead_minutes=120,
    guest_window_days=3, free_cancellation_hours=24, tax_rate=D("8.875"), currency="USD",
)


def service(taxable=True, addon_ids=(10,)) -> ServiceInfo:
    return ServiceInfo(
        id=1, slug="massage", name="Swedish Massage", category_id=1, location_id=1, duration=60, buffer=15, room_type_id=1,
        skill_id=1, taxable=taxable, description="", short_description="", image="", synonyms=(), addon_ids=addon_ids,
    )


ADDON = AddOnInfo(id=10, slug="hot-stones", name="Hot Stones", extra_minutes=15, description="", taxable=True)


def snapshot(prices: dict) -> CatalogSnapshot:
    """Prices as ``{("service"|"addon", id, column): "amount"}``."""
    return CatalogSnapshot(
        version="test", locations={1: LOCATION}, categories={}, services={1: service()}, addons={10: ADDON},
        rooms={}, prices={key: D(amount) for key, amount in prices.items()},
    )


def quote(prices, *, tier=None, taxable=True, addons=()):
    return quote_for(snapshot=snapshot(prices), location=LOCATION, service=service(taxable), addons=addons, tier=tier)


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("2.675", "2.68"), ("5.325", "5.33"), ("0.005", "0.01"), ("0.004999", "0.00"), ("7.105", "7.11"), ("-1.005", "-1.01")],
)
def test_cents_round_half_up(amount, rounded):
    assert cents(D(amount)) == D(rounded)
    assert str(cents(D(amount))) == rounded


@pytest.mark.parametrize(
    ("price", "tax"),
    [
        ("60.00", "5.33"),  # 5.325: half-up (half-even and float would give 5.32)
        ("20.00", "1.78"),  # 1.775
        ("100.00", "8.88"),  # 8.875
        ("40.00", "3.55"),  # exact
        ("0.00", "0.00"),
    ],
)
def test_sales_tax_is_8_875_percent_rounded_half_up(price, tax):
    result = quote({("service", 1, "non_member"): price})

    assert result.tax == D(tax)
    assert result.total == D(price) + D(tax)
    assert [line.kind for line in result.lines] == (["service", "tax"] if D(tax) else ["service"])


def test_a_member_pays_the_price_in_their_column():
    result = quote({("service", 1, "non_member"): "140.00", ("service", 1, "premium"): "84.00"}, tier=PREMIUM)

    assert (result.subtotal, result.discount, result.tax, result.total) == (D("140.00"), D("56.00"), D("7.46"), D("91.46"))
    assert result.price_column == "premium" and result.tier_name == "Premium"
    assert [(line.kind, line.description, line.amount) for line in result.lines] == [
        ("service", "Swedish Massage", D("140.00")),
        ("discount", "Premium member discount (40%)", D("-56.00")),
        ("tax", "Sales tax (8.875%)", D("7.46")),
    ]


def test_the_column_price_wins_over_the_percent():
    result = quote({("service", 1, "non_member"): "100.00", ("service", 1, "base"): "75.00"}, tier=BASE)

    assert result.discount == D("25.00")  # the sheet says 75, not 100 - 30%
    assert result.lines[1].description == "Base member discount (30%)"


def test_a_missing_column_falls_back_to_the_tier_percent_rounded_half_up():
    result = quote({("service", 1, "non_member"): "10.15"}, tier=BASE)

    # 10.15 × 70% = 7.105 → 7.11 (half-even would give 7.10); the discount is what the member saves.
    assert result.discount == D("3.04")
    assert result.tax == cents(D("7.11") * D("8.875") / 100)
    assert result.total == D("10.15") - D("3.04") + result.tax


def test_a_column_price_above_the_list_price_is_capped():
    result = quote({("service", 1, "non_member"): "100.00", ("service", 1, "premium"): "120.00"}, tier=PREMIUM)

    assert result.discount == D("0.00") and result.total == D("108.88")
    assert "discount" not in [line.kind for line in result.lines]


def test_a_non_taxable_category_pays_no_tax_and_neither_do_its_add_ons():
    prices = {("service", 1, "non_member"): "100.00", ("addon", 10, "non_member"): "30.00"}

    result = quote(prices, taxable=False, addons=[ADDON])

    assert result.tax == D("0.00") and result.total == D("130.00")
    assert [line.kind for line in result.lines] == ["service", "addon"]


def test_add_ons_are_lines_of_their_own_and_discounted_by_column():
    prices = {
        ("service", 1, "non_member"): "140.00", ("service", 1, "base"): "98.00",
        ("addon", 10, "non_member"): "30.00", ("addon", 10, "base"): "21.00",
    }

    result = quote(prices, tier=BASE, addons=[ADDON])

    assert [(line.kind, line.description, line.amount) for line in result.lines] == [
        ("service", "Swedish Massage", D("140.00")),
        ("addon", "Hot Stones", D("30.00")),
        ("discount", "Base member discount (30%)", D("-51.00")),
        ("tax", "Sales tax (8.875%)", D("10.56")),  # 119 × 8.875% = 10.56125
    ]
    assert result.item_amounts == {("service", 1): D("98.00"), ("addon", 10): D("21.00")}
    assert result.total == D("140.00") + D("30.00") - D("51.00") + D("10.56")


def test_a_fractional_tier_percent_is_named_exactly():
    odd = TierInfo(id=3, slug="friends", name="Friends", price_column="friends", discount_percent=D("12.50"), window_days=7)

    result = quote({("service", 1, "non_member"): "80.00"}, tier=odd)

    assert result.discount == D("10.00")
    assert result.lines[1].description == "Friends member discount (12.5%)"


def test_money_is_decimal_everywhere_and_strings_in_json():
    result = quote({("service", 1, "non_member"): "99.99", ("addon", 10, "non_member"): "0.01"}, tier=PREMIUM, addons=[ADDON])

    amounts = [result.subtotal, result.discount, result.tax, result.total, *(line.amount for line in result.lines)]
    assert all(type(amount) is Decimal for amount in amounts)
    assert all(amount == amount.quantize(D("0.01")) for amount in amounts)
    body = result.as_dict()
    assert body["total"] == str(result.total) and all(isinstance(line["amount"], str) for line in body["lines"])
    assert body["tier"] == "Premium"


def test_an_item_without_a_list_price_cannot_be_quoted():
    with pytest.raises(ValidationFailed) as missing:
        quote({("service", 1, "base"): "70.00"}, tier=BASE)
    assert missing.value.code == "price_missing"


def test_booking_quote_reads_the_demo_price_sheet(demo_spa):
    premium = {t.slug: t for t in [TierInfo(id=t.id, slug=t.slug, name=t.name, price_column=t.price_column,
                                            discount_percent=t.discount_percent, window_days=t.booking_window_days)
                                   for t in demo_spa.tiers.values()]}["premium"]

    guest = booking_quote(service="swedish-massage", addons=["hot-stones"])
    member = booking_quote(service="swedish-massage", addons=["hot-stones"], tier=premium)

    # Massages sheet: Swedish 140 / 84 premium; Add-ons sheet: Hot Stones 30 / 18 premium.
    assert (guest.subtotal, guest.discount, guest.tax, guest.total) == (D("170.00"), D("0.00"), D("15.09"), D("185.09"))
    assert (member.subtotal, member.discount, member.tax, member.total) == (D("170.00"), D("68.00"), D("9.05"), D("111.05"))
