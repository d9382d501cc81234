"""Import the owner's pricing sheet: all rows valid, or nothing changes.

Layout (one tab per category, as in the owner's Google Sheet):

- ``Massages``, ``Facials``, ``Barber``, ``Mani_Pedi`` (and optionally ``Add-ons``):
  *Service Name, Duration, Non-Member, Base 30%, Premium 40%*
- ``Membership Tiers``: *Tier, Monthly Price, Benefits* (read by ``memberships.pricing_tab``)

Readers turn an ``.xlsx`` workbook, or ``.csv`` files named after their tab, into
``{tab: [row dict, ...]}``; ``pricing_import`` validates every row, reports bad
ones by tab and row number, and writes only when there are none. The Google
Sheets sync feeds the same function.

The catalog reads the price tabs itself. A tab about something above the catalog
(the membership tiers) is read by the app that owns it, which registers a
``SheetTab`` when it starts (``pricing_tab_register``): the catalog never
imports it, and its rows are still validated with the rest and written in the
same transaction.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from coresync.core.errors import ValidationFailed

from .models import AddOn, Price, PriceColumn, Service, ServiceCategory

ADDONS_TAB = "Add-ons"
SERVICE_COLUMNS = ("Service Name", "Duration", "Non-Member", "Base 30%", "Premium 40%")
PRICE_HEADERS = {"Non-Member": PriceColumn.NON_MEMBER, "Base 30%": PriceColumn.BASE, "Premium 40%": PriceColumn.PREMIUM}
MAX_AMOUNT = Decimal("100000")


class PricingFileError(ValidationFailed):
    """The file could not be read at all (wrong type, missing tab header)."""

    code = "pricing_file_invalid"


@dataclass
class ImportReport:
    errors: list[str] = field(default_factory=list)
    prices_changed: int = 0
    prices_unchanged: int = 0
    durations_changed: int = 0
    changed: dict[str, int] = field(default_factory=dict)  # rows changed per registered tab (e.g. "Membership Tiers")

    @property
    def ok(self) -> bool:
        return not self.errors


def tab_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class SheetTab:
    """A tab of the pricing sheet read by an app above the catalog.

    ``validate(rows, report)`` returns the valid rows and appends a message per bad
    row to ``report.errors``; ``write(valid_rows)`` runs inside the import's
    transaction, only when no tab had errors, and returns how many rows it changed.
    """

    name: str
    columns: tuple[str, ...]
    validate: Callable[[list[dict], ImportReport], list]
    write: Callable[[list], int]


_registered_tabs: dict[str, SheetTab] = {}


def pricing_tab_register(tab: SheetTab) -> None:
    """Read ``tab`` with every import from now on (called from the owning app's ``ready()``)."""
    _registered_tabs[tab_key(tab.name)] = tab


def read_pricing_file(paths: Iterable[Path]) -> dict[str, list[dict]]:
    """``{tab: rows}`` from one .xlsx workbook, a folder of .csv files, or .csv files (tab = file name)."""
    tabs: dict[str, list[dict]] = {}
    for path in paths:
        path = Path(path)
        if path.is_dir():
            tabs.update(read_pricing_file(sorted(path.glob("*.csv"))))
        elif path.suffix.lower() == ".xlsx":
            tabs.update(_read_xlsx(path))
        elif path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as handle:
                tabs[path.stem] = [_clean_row(row) for row in csv.DictReader(handle)]
        else:
            raise PricingFileError(f"{path.name}: expected an .xlsx workbook or .csv files.")
    return tabs


def _read_xlsx(path: Path) -> dict[str, list[dict]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise PricingFileError(f"{path.name}: not a readable workbook ({error}).") from error
    tabs = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [str(cell).strip() if cell is not None else "" for cell in rows[0]]
        tabs[sheet.title] = [_clean_row(dict(zip(header, row, strict=False))) for row in rows[1:] if any(c not in (None, "") for c in row)]
    workbook.close()
    return tabs


def _clean_row(row: dict) -> dict:
    return {str(k).strip(): ("" if v is None else str(v).strip()) for k, v in row.items() if k is not None}


def parse_money(text: str) -> Decimal:
    cleaned = text.replace("$", "").replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValueError(f"{text!r} is out of range")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} has more than two decimals")
    return amount.quantize(Decimal("0.01"))


def parse_minutes(text: str) -> int:
    match = re.fullmatch(r"\+?\s*(\d{1,3})(?:\.0+)?\s*(?:min(?:utes)?|m)?", text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a number of minutes")
    return int(match.group(1))


@dataclass
class _PriceRow:
    target: Service | AddOn
    minutes: int
    amounts: dict[str, Decimal]


def _check_header(tab: str, rows: list[dict], columns: tuple[str, ...], report: ImportReport) -> bool:
    if rows and not set(columns) <= set(rows[0]):
        missing = ", ".join(c for c in columns if c not in rows[0])
        report.errors.append(f"{tab}: missing column(s) {missing}.")
        return False
    return True


def _validate_price_rows(tab: str, rows: list[dict], lookup: dict[str, Service | AddOn], report: ImportReport) -> list[_PriceRow]:
    valid: list[_PriceRow] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        name = row.get("Service Name", "")
        where = f"{tab} row {number}"
        if not name:
            report.errors.append(f"{where}: Service Name is empty.")
            continue
        target = lookup.get(name.lower())
        if target is None:
            report.errors.append(f"{where}: no {'add-on' if tab_key(tab) == tab_key(ADDONS_TAB) else 'service'} called {name!r} in {tab}; add it in the admin first.")
            continue
        if name.lower() in seen:
            report.errors.append(f"{where}: {name!r} appears twice.")
            continue
        seen.add(name.lower())
        try:
            minutes = parse_minutes(row.get("Duration", ""))
            amounts = {column: parse_money(row.get(header, "")) for header, column in PRICE_HEADERS.items()}
        except ValueError as error:
            report.errors.append(f"{where}: {error}.")
            continue
        if amounts[PriceColumn.BASE] > amounts[PriceColumn.NON_MEMBER] or amounts[PriceColumn.PREMIUM] > amounts[PriceColumn.BASE]:
            report.errors.append(f"{where}: member prices must not exceed the non-member price (Premium ≤ Base ≤ Non-Member).")
            continue
        valid.append(_PriceRow(target=target, minutes=minutes, amounts=amounts))
    return valid


def pricing_import(tabs: dict[str, list[dict]]) -> ImportReport:
    """Validate every row of every tab; write all of it in one transaction only if nothing is wrong."""
    report = ImportReport()
    categories = {tab_key(c.name): c for c in ServiceCategory.objects.all()}
    categories.update({tab_key(c.slug): c for c in categories.copy().values()})
    price_rows: list[_PriceRow] = []
    other_rows: list[tuple[SheetTab, list]] = []
    for tab, rows in tabs.items():
        key = tab_key(tab)
        registered = _registered_tabs.get(key)
        if registered is not None:
            if _check_header(tab, rows, registered.columns, report):
                other_rows.append((registered, registered.validate(rows, report)))
            continue
        if not _check_header(tab, rows, SERVICE_COLUMNS, report):
            continue
        if key == tab_key(ADDONS_TAB):
            lookup = {a.name.lower(): a for a in AddOn.objects.all()}
        elif key in categories:
            lookup = {s.name.lower(): s for s in Service.objects.filter(category=categories[key])}
        else:
            report.errors.append(f"{tab}: no service category matches this tab.")
            continue
        price_rows += _validate_price_rows(tab, rows, lookup, report)
    if report.errors:
        return report
    with transaction.atomic():
        _write(price_rows, report)
        for registered, valid in other_rows:
            report.changed[registered.name] = registered.write(valid)
    return report


def _write(price_rows: list[_PriceRow], report: ImportReport) -> None:
    existing = {(p.service_id, p.addon_id, p.column): p for p in Price.objects.all()}
    for row in price_rows:
        is_service = isinstance(row.target, Service)
        duration_field = "duration_minutes" if is_service else "extra_minutes"
        if getattr(row.target, duration_field) != row.minutes:
            setattr(row.target, duration_field, row.minutes)
            row.target.save(update_fields=[duration_field, "updated_at"])
            report.durations_changed += 1
        for column, amount in row.amounts.items():
            key = (row.target.pk, None, column) if is_service else (None, row.target.pk, column)
            price = existing.get(key)
            if price is not None and price.amount == amount:
                report.prices_unchanged += 1
                continue
            if price is None:
                Price.objects.create(service=row.target if is_service else None, addon=None if is_service else row.target, column=column, amount=amount)
            else:
                price.amount = amount
                price.save(update_fields=["amount", "updated_at"])
            report.prices_changed += 1
