"""The pure receipt builder: golden JSON for each kind of receipt, and lines + tax = the charge across 1,000 random bookings."""

from __future__ import annotations

import json
import os
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from coresync.accounting.receipts import (
    Accounts,
    CustomerRef,
    ItemRef,
    SaleFacts,
    SaleLine,
    refund_receipt_build,
    sales_receipt_build,
    tax_due,
)
from coresync.bookings.pricing import quote_for
from coresync.catalog.selectors import AddOnInfo, CatalogSnapshot, LocationInfo, ServiceInfo
from coresync.memberships.selectors import TierInfo

GOLDEN = Path(__file__).parent / "golden"
RATE = Decimal("8.875")
MASSAGE = ItemRef("11", "Massage", "79", "Services Income:Massage")
ADDON = ItemRef("12", "Add-ons", "80", "Services Income:Add-ons")
RETAIL = ItemRef("13", "Retail (non-taxable)")
ADA = CustomerRef("58", "Ada Guest (ada@example.test)", "ada@example.test")
ACCOUNTS = Accounts(discount_account="86", deposit_account="35", tax_code="3", tax_rate="7")
D = Decimal


def facts(lines, *, tax=None, doc="CS-7KQ2M9", label="Member discount", charged=None) -> SaleFacts:
    net_taxable = sum((line.charged for line in lines if line.taxable), D(0))
    tax = tax_due(net_taxable, RATE) if tax is None else tax
    total = sum((line.charged for line in lines), D(0)) + tax
    return SaleFacts(doc_number=doc, txn_date=date(2026, 12, 2), customer=ADA, payment_ref="412", currency="USD",
                     lines=tuple(lines), charged=total if charged is None else charged, tax=tax, tax_rate=RATE, discount_label=label,
                     private_note=f"CoreSync {doc} · payment 412 (stripe)", accounts=ACCOUNTS)


CASES = {
    "one_service": facts([SaleLine("Swedish Massage", D("120.00"), MASSAGE, taxable=True)]),
    "service_two_addons": facts([
        SaleLine("Deep Tissue Massage", D("150.00"), MASSAGE, taxable=True),
        SaleLine("Hot Stones", D("25.00"), ADDON, taxable=True, kind="addon"),
        SaleLine("Aromatherapy", D("15.00"), ADDON, taxable=True, kind="addon"),
    ]),
    "member_discount": facts([
        SaleLine("Deep Tissue Massage", D("150.00"), MASSAGE, taxable=True, net=D("90.00")),
        SaleLine("Hot Stones", D("25.00"), ADDON, taxable=True, kind="addon", net=D("15.00")),
    ], label="Premium member discount"),
    "non_taxable_line": facts([
        SaleLine("Swedish Massage", D("120.00"), MASSAGE, taxable=True),
        SaleLine("Gift wrapping", D("30.00"), RETAIL, taxable=False, kind="addon"),
    ]),
}


def _golden(name: str, body: dict) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name}: receipt JSON changed (UPDATE_GOLDEN=1 to accept)"


@pytest.mark.parametrize("name", sorted(CASES))
def test_sales_receipts_match_their_golden_json(name):
    draft = sales_receipt_build(CASES[name])
    _golden(name, draft.body)
    assert draft.adjustment == 0
    assert draft.lines_total + draft.tax == draft.total == CASES[name].charged


def test_the_amounts_of_the_golden_receipts():
    two = sales_receipt_build(CASES["service_two_addons"])
    assert (two.tax, two.total) == (D("16.86"), D("206.86"))  # 190 × 8.875% = 16.8625 → 16.86, once, not per line
    member = sales_receipt_build(CASES["member_discount"]).body
    assert member["Line"][-1]["DetailType"] == "DiscountLineDetail" and member["Line"][-1]["Amount"] == 70.0
    assert member["TxnTaxDetail"]["TotalTax"] == 9.32 and member["TotalAmt"] == 114.32  # 105 × 8.875% = 9.31875
    mixed = sales_receipt_build(CASES["non_taxable_line"]).body
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in mixed["Line"]] == ["TAX", "NON"]
    assert mixed["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == 120.0


def test_refund_receipts_full_and_partial_match_their_golden_json():
    sale = CASES["non_taxable_line"]  # 120 taxable + 30 not, tax 10.65, charged 160.65
    full = refund_receipt_build(sale, refund=sale.charged, doc_number="CS-7KQ2M9-R1", txn_date=date(2026, 12, 3))
    _golden("refund_full", full.body)
    assert (full.total, full.tax) == (D("160.65"), D("10.65"))
    partial = refund_receipt_build(sale, refund=D("50.00"), doc_number="CS-7KQ2M9-R1", txn_date=date(2026, 12, 3))
    _golden("refund_partial", partial.body)
    # tax = round(50 × 10.65 / 160.65) = 3.31; the 46.69 net splits 120:30 → 37.35 taxable + 9.34 not
    assert partial.tax == D("3.31")
    assert [line["Amount"] for line in partial.body["Line"]] == [37.35, 9.34]
    assert partial.lines_total + partial.tax == D("50.00") and partial.adjustment == 0


def test_money_taken_that_differs_from_the_price_is_an_adjustment_line():
    draft = sales_receipt_build(facts([SaleLine("Swedish Massage", D("120.00"), MASSAGE, taxable=True)], charged=D("140.65")))
    assert draft.adjustment == D("10.00")
    assert draft.body["Line"][-1]["Description"].startswith("Adjustment") and draft.body["TotalAmt"] == 140.65
    assert draft.lines_total + draft.tax == draft.total


def _random_quote(rng: random.Random):
    location = LocationInfo.__new__(LocationInfo)
    object.__setattr__(location, "tax_rate", RATE)
    object.__setattr__(location, "currency", "USD")
    service_taxable = rng.random() < 0.8
    service = ServiceInfo.__new__(ServiceInfo)
    for name, value in {"id": 1, "name": "Massage", "taxable": service_taxable}.items():
        object.__setattr__(service, name, value)
    addons = []
    for index in range(rng.randint(0, 3)):
        addon = AddOnInfo.__new__(AddOnInfo)
        for name, value in {"id": 10 + index, "name": f"Add-on {index}", "taxable": rng.random() < 0.7}.items():
            object.__setattr__(addon, name, value)
        addons.append(addon)
    tier = None
    if rng.random() < 0.5:
        percent = rng.choice([D(30), D(40), D("12.5")])
        tier = TierInfo.__new__(TierInfo)
        for name, value in {"name": "Premium", "price_column": "premium", "discount_percent": percent}.items():
            object.__setattr__(tier, name, value)
    prices = {}
    for kind, item_id in [("service", 1), *[("addon", a.id) for a in addons]]:
        listed = D(rng.randint(500, 40000)) / 100
        prices[(kind, item_id, "non_member")] = listed
        if tier is not None and rng.random() < 0.5:  # the sheet's own tier price (else the percent applies)
            prices[(kind, item_id, "premium")] = (listed * D(rng.randint(50, 100)) / 100).quantize(D("0.01"))
    snapshot = CatalogSnapshot.__new__(CatalogSnapshot)
    object.__setattr__(snapshot, "price", lambda kind, item_id, column: prices.get((kind, item_id, column)))
    return quote_for(snapshot=snapshot, location=location, service=service, addons=addons, tier=tier)


def test_lines_plus_tax_equal_the_charge_to_the_cent_for_1000_random_bookings():
    """Property (seeded random: hypothesis is not installed): the receipt of any quote adds up to what was charged."""
    rng = random.Random(20261202)
    for _ in range(1000):
        quote = _random_quote(rng)
        charged_items = [amount for amount in quote.item_amounts.values()]
        item_lines = [line for line in quote.lines if line.kind in ("service", "addon")]
        lines = [SaleLine(line.description, line.amount, MASSAGE, taxable=line.taxable, kind=line.kind, net=net)
                 for line, net in zip(item_lines, charged_items, strict=True)]
        sale = SaleFacts(doc_number="CS-RANDOM", txn_date=date(2026, 12, 2), customer=ADA, payment_ref="1", currency="USD",
                         lines=tuple(lines), charged=quote.total, tax=quote.tax, tax_rate=RATE)
        draft = sales_receipt_build(sale)
        body = draft.body
        items = sum((D(str(line["Amount"])) for line in body["Line"] if line["DetailType"] == "SalesItemLineDetail"), D(0))
        discounts = sum((D(str(line["Amount"])) for line in body["Line"] if line["DetailType"] == "DiscountLineDetail"), D(0))
        tax = D(str(body["TxnTaxDetail"]["TotalTax"]))
        assert draft.adjustment == 0, quote
        assert items - discounts + tax == quote.total == D(str(body["TotalAmt"])), quote
        taxable = D(str(body["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"])) if quote.tax else D(0)
        assert tax_due(taxable, RATE) == tax, quote  # the builder's taxable net reproduces the tax charged
        refund = (quote.total * D(rng.randint(1, 100)) / 100).quantize(D("0.01"))
        if refund > 0:
            back = refund_receipt_build(sale, refund=refund, doc_number="CS-RANDOM-R1", txn_date=date(2026, 12, 3))
            assert back.lines_total + back.tax == refund and back.adjustment == 0, (quote, refund)
