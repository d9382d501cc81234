"""The nightly reconcile on the local ledger: 0 when the books match, then each kind of discrepancy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from coresync.accounting.models import DiscrepancyKind, Receipt, ReceiptKind, ReconcileReport
from coresync.accounting.reconcile import reconcile_day
from coresync.notifications.models import EmailLog
from coresync.payments.services import refund_request

pytestmark = pytest.mark.django_db


def _kinds(report) -> list[tuple[str, str]]:
    return sorted((row.kind, row.doc_number) for row in report.discrepancies.all())


def test_a_day_that_matches_has_no_discrepancies_and_the_manager_hears_so(make_booking, pay, settings,
                                                                         django_capture_on_commit_callbacks):
    for _ in range(3):
        pay(make_booking())
    with django_capture_on_commit_callbacks(execute=True):
        report = reconcile_day(day=timezone.localdate())
    assert report.discrepancy_count == 0 and report.payments_checked == 3 and report.receipts_checked == 3
    mail = EmailLog.objects.get(kind="reconcile_report")
    assert mail.recipient == settings.MANAGER_EMAIL and "everything matches" in mail.subject


def test_reconcile_finds_missing_extra_amount_and_tax(make_booking, pay, django_capture_on_commit_callbacks):
    missing, altered_amount, altered_tax, refunded = (pay(make_booking()) for _ in range(4))
    Receipt.objects.filter(payment=missing).delete()
    receipt = Receipt.objects.get(payment=altered_amount)
    receipt.body = {**receipt.body, "TotalAmt": receipt.body["TotalAmt"] + 5}
    receipt.save()
    receipt = Receipt.objects.get(payment=altered_tax)
    receipt.body = {**receipt.body, "TxnTaxDetail": {**receipt.body["TxnTaxDetail"], "TotalTax": 1.0}}
    receipt.save()
    extra = Receipt.objects.get(payment=refunded)
    Receipt.objects.create(kind=ReceiptKind.SALES, payment=refunded, booking=extra.booking, doc_number="CS-GHOST", txn_date=extra.txn_date,
                           customer_email=extra.customer_email, covers_refunded=Decimal("99"), total=Decimal("10"), tax=0,
                           body={**extra.body, "DocNumber": "CS-GHOST", "PaymentRefNum": "999999", "TotalAmt": 10.0},
                           request_id="ghost", provider="local", status="synced")
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=refunded, amount=Decimal("20.00"), key="reconcile-refund")
    Receipt.objects.filter(payment=refunded, kind=ReceiptKind.REFUND).update(tax=0)  # the column is not the books: the body is
    with django_capture_on_commit_callbacks(execute=True):
        report = reconcile_day(day=timezone.localdate())
    assert _kinds(report) == sorted([
        (DiscrepancyKind.AMOUNT, altered_amount.booking.reference),
        (DiscrepancyKind.EXTRA, "CS-GHOST"),
        (DiscrepancyKind.MISSING, missing.booking.reference),
        (DiscrepancyKind.TAX, altered_tax.booking.reference),
    ])
    amount = report.discrepancies.get(kind=DiscrepancyKind.AMOUNT)
    assert amount.actual_total - amount.expected_total == Decimal("5.00")
    assert "4 differences" in EmailLog.objects.get(kind="reconcile_report").subject


def test_a_missing_refund_receipt_is_found(make_booking, pay, django_capture_on_commit_callbacks):
    payment = pay(make_booking())
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, amount=Decimal("30.00"), key="r1")
    assert reconcile_day(day=timezone.localdate(), notify=False).discrepancy_count == 0
    Receipt.objects.filter(payment=payment, kind=ReceiptKind.REFUND).delete()
    report = reconcile_day(day=timezone.localdate(), notify=False)
    row = report.discrepancies.get()
    assert (row.kind, row.receipt_kind, row.expected_total) == (DiscrepancyKind.MISSING, ReceiptKind.REFUND, Decimal("30.00"))


def test_a_one_cent_difference_is_tolerated(make_booking, pay):
    payment = pay(make_booking())
    receipt = Receipt.objects.get(payment=payment)
    receipt.body = {**receipt.body, "TotalAmt": round(receipt.body["TotalAmt"] + 0.01, 2)}
    receipt.save()
    assert reconcile_day(day=timezone.localdate(), notify=False).discrepancy_count == 0


def test_the_command_reports_0_then_1_after_a_receipt_is_altered_and_other_days_are_apart(make_booking, pay):
    payment = pay(make_booking())
    out = StringIO()
    call_command("quickbooks_reconcile", date=timezone.localdate().isoformat(), stdout=out)
    assert "0 discrepancies" in out.getvalue()
    receipt = Receipt.objects.get(payment=payment)
    receipt.body = {**receipt.body, "TotalAmt": 1.0}
    receipt.save()
    out = StringIO()
    call_command("quickbooks_reconcile", date=timezone.localdate().isoformat(), stdout=out)
    assert "1 discrepancies" in out.getvalue() and "Amount differs" in out.getvalue()
    out = StringIO()
    call_command("quickbooks_reconcile", date=(timezone.localdate() - timedelta(days=1)).isoformat(), stdout=out)
    assert "0 payment(s)" in out.getvalue()
    assert ReconcileReport.objects.count() == 3


def test_the_report_is_in_the_admin(admin_client, make_booking, pay):
    payment = pay(make_booking())
    Receipt.objects.filter(payment=payment).delete()
    report = reconcile_day(day=timezone.localdate(), notify=False)
    page = admin_client.get(f"/admin/accounting/reconcilereport/{report.pk}/change/").content.decode()
    assert "Missing in the books" in page and payment.booking.reference in page
