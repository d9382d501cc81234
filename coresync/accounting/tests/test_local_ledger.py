"""The local ledger end to end: a paid booking's receipt through the outbox, the sync command, admin, CSV, mapping."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from coresync.accounting.models import ItemMapping, Receipt, ReceiptKind, SyncStatus
from coresync.catalog.models import AddOn
from coresync.integrations.references import is_synced
from coresync.notifications.models import EmailLog
from coresync.outbox.models import OutboxMessage
from coresync.payments.services import refund_request

pytestmark = pytest.mark.django_db


def test_a_paid_booking_gets_one_sales_receipt_in_the_ledger(make_booking, pay):
    booking = make_booking(service_price=Decimal("120.00"))
    payment = pay(booking)
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.kind == ReceiptKind.SALES and receipt.status == SyncStatus.SYNCED and receipt.provider == "local"
    assert receipt.doc_number == booking.reference and receipt.body["DocNumber"] == booking.reference
    assert receipt.body["PaymentRefNum"] == str(payment.pk)
    assert (receipt.total, receipt.tax) == (Decimal("130.65"), Decimal("10.65"))
    assert receipt.body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert is_synced(booking, system="local", kind="sales_receipt")
    assert OutboxMessage.objects.get(dedupe_key=f"accounting.receipt:sales:{payment.pk}").status == "done"
    call_command("quickbooks_sync", stdout=StringIO())
    assert Receipt.objects.filter(payment=payment).count() == 1  # the hourly batch never books it twice


def test_a_service_without_a_mapping_uses_the_default_item_and_the_manager_is_told_once(demo_spa, make_booking, pay, settings):
    first, second = make_booking(), make_booking()
    pay(first)
    pay(second)
    line = Receipt.objects.get(booking=first).body["Line"][0]["SalesItemLineDetail"]
    assert line["ItemRef"] == {"value": "1", "name": "Services"}  # the default row the migration made
    mails = EmailLog.objects.filter(kind="mapping_missing", recipient=settings.MANAGER_EMAIL)
    assert mails.count() == 1 and first.service.name in mails.get().subject


def test_a_mapped_service_and_add_on_use_their_items(demo_spa, make_booking, pay):
    addon = AddOn.objects.filter(active=True).first()
    booking_service = make_booking().service
    ItemMapping.objects.create(category=booking_service.category, item_id="21", item_name="Massages", income_account_id="79",
                               income_account_name="Massage income")
    ItemMapping.objects.create(addon=addon, item_id="22", item_name="Add-ons")
    booking = make_booking(addons=[(addon, Decimal("25.00"))])
    pay(booking)
    lines = Receipt.objects.get(booking=booking).body["Line"]
    assert [line["SalesItemLineDetail"]["ItemRef"]["value"] for line in lines] == ["21", "22"]
    assert lines[0]["SalesItemLineDetail"]["ItemAccountRef"] == {"value": "79", "name": "Massage income"}


def test_a_member_booking_shows_the_member_discount(demo_spa, make_booking, pay):
    addon = AddOn.objects.filter(active=True).first()
    booking = make_booking(service_price=Decimal("150.00"), addons=[(addon, Decimal("25.00"))], discount_percent=Decimal("40"),
                           tier_name="Premium")
    pay(booking)
    receipt = Receipt.objects.get(booking=booking)
    discount = receipt.body["Line"][-1]
    assert discount["DetailType"] == "DiscountLineDetail" and discount["Description"] == "Premium member discount"
    assert discount["Amount"] == 70.0 and receipt.total == booking.total


def test_a_refund_becomes_a_refund_receipt_once(make_booking, pay, django_capture_on_commit_callbacks):
    booking = make_booking()
    payment = pay(booking)
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, amount=Decimal("50.00"), key="test-partial")
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, key="test-rest")
    refunds = Receipt.objects.filter(payment=payment, kind=ReceiptKind.REFUND).order_by("covers_refunded")
    assert [(r.doc_number, r.total) for r in refunds] == [(f"{booking.reference}-R1", Decimal("50.00")),
                                                          (f"{booking.reference}-R2", Decimal("80.65"))]
    assert sum(r.tax for r in refunds) in (booking.tax, booking.tax - Decimal("0.01"), booking.tax + Decimal("0.01"))
    call_command("quickbooks_sync", stdout=StringIO())
    assert Receipt.objects.filter(payment=payment, kind=ReceiptKind.REFUND).count() == 2


def test_the_sync_command_catches_up_on_a_payment_the_outbox_never_sent(make_booking, pay, capsys):
    payment = pay(make_booking())
    Receipt.objects.filter(payment=payment).delete()  # as if paid before accounting was installed
    call_command("quickbooks_sync")
    out = capsys.readouterr().out
    assert "prepared 1 receipt" in out and "[1/1] SalesReceipt" in out and "sent 1" in out
    assert Receipt.objects.get(payment=payment).status == SyncStatus.SYNCED


def test_the_ledger_is_browsed_and_exported_in_the_admin(admin_client, make_booking, pay):
    booking = make_booking()
    pay(booking)
    receipt = Receipt.objects.get(booking=booking)
    listing = admin_client.get("/admin/accounting/receipt/")
    assert listing.status_code == 200 and booking.reference in listing.content.decode()
    page = admin_client.get(f"/admin/accounting/receipt/{receipt.pk}/change/").content.decode()
    assert "Tax: 10.65" in page and "Total: 130.65" in page
    export = admin_client.post("/admin/accounting/receipt/", {"action": "export_csv", "_selected_action": [receipt.pk]})
    text = export.content.decode()
    assert export["Content-Type"] == "text/csv" and booking.reference in text and "130.65" in text


def test_readyz_shows_the_accounting_provider(client):
    body = client.get("/readyz").json()
    assert body["providers"]["accounting"] == {"name": "accounting", "provider": "local", "ok": True, "state": "ledger", "unsynced": 0}


def test_beat_runs_the_sync_hourly_and_the_reconcile_at_two():
    from coresync.celery import collect_beat_schedule

    schedule = collect_beat_schedule()
    assert schedule["accounting-quickbooks-sync"]["task"] == "accounting.sync"
    nightly = schedule["accounting-quickbooks-reconcile"]
    assert nightly["task"] == "accounting.reconcile" and nightly["schedule"].hour == {2} and nightly["schedule"].minute == {0}


def test_a_no_show_fee_gets_its_own_non_taxable_receipt_and_reconciles(demo_spa, make_booking, client,
                                                                      django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    from coresync.accounting.reconcile import reconcile_day
    from coresync.bookings.services import booking_mark_no_show

    demo_spa.location.no_show_fee = Decimal("40.00")
    demo_spa.location.save()
    api = APIClient()
    api.force_authenticate(demo_spa.premium)
    setup = api.post("/api/v1/me/payment-methods/setup/", {"consent": True}, format="json").json()
    path = "/" + setup["checkout_url"].split("://", 1)[1].split("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"}).status_code == 302
    booking = make_booking(email=demo_spa.premium.email, start=(timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0))
    booking.customer = demo_spa.premium
    booking.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking_mark_no_show(booking=booking, actor=demo_spa.manager)
    receipt = Receipt.objects.get(booking=booking)
    assert receipt.doc_number == f"{booking.reference}-NS" and receipt.total == Decimal("40.00") and receipt.tax == 0
    line = receipt.body["Line"][0]
    assert line["Description"].startswith("No-show fee") and line["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert reconcile_day(day=timezone.localdate(), notify=False).discrepancy_count == 0
