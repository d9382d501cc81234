"""The "Membership Tiers" tab of the owner's pricing sheet: *Tier, Monthly Price, Benefits*.

Registered with the catalog's import when the app starts (``apps.py``), so the
catalog never imports memberships; its rows are validated with the price tabs
and written in the same transaction, only if every row of every tab is valid.
"""

from __future__ import annotations

import re

from coresync.catalog.pricing_import import ImportReport, SheetTab, parse_money

TIERS_TAB = "Membership Tiers"
TIER_COLUMNS = ("Tier", "Monthly Price", "Benefits")


def _validate_tiers(rows: list[dict], report: ImportReport) -> list[tuple]:
    from coresync.memberships.models import MembershipTier

    tiers = {t.name.lower(): t for t in MembershipTier.objects.all()}
    valid = []
    for number, row in enumerate(rows, start=2):
        where = f"{TIERS_TAB} row {number}"
        tier = tiers.get(row.get("Tier", "").lower())
        if tier is None:
            report.errors.append(f"{where}: no membership tier called {row.get('Tier', '')!r}.")
            continue
        try:
            price = parse_money(row.get("Monthly Price", ""))
        except ValueError as error:
            report.errors.append(f"{where}: {error}.")
            continue
        benefits = "\n".join(part.strip() for part in re.split(r"[;\n]", row.get("Benefits", "")) if part.strip())
        valid.append((tier, price, benefits))
    return valid


def _write_tiers(valid: list[tuple]) -> int:
    changed = 0
    for tier, monthly_price, benefits in valid:
        if tier.monthly_price != monthly_price or (benefits and tier.benefits != benefits):
            tier.monthly_price = monthly_price
            tier.benefits = benefits or tier.benefits
            tier.save(update_fields=["monthly_price", "benefits", "updated_at"])
            changed += 1
    return changed


TIERS_SHEET_TAB = SheetTab(name=TIERS_TAB, columns=TIER_COLUMNS, validate=_validate_tiers, write=_write_tiers)
