"""The receipt builder: a pure function from plain facts to the exact JSON QuickBooks Online receives.

No database, no network, no clock: ``selectors.sale_facts_for`` gathers the facts
in a fixed number of queries, and the same body is stored in the local ledger and
POSTed to QuickBooks byte for byte.

**Rounding rule.** Every line amount is already a cent amount (the booking's price
snapshot). The discount is one line, the booking's member discount. Sales tax is
computed once, on the taxable net (taxable lines after their discount), at the
location's rate, rounded half-up to the cent: never per line. That is
``coresync.bookings.pricing.quote_for``'s rule, so the tax on the receipt is the
tax that was charged; the receipt carries the booking's own tax snapshot and the
property test checks the two rules agree. When the money taken differs from
lines − discount + tax (a price edited after the payment, a tip taken at the desk),
the difference is booked as a non-taxable ``Adjustment`` line: the books always
equal the money, and the line makes the difference visible to the bookkeeper.

A refund is a RefundReceipt. A full refund repeats the sale's lines; a partial one
is split in proportion: its tax is ``round(refund × tax / charged)``, the rest is
split between the taxable and the non-taxable net in proportion (the taxable part
rounded, the other part the remainder), so lines + tax = the refund to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")
TAX, NON = "TAX", "NON"
SALES_RECEIPT, REFUND_RECEIPT = "SalesReceipt", "RefundReceipt"


def to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal) -> float:
    """A cent amount as the JSON number QuickBooks reads (``12.5`` for 12.50: shortest float repr, exact to the cent)."""
    return float(to_cent(amount))


@dataclass(frozen=True)
class ItemRef:
    """The QuickBooks item a line is booked to, and the income account that item posts to."""

    value: str
    name: str
    income_account_value: str = ""
    income_account_name: str = ""


@dataclass(frozen=True)
class CustomerRef:
    value: str
    name: str
    email: str = ""


@dataclass(frozen=True)
class SaleLine:
    """One thing sold: ``amount`` its list price, ``net`` what was charged for it (after the member discount)."""

    description: str
    amount: Decimal
    item: ItemRef
    taxable: bool
    kind: str = "service"  # service | addon | fee | tip | adjustment
    net: Decimal | None = None

    @property
    def charged(self) -> Decimal:
        return self.amount if self.net is None else self.net


@dataclass(frozen=True)
class Accounts:
    """Company-specific references (empty: left out, QuickBooks uses its defaults)."""

    discount_account: str = ""
    deposit_account: str = ""
    tax_code: str = ""
    tax_rate: str = ""
    adjustment_item: ItemRef = field(default_factory=lambda: ItemRef("1", "Services"))


@dataclass(frozen=True)
class SaleFacts:
    """Everything one receipt says. ``charged`` is what the payment took; ``tax`` the tax charged (booking snapshot)."""

    doc_number: str
    txn_date: date
    customer: CustomerRef
    payment_ref: str
    currency: str
    lines: tuple[SaleLine, ...]
    charged: Decimal
    tax: Decimal = ZERO
    tax_rate: Decimal = ZERO
    discount_label: str = "Member discount"
    private_note: str = ""
    accounts: Accounts = field(default_factory=Accounts)


@dataclass(frozen=True)
class ReceiptDraft:
    kind: str
    body: dict
    total: Decimal
    tax: Decimal
    lines_total: Decimal
    adjustment: Decimal = ZERO


def tax_due(taxable_net: Decimal, rate_percent: Decimal) -> Decimal:
    """Sales tax on ``taxable_net`` at ``rate_percent``: once, half-up to the cent."""
    return to_cent(taxable_net * rate_percent / Decimal(100))


def _ref(value: str, name: str = "") -> dict:
    return {"value": value, "name": name} if name else {"value": value}


def _item_line(number: int, line: SaleLine) -> dict:
    detail = {
        "ItemRef": _ref(line.item.value, line.item.name),
        "Qty": 1,
        "UnitPrice": money(line.amount),
        "TaxCodeRef": {"value": TAX if line.taxable else NON},
    }
    if line.item.income_account_value:
        detail["ItemAccountRef"] = _ref(line.item.income_account_value, line.item.income_account_name)
    return {"LineNum": number, "Description": line.description, "Amount": money(line.amount),
            "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def _discount_line(number: int, amount: Decimal, label: str, accounts: Accounts) -> dict:
    detail: dict = {"PercentBased": False}
    if accounts.discount_account:
        detail["DiscountAccountRef"] = _ref(accounts.discount_account)
    return {"LineNum": number, "Description": label, "Amount": money(amount),
            "DetailType": "DiscountLineDetail", "DiscountLineDetail": detail}


def _tax_detail(tax: Decimal, rate: Decimal, taxable_net: Decimal, accounts: Accounts) -> dict:
    detail: dict = {"TotalTax": money(tax)}
    if accounts.tax_code:
        detail["TxnTaxCodeRef"] = _ref(accounts.tax_code)
    if tax or taxable_net:
        line_detail: dict = {"PercentBased": True, "TaxPercent": float(rate), "NetAmountTaxable": money(taxable_net)}
        if accounts.tax_rate:
            line_detail["TaxRateRef"] = _ref(accounts.tax_rate)
        detail["TaxLine"] = [{"Amount": money(tax), "DetailType": "TaxLineDetail", "TaxLineDetail": line_detail}]
    return detail


def _body(kind: str, facts: SaleFacts, lines: list[SaleLine], *, tax: Decimal) -> ReceiptDraft:
    """Lay out a receipt: item lines, the discount line, the tax detail, and an adjustment line if the money differs."""
    gross = sum((line.amount for line in lines), ZERO)
    discount = sum((line.amount - line.charged for line in lines), ZERO)
    taxable_net = sum((line.charged for line in lines if line.taxable), ZERO)
    adjustment = facts.charged - (gross - discount + tax)
    if adjustment:
        lines = [*lines, SaleLine("Adjustment (money taken differs from the price)", adjustment,
                                  facts.accounts.adjustment_item, taxable=False, kind="adjustment")]
    body_lines = [_item_line(number, line) for number, line in enumerate(lines, start=1)]
    if discount:
        body_lines.append(_discount_line(len(body_lines) + 1, discount, facts.discount_label, facts.accounts))
    body: dict = {
        "DocNumber": facts.doc_number,
        "TxnDate": facts.txn_date.isoformat(),
        "CurrencyRef": {"value": facts.currency},
        "CustomerRef": _ref(facts.customer.value, facts.customer.name),
        "PaymentRefNum": facts.payment_ref,
        "GlobalTaxCalculation": "TaxExcluded",
        "Line": body_lines,
        "TxnTaxDetail": _tax_detail(tax, facts.tax_rate, taxable_net, facts.accounts),
        "TotalAmt": money(facts.charged),
    }
    if facts.customer.email:
        body["BillEmail"] = {"Address": facts.customer.email}
    if facts.private_note:
        body["PrivateNote"] = facts.private_note[:4000]
    if kind == REFUND_RECEIPT and facts.accounts.deposit_account:
        body["DepositToAccountRef"] = _ref(facts.accounts.deposit_account)
    return ReceiptDraft(kind=kind, body=body, total=to_cent(facts.charged), tax=tax,
                        lines_total=to_cent(gross + adjustment - discount), adjustment=adjustment)


def sales_receipt_build(facts: SaleFacts) -> ReceiptDraft:
    """The SalesReceipt of one paid booking (or one policy fee): lines + tax = what was charged, to the cent."""
    return _body(SALES_RECEIPT, facts, list(facts.lines), tax=to_cent(facts.tax))


def refund_receipt_build(sale: SaleFacts, *, refund: Decimal, doc_number: str, txn_date: date, note: str = "") -> ReceiptDraft:
    """The RefundReceipt of ``refund`` (of the sale described by ``sale``): the rounding rule is in the module docstring."""
    refund = to_cent(refund)
    base = SaleFacts(**{**sale.__dict__, "doc_number": doc_number, "txn_date": txn_date, "charged": refund,
                        "private_note": note or sale.private_note})
    if refund == to_cent(sale.charged):
        return _body(REFUND_RECEIPT, base, list(sale.lines), tax=to_cent(sale.tax))
    tax = to_cent(refund * sale.tax / sale.charged) if sale.charged else ZERO
    net = refund - tax
    taxable = [line for line in sale.lines if line.taxable]
    other = [line for line in sale.lines if not line.taxable]
    sale_taxable = sum((line.charged for line in taxable), ZERO)
    sale_net = sum((line.charged for line in sale.lines), ZERO)
    taxable_part = to_cent(net * sale_taxable / sale_net) if sale_net else ZERO
    lines = []
    if taxable_part or not other:
        first = (taxable or sale.lines)[0]
        lines.append(SaleLine(f"Refund: {first.description}", taxable_part if other else net, first.item, taxable=bool(taxable)))
    if other and net - taxable_part:
        lines.append(SaleLine(f"Refund: {other[0].description}", net - taxable_part, other[0].item, taxable=False))
    return _body(REFUND_RECEIPT, base, lines, tax=tax)
