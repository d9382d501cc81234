"""Quotes: pure functions over plain data. Money is Decimal, rounded half-up to cents.

The pricing sheet already holds each tier's price (columns Non-Member, Base 30%,
Premium 40%), so a member's line is the price in their column; the discount
shown is the difference to the non-member price. When a column is missing for
an item, the tier's discount percent is applied to the non-member price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from coresync.catalog.selectors import AddOnInfo, CatalogSnapshot, LocationInfo, ServiceInfo
from coresync.core.errors import ValidationFailed
from coresync.memberships.selectors import TierInfo

CENT = Decimal("0.01")
NON_MEMBER = "non_member"


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent(value: Decimal) -> str:
    """``Decimal("40.00")`` → ``"40"``, ``Decimal("8.875")`` → ``"8.875"`` (never ``4E+1``)."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class QuoteLine:
    description: str
    amount: Decimal
    kind: str = "service"  # service | addon | discount | tax
    taxable: bool = False

    def as_dict(self) -> dict:
        return {"description": self.description, "amount": str(self.amount), "kind": self.kind}


@dataclass(frozen=True)
class Quote:
    currency: str
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    price_column: str
    tier_name: str
    lines: tuple[QuoteLine, ...] = field(default_factory=tuple)
    item_amounts: dict = field(default_factory=dict)  # ("addon", id) -> amount charged for that add-on

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            "subtotal": str(self.subtotal),
            "discount": str(self.discount),
            "tax": str(self.tax),
            "total": str(self.total),
            "tier": self.tier_name or None,
            "lines": [line.as_dict() for line in self.lines],
        }


def _list_price(snapshot: CatalogSnapshot, kind: str, item_id: int, name: str) -> Decimal:
    amount = snapshot.price(kind, item_id, NON_MEMBER)
    if amount is None:
        raise ValidationFailed(f"{name} has no price yet.", code="price_missing")
    return amount


def _tier_price(snapshot: CatalogSnapshot, kind: str, item_id: int, list_price: Decimal, tier: TierInfo | None) -> Decimal:
    if tier is None:
        return list_price
    amount = snapshot.price(kind, item_id, tier.price_column)
    if amount is None:
        amount = cents(list_price * (Decimal(100) - tier.discount_percent) / Decimal(100))
    return min(amount, list_price)


def quote_for(
    *,
    snapshot: CatalogSnapshot,
    location: LocationInfo,
    service: ServiceInfo,
    addons: Sequence[AddOnInfo] = (),
    tier: TierInfo | None = None,
) -> Quote:
    items: list[tuple[str, int, str, bool]] = [("service", service.id, service.name, service.taxable)]
    items += [("addon", a.id, a.name, a.taxable and service.taxable) for a in addons]
    lines: list[QuoteLine] = []
    subtotal = discount = taxable_base = Decimal("0")
    item_amounts = {}
    for kind, item_id, name, taxable in items:
        list_price = _list_price(snapshot, kind, item_id, name)
        charged = _tier_price(snapshot, kind, item_id, list_price, tier)
        item_amounts[(kind, item_id)] = charged
        subtotal += list_price
        discount += list_price - charged
        if taxable:
            taxable_base += charged
        lines.append(QuoteLine(description=name, amount=cents(list_price), kind=kind, taxable=taxable))
    discount = cents(discount)
    if discount:
        label = f"{tier.name} member discount ({percent(tier.discount_percent)}%)" if tier else "Discount"
        lines.append(QuoteLine(description=label, amount=-discount, kind="discount"))
    tax = cents(taxable_base * location.tax_rate / Decimal(100))
    if tax:
        lines.append(QuoteLine(description=f"Sales tax ({percent(location.tax_rate)}%)", amount=tax, kind="tax"))
    subtotal = cents(subtotal)
    return Quote(
        currency=location.currency,
        subtotal=subtotal,
        discount=discount,
        tax=tax,
        total=subtotal - discount + tax,
        price_column=tier.price_column if tier else NON_MEMBER,
        tier_name=tier.name if tier else "",
        lines=tuple(lines),
        item_amounts=item_amounts,
    )
