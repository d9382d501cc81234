"""The nightly reconcile: the day's payments (paid, refunded, fees) against the receipts in the books.

Expected, from our payments: one SalesReceipt per payment paid that day (the amount
taken, the booking's tax; a fee has no tax), and the refunds that succeeded that
day per payment, as RefundReceipts (tax in proportion, the builder's rule). Actual:
what the provider's books hold dated that day. Each difference of more than $0.01
is a discrepancy: missing, extra, amount or tax. The report is stored (admin) and
e-mailed to the manager through the outbox.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from coresync.integrations.accounting import accounting_provider
from coresync.outbox.services import outbox_enqueue
from coresync.payments.models import Payment, PaymentStatus, Purpose, Refund, RefundStatus

from .models import Discrepancy, DiscrepancyKind, ReceiptKind, ReconcileReport
from .receipts import to_cent

TOLERANCE = Decimal("0.01")
SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
Key = tuple[str, str]  # (receipt kind, payment id)


def day_bounds(day: date, zone: str | None = None) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone or settings.TIME_ZONE)
    start = datetime.combine(day, clock.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), clock.min, tzinfo=tz)


def _expected(day: date) -> tuple[dict[Key, tuple[Decimal, Decimal, str]], int]:
    """(kind, payment id) → (total, tax, doc number) our payments say the books must hold for ``day``."""
    start, end = day_bounds(day)
    expected: dict[Key, tuple[Decimal, Decimal, str]] = {}
    paid = Payment.objects.filter(status__in=SETTLED, amount_paid__gt=0, paid_at__gte=start, paid_at__lt=end).select_related("booking")
    count = 0
    for payment in paid:
        count += 1
        fee = payment.purpose != Purpose.BOOKING
        tax = Decimal("0") if fee else payment.booking.tax
        suffix = {Purpose.LATE_CANCELLATION_FEE: "-LC", Purpose.NO_SHOW_FEE: "-NS"}.get(payment.purpose, "")
        expected[(ReceiptKind.SALES, str(payment.pk))] = (payment.amount_paid, tax, payment.booking.reference + suffix)
    refunds = defaultdict(Decimal)
    refunded_payments = {}
    for refund in Refund.objects.filter(status=RefundStatus.SUCCEEDED, updated_at__gte=start, updated_at__lt=end).select_related(
            "payment__booking"):
        refunds[refund.payment_id] += refund.amount
        refunded_payments[refund.payment_id] = refund.payment
    for payment_id, amount in refunds.items():
        count += 1
        payment = refunded_payments[payment_id]
        booking_tax = Decimal("0") if payment.purpose != Purpose.BOOKING else payment.booking.tax
        tax = booking_tax if amount == payment.amount_paid else to_cent(amount * booking_tax / payment.amount_paid)
        expected[(ReceiptKind.REFUND, str(payment_id))] = (amount, tax, payment.booking.reference)
    return expected, count


def _actual(day: date) -> tuple[dict[Key, tuple[Decimal, Decimal, str]], int]:
    actual: dict[Key, list] = {}
    summaries = accounting_provider().receipts_on(day)
    for summary in summaries:
        key = (summary.kind, summary.payment_ref)
        total, tax, doc = actual.get(key, (Decimal("0"), Decimal("0"), summary.doc_number))
        actual[key] = (total + summary.total, tax + summary.tax, doc)
    return actual, len(summaries)


def reconcile_day(*, day: date, notify: bool = True) -> ReconcileReport:
    """Compare ``day`` and store the report (a new one per run); e-mail it to the manager when ``notify``."""
    started = time.perf_counter()
    expected, payments_checked = _expected(day)
    actual, receipts_checked = _actual(day)
    found: list[Discrepancy] = []
    for key in sorted(expected.keys() | actual.keys()):
        kind, payment_ref = key
        want, have = expected.get(key), actual.get(key)
        row = {"receipt_kind": kind, "payment_ref": payment_ref, "doc_number": (want or have)[2]}
        if have is None:
            found.append(Discrepancy(kind=DiscrepancyKind.MISSING, expected_total=want[0], expected_tax=want[1], **row))
        elif want is None:
            found.append(Discrepancy(kind=DiscrepancyKind.EXTRA, actual_total=have[0], actual_tax=have[1], **row))
        else:
            amounts = {"expected_total": want[0], "actual_total": have[0], "expected_tax": want[1], "actual_tax": have[1]}
            if abs(want[0] - have[0]) > TOLERANCE:
                found.append(Discrepancy(kind=DiscrepancyKind.AMOUNT, **amounts, **row))
            if abs(want[1] - have[1]) > TOLERANCE:
                found.append(Discrepancy(kind=DiscrepancyKind.TAX, **amounts, **row))
    with transaction.atomic():
        report = ReconcileReport.objects.create(
            day=day, provider=accounting_provider().identifier, payments_checked=payments_checked, receipts_checked=receipts_checked,
            discrepancy_count=len(found), seconds=Decimal(f"{time.perf_counter() - started:.3f}"))
        for row in found:
            row.report = report
        Discrepancy.objects.bulk_create(found)
        if notify:
            outbox_enqueue(kind="accounting.email", dedupe_key=f"accounting.email:reconcile:{report.pk}",
                           payload={"kind": "reconcile_report", "report_id": report.pk})
    return report
