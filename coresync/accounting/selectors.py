"""Reads for accounting: the plain facts a receipt is built from, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from coresync.bookings.models import Booking, BookingAddOn
from coresync.payments.models import Payment, Purpose

from .models import ItemMapping
from .receipts import Accounts, CustomerRef, ItemRef, SaleFacts, SaleLine

FALLBACK_ITEM = ItemRef("1", "Services")  # QuickBooks' own "Services" item, when even the default row is missing
FEE_LABELS = {Purpose.LATE_CANCELLATION_FEE: ("Late cancellation fee", "LC"), Purpose.NO_SHOW_FEE: ("No-show fee", "NS")}


@dataclass(frozen=True)
class ItemMap:
    """The mapping table in memory: ids → item, plus which lookups fell back to the default."""

    services: dict[int, ItemRef]
    addons: dict[int, ItemRef]
    categories: dict[int, ItemRef]
    default: ItemRef

    def for_service(self, service_id: int, category_id: int) -> tuple[ItemRef, bool]:
        """The item of a service and whether it was mapped (False: the default item, the manager is told)."""
        item = self.services.get(service_id) or self.categories.get(category_id)
        return (item, True) if item else (self.default, False)

    def for_addon(self, addon_id: int, category_id: int) -> tuple[ItemRef, bool]:
        item = self.addons.get(addon_id) or self.categories.get(category_id)
        return (item, True) if item else (self.default, False)


def _ref(row: ItemMapping) -> ItemRef:
    return ItemRef(row.item_id, row.item_name, row.income_account_id, row.income_account_name)


def item_map() -> ItemMap:
    """Every mapping row, in one query."""
    services, addons, categories, default = {}, {}, {}, FALLBACK_ITEM
    for row in ItemMapping.objects.all():
        if row.is_default:
            default = _ref(row)
        elif row.service_id:
            services[row.service_id] = _ref(row)
        elif row.addon_id:
            addons[row.addon_id] = _ref(row)
        else:
            categories[row.category_id] = _ref(row)
    return ItemMap(services, addons, categories, default)


def accounts() -> Accounts:
    return Accounts(discount_account=settings.QUICKBOOKS_DISCOUNT_ACCOUNT_ID, deposit_account=settings.QUICKBOOKS_DEPOSIT_ACCOUNT_ID,
                    tax_code=settings.QUICKBOOKS_TAX_CODE_ID, tax_rate=settings.QUICKBOOKS_TAX_RATE_ID)


def spa_date(moment: datetime, zone: str) -> date:
    return timezone.localtime(moment, ZoneInfo(zone)).date()


def doc_number_for(payment: Payment, booking: Booking) -> str:
    fee = FEE_LABELS.get(payment.purpose)
    return f"{booking.reference}-{fee[1]}" if fee else booking.reference


@dataclass(frozen=True)
class SaleContext:
    facts: SaleFacts
    unmapped: tuple[str, ...]  # names of what fell back to the default item


def _booking_lines(booking: Booking, addons: list[BookingAddOn], items: ItemMap) -> tuple[list[SaleLine], list[str]]:
    """The service and add-on lines, list price and charged, with their taxability (the price snapshot's own lines)."""
    service = booking.service
    service_taxable = service.taxable and service.category.taxable
    listed = [line for line in booking.price_lines or [] if isinstance(line, dict)]
    service_list = next((Decimal(line["amount"]) for line in listed if line.get("kind") == "service"), booking.subtotal)
    addon_lists = [Decimal(line["amount"]) for line in listed if line.get("kind") == "addon"]
    unmapped: list[str] = []
    item, mapped = items.for_service(service.pk, service.category_id)
    if not mapped:
        unmapped.append(service.name)
    addon_lines = []
    for position, addon in enumerate(addons):
        addon_item, addon_mapped = items.for_addon(addon.addon_id, service.category_id)
        if not addon_mapped:
            unmapped.append(addon.name)
        list_price = addon_lists[position] if position < len(addon_lists) else addon.amount
        addon_lines.append(SaleLine(addon.name, list_price, addon_item, taxable=addon.addon.taxable and service_taxable,
                                    kind="addon", net=addon.amount))
    addon_discount = sum((line.amount - line.charged for line in addon_lines), Decimal("0"))
    service_net = service_list - (booking.discount - addon_discount)
    lines = [SaleLine(service.name, service_list, item, taxable=service_taxable, kind="service", net=service_net), *addon_lines]
    return lines, unmapped


def sale_context(payment: Payment, *, items: ItemMap | None = None, customer: CustomerRef) -> SaleContext:
    """The facts of ``payment``'s SalesReceipt (a booking sale or a policy fee)."""
    booking = payment.booking
    items = items or item_map()
    zone = booking.location.timezone
    txn_date = spa_date(payment.paid_at or payment.updated_at, zone)
    note = f"CoreSync {booking.reference} · payment {payment.pk} ({payment.provider})"
    if payment.purpose != Purpose.BOOKING:
        label = FEE_LABELS[payment.purpose][0]
        line = SaleLine(f"{label} · {booking.reference}", payment.amount_paid, items.default, taxable=False, kind="fee")
        facts = SaleFacts(doc_number=doc_number_for(payment, booking), txn_date=txn_date, customer=customer,
                          payment_ref=str(payment.pk), currency=payment.currency, lines=(line,), charged=payment.amount_paid,
                          tax_rate=booking.location.sales_tax_rate, private_note=note, accounts=accounts())
        return SaleContext(facts, ())
    addons = list(BookingAddOn.objects.filter(booking=booking).select_related("addon").order_by("pk"))
    lines, unmapped = _booking_lines(booking, addons, items)
    label = f"{booking.tier_name} member discount" if booking.tier_name else "Discount"
    facts = SaleFacts(doc_number=doc_number_for(payment, booking), txn_date=txn_date, customer=customer,
                      payment_ref=str(payment.pk), currency=payment.currency, lines=tuple(lines), charged=payment.amount_paid,
                      tax=booking.tax, tax_rate=booking.location.sales_tax_rate, discount_label=label, private_note=note,
                      accounts=accounts())
    return SaleContext(facts, tuple(unmapped))


def payment_for_receipt(payment_id: int) -> Payment:
    return Payment.objects.select_related("booking__location", "booking__service__category").get(pk=payment_id)
