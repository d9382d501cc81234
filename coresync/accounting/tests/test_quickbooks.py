"""QuickBooks on the real SDK (python-quickbooks, intuit-oauth) against a faked HTTP edge (``responses``).

Asserted: the exact JSON and ``requestid`` of each create, the requestid reused after a
timeout, 429/5xx retried with backoff and 400 not, the rotating refresh token stored
encrypted, ``invalid_grant`` → disconnected + the owner told, and an outage that
never touches bookings or payments (receipts go out once, later).
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import time_machine
from django.core.management import call_command
from django.utils import timezone

from coresync.accounting.models import AccountingCustomer, ConnectionStatus, QuickBooksConnection, Receipt, SyncStatus
from coresync.accounting.receipts import sales_receipt_build
from coresync.bookings.models import BookingStatus
from coresync.integrations.accounting import accounting_provider
from coresync.integrations.references import external_ref
from coresync.notifications.models import EmailLog
from coresync.outbox.models import OutboxMessage, OutboxStatus
from coresync.outbox.services import outbox_deliver
from coresync.payments.models import PaymentStatus

from .conftest import COMPANY, TOKEN_URL, body_of, requests_to, token_json
from .test_receipts import CASES, GOLDEN

pytestmark = pytest.mark.django_db


def _receipt_answer(kind: str, body: dict, qbo_id: str = "1501") -> dict:
    return {kind: {**body, "Id": qbo_id, "SyncToken": "0"}, "time": "2026-12-02T10:00:00.000-08:00"}


def _fake_company(fake, *, receipt_status=200, customers=()):
    fake.post(TOKEN_URL, json=token_json())
    fake.post(f"{COMPANY}/query", json={"QueryResponse": {"Customer": list(customers)} if customers else {}})
    fake.post(f"{COMPANY}/customer", json={"Customer": {"Id": "58", "DisplayName": "Ada Guest"}})


def _params(request) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(request.url).query).items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_sdk_sends_each_golden_receipt_byte_for_byte_with_its_requestid(quickbooks, name):
    quickbooks.post(TOKEN_URL, json=token_json())
    body = sales_receipt_build(CASES[name]).body
    quickbooks.post(f"{COMPANY}/salesreceipt", json=_receipt_answer("SalesReceipt", body))
    booked = accounting_provider().receipt_create(kind="SalesReceipt", body=body, request_id="req-" + name, receipt_id=1)
    sent = requests_to(quickbooks, "/salesreceipt")[0]
    assert body_of(sent) == json.loads((GOLDEN / f"{name}.json").read_text())
    assert _params(sent) == {"minorversion": "75", "requestid": "req-" + name}
    assert sent.headers["Authorization"] == "Bearer at-1"
    assert booked.external_id == "1501" and booked.total == CASES[name].charged


def test_a_paid_booking_goes_to_quickbooks_with_a_customer_found_or_created_by_email(quickbooks, make_booking, pay):
    _fake_company(quickbooks)
    quickbooks.post(f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1501", "TotalAmt": 130.65,
                                                                      "TxnTaxDetail": {"TotalTax": 10.65}}})
    booking = make_booking()
    payment = pay(booking)
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.status == SyncStatus.SYNCED and receipt.external_id == "1501" and receipt.provider == "quickbooks"
    booking.refresh_from_db()
    assert booking.quickbooks_synced  # the booking's own property: ExternalReference quickbooks / sales_receipt
    assert external_ref(booking, system="quickbooks", kind="sales_receipt").external_id == "1501"
    query = requests_to(quickbooks, "/query")[0]
    assert query.body in (f"select * from Customer where PrimaryEmailAddr = '{booking.customer_email}'",
                          f"select * from Customer where PrimaryEmailAddr = '{booking.customer_email}'".encode())
    created = requests_to(quickbooks, "/customer")[0]
    assert body_of(created)["PrimaryEmailAddr"] == {"Address": booking.customer_email}
    assert _params(created)["requestid"] == AccountingCustomer.objects.get(email=booking.customer_email).request_id
    sent = requests_to(quickbooks, "/salesreceipt")[0]
    assert body_of(sent) == receipt.body and body_of(sent)["CustomerRef"]["value"] == "58"  # the ledger holds what was sent
    assert _params(sent)["requestid"] == receipt.request_id


def test_an_existing_customer_is_found_not_created(quickbooks, make_booking, pay):
    _fake_company(quickbooks, customers=[{"Id": "77", "DisplayName": "Ada"}])
    quickbooks.post(f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1502", "TotalAmt": 1}})
    pay(make_booking())
    assert requests_to(quickbooks, "/customer") == []
    assert body_of(requests_to(quickbooks, "/salesreceipt")[0])["CustomerRef"]["value"] == "77"


def test_a_timeout_is_retried_with_the_same_requestid_and_books_once(quickbooks, make_booking, pay):
    _fake_company(quickbooks)
    quickbooks.post(f"{COMPANY}/salesreceipt", body=requests.exceptions.ReadTimeout("read timed out"))
    quickbooks.post(f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1503", "TotalAmt": 130.65}})
    booking = make_booking()
    payment = pay(booking)
    assert payment.status == PaymentStatus.PAID  # the payment and the booking never wait for the books
    assert booking.__class__.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    message = OutboxMessage.objects.get(dedupe_key=f"accounting.receipt:sales:{payment.pk}")
    assert message.status == OutboxStatus.PENDING and message.attempts == 1 and "did not answer" in message.last_error
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.status == SyncStatus.PENDING
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert outbox_deliver(message.dedupe_key) == OutboxStatus.DONE
    first, second = requests_to(quickbooks, "/salesreceipt")
    assert _params(first)["requestid"] == _params(second)["requestid"] == receipt.request_id
    assert body_of(first) == body_of(second)
    receipt.refresh_from_db()
    assert receipt.status == SyncStatus.SYNCED and receipt.external_id == "1503" and Receipt.objects.filter(payment=payment).count() == 1


def test_quickbooks_down_blocks_nothing_and_the_hourly_sync_sends_each_receipt_once_later(quickbooks, make_booking, pay, capsys):
    _fake_company(quickbooks)
    quickbooks.post(f"{COMPANY}/salesreceipt", status=503, body="<html>Service Unavailable</html>")
    bookings = [make_booking(), make_booking()]
    payments = [pay(booking) for booking in bookings]
    assert all(p.status == PaymentStatus.PAID for p in payments)
    assert Receipt.objects.filter(status=SyncStatus.PENDING).count() == 2
    assert "503" in OutboxMessage.objects.get(dedupe_key=f"accounting.receipt:sales:{payments[0].pk}").last_error
    call_command("quickbooks_sync")  # still down: the batch stops at the first retryable failure
    assert "stopped" in capsys.readouterr().out
    quickbooks.replace("POST", f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1600", "TotalAmt": 1}})
    call_command("quickbooks_sync")
    assert "sent 2" in capsys.readouterr().out
    assert Receipt.objects.filter(status=SyncStatus.SYNCED).count() == 2
    ids = [_params(r)["requestid"] for r in requests_to(quickbooks, "/salesreceipt")]
    assert sorted(set(ids)) == sorted(Receipt.objects.values_list("request_id", flat=True))  # retries reused each receipt's id
    call_command("quickbooks_sync")
    assert len(requests_to(quickbooks, "/salesreceipt")) == len(ids)  # nothing left: nothing sent again


def test_a_429_backs_off_and_a_400_is_not_retried(quickbooks, make_booking, pay):
    _fake_company(quickbooks)
    throttled = {"Fault": {"Error": [{"Message": "ThrottleExceeded", "Detail": "Too many requests", "code": "003001"}], "type": "SERVICE"}}
    quickbooks.post(f"{COMPANY}/salesreceipt", status=429, json=throttled)
    payment = pay(make_booking())
    message = OutboxMessage.objects.get(dedupe_key=f"accounting.receipt:sales:{payment.pk}")
    assert message.status == OutboxStatus.PENDING and message.next_attempt_at > timezone.now() and "429" in message.last_error
    invalid = {"Fault": {"Error": [{"Message": "Invalid Reference Id", "Detail": "Item 1 is inactive", "code": "2500"}],
                         "type": "ValidationFault"}}
    quickbooks.replace("POST", f"{COMPANY}/salesreceipt", status=400, json=invalid)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert outbox_deliver(message.dedupe_key) == OutboxStatus.DEAD  # refused: retrying cannot help
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.status == SyncStatus.FAILED and "Invalid Reference Id" in receipt.last_error


def test_the_refresh_token_rotates_and_is_stored_encrypted(quickbooks, make_booking, pay):
    quickbooks.post(TOKEN_URL, json=token_json(access="at-1", refresh="rt-2"))
    from coresync.accounting.connection import access_token

    assert access_token() == "at-1"
    row = QuickBooksConnection.objects.get()
    assert "rt-2" not in row.refresh_token and "at-1" not in row.access_token  # ciphertext at rest
    from coresync.accounting.secrets import secret_decrypt

    assert secret_decrypt(row.refresh_token) == "rt-2"
    sent = requests_to(quickbooks, TOKEN_URL)[0]
    assert parse_qs(sent.body) == {"grant_type": ["refresh_token"], "refresh_token": ["rt-1"]}
    assert access_token() == "at-1" and len(requests_to(quickbooks, TOKEN_URL)) == 1  # still fresh: no second refresh
    with time_machine.travel(timezone.now() + timedelta(minutes=58)):
        quickbooks.replace("POST", TOKEN_URL, json=token_json(access="at-2", refresh="rt-3"))
        assert access_token() == "at-2"
    assert parse_qs(requests_to(quickbooks, TOKEN_URL)[1].body)["refresh_token"] == ["rt-2"]  # the rotated one, not the setting


def test_invalid_grant_disconnects_tells_the_owner_and_shows_in_readyz(quickbooks, make_booking, pay, client, settings):
    settings.QUICKBOOKS_OWNER_EMAIL = "owner@coresync.test"
    quickbooks.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    payment = pay(make_booking())
    assert payment.status == PaymentStatus.PAID
    row = QuickBooksConnection.objects.get()
    assert row.status == ConnectionStatus.DISCONNECTED and row.disconnected_at
    mail = EmailLog.objects.get(kind="quickbooks_disconnected")
    assert mail.recipient == "owner@coresync.test" and "python manage.py quickbooks_connect" in mail.body_text
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.status == SyncStatus.PENDING  # waits in the ledger for the reconnect
    ready = client.get("/readyz").json()
    assert ready["providers"]["accounting"]["state"] == "disconnected" and ready["providers"]["accounting"]["ok"] is False
    pay(make_booking())  # a second sale while disconnected: no second refresh attempt, no second e-mail
    assert len(requests_to(quickbooks, TOKEN_URL)) == 1 and EmailLog.objects.filter(kind="quickbooks_disconnected").count() == 1


def test_quickbooks_connect_runs_the_code_flow_and_stores_the_tokens(quickbooks, capsys, settings):
    quickbooks.post(TOKEN_URL, json=token_json(access="at-9", refresh="rt-9"))
    redirect = f"{settings.QUICKBOOKS_REDIRECT_URI}?code=AB11&state=fixed-state&realmId=4620816365"
    call_command("quickbooks_connect", redirect_url=redirect, state="fixed-state")
    assert "Connected to QuickBooks company 4620816365" in capsys.readouterr().out
    exchange = parse_qs(requests_to(quickbooks, TOKEN_URL)[0].body)
    assert exchange == {"grant_type": ["authorization_code"], "code": ["AB11"], "redirect_uri": [settings.QUICKBOOKS_REDIRECT_URI]}
    row = QuickBooksConnection.objects.get(realm_id="4620816365")
    from coresync.accounting.secrets import secret_decrypt

    assert secret_decrypt(row.refresh_token) == "rt-9" and row.status == ConnectionStatus.CONNECTED
    with pytest.raises(Exception, match="state"):
        call_command("quickbooks_connect", redirect_url=redirect.replace("fixed-state", "forged"), state="fixed-state")


def test_the_authorization_url_asks_for_the_accounting_scope(quickbooks):
    from coresync.integrations.quickbooks.oauth import authorization_url

    url = urlparse(authorization_url(state="s1"))
    query = parse_qs(url.query)
    assert url.netloc == "appcenter.intuit.com" and query["scope"] == ["com.intuit.quickbooks.accounting"]
    assert query["state"] == ["s1"] and query["response_type"] == ["code"]


def test_a_refund_goes_to_quickbooks_as_a_refund_receipt(quickbooks, make_booking, pay, django_capture_on_commit_callbacks):
    _fake_company(quickbooks)
    quickbooks.post(f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1700", "TotalAmt": 130.65}})
    quickbooks.post(f"{COMPANY}/refundreceipt", json={"RefundReceipt": {"Id": "1701", "TotalAmt": 130.65}})
    payment = pay(make_booking())
    from coresync.payments.services import refund_request

    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, key="qbo-refund")
    sent = body_of(requests_to(quickbooks, "/refundreceipt")[0])
    assert sent["TotalAmt"] == 130.65 and sent["TxnTaxDetail"]["TotalTax"] == 10.65 and sent["PaymentRefNum"] == str(payment.pk)
    assert Receipt.objects.get(payment=payment, kind="RefundReceipt").external_id == "1701"
    assert Decimal(str(sent["Line"][0]["Amount"])) == Decimal("120.00")


def test_a_401_refreshes_the_token_once_and_the_call_goes_through(quickbooks, make_booking, pay):
    _fake_company(quickbooks)
    quickbooks.post(f"{COMPANY}/salesreceipt", status=401, body="<html>Unauthorized</html>")
    quickbooks.post(f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1800", "TotalAmt": 1}})
    payment = pay(make_booking())
    assert Receipt.objects.get(payment=payment).external_id == "1800"
    assert len(requests_to(quickbooks, TOKEN_URL)) == 2  # the first token, then one forced refresh after the 401
    first, second = requests_to(quickbooks, "/salesreceipt")
    assert _params(first)["requestid"] == _params(second)["requestid"]


def test_receipts_kept_locally_before_connecting_are_handed_over_and_sent_once(make_booking, pay, settings, quickbooks, capsys):
    settings.ACCOUNTING_PROVIDER = "local"
    from coresync.integrations.accounting import accounting_provider_reset

    accounting_provider_reset()
    payment = pay(make_booking())
    assert Receipt.objects.get(payment=payment).provider == "local"
    settings.ACCOUNTING_PROVIDER = "quickbooks"
    accounting_provider_reset()
    _fake_company(quickbooks)
    quickbooks.post(f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1900", "TotalAmt": 1}})
    call_command("quickbooks_sync", from_local_ledger="")
    out = capsys.readouterr().out
    assert "1 receipt(s) from the local ledger queued for quickbooks" in out and "sent 1" in out
    receipt = Receipt.objects.get(payment=payment)
    assert (receipt.provider, receipt.status, receipt.external_id) == ("quickbooks", SyncStatus.SYNCED, "1900")
    call_command("quickbooks_sync")
    assert len(requests_to(quickbooks, "/salesreceipt")) == 1


def test_the_nightly_reconcile_reads_the_day_back_from_quickbooks(quickbooks, make_booking, pay):
    from coresync.accounting.reconcile import reconcile_day

    _fake_company(quickbooks)
    quickbooks.post(f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "2001", "TotalAmt": 130.65}})
    booked, lost = pay(make_booking()), pay(make_booking())
    day = timezone.localdate()
    in_books = {"Id": "2001", "DocNumber": booked.booking.reference, "PaymentRefNum": str(booked.pk), "TxnDate": day.isoformat(),
                "TotalAmt": float(booked.amount_paid), "TxnTaxDetail": {"TotalTax": float(booked.booking.tax)}}
    quickbooks.replace("POST", f"{COMPANY}/query", json={"QueryResponse": {}})

    def query(request):
        text = request.body.decode() if isinstance(request.body, bytes) else request.body
        rows = [in_books] if "from SalesReceipt" in text else []
        kind = "SalesReceipt" if "from SalesReceipt" in text else "RefundReceipt"
        return 200, {}, json.dumps({"QueryResponse": {kind: rows} if rows else {}})

    quickbooks.remove("POST", f"{COMPANY}/query")
    quickbooks.add_callback("POST", f"{COMPANY}/query", callback=query, content_type="application/json")
    report = reconcile_day(day=day, notify=False)
    assert report.provider == "quickbooks" and report.receipts_checked == 1
    assert [(row.kind, row.doc_number) for row in report.discrepancies.all()] == [("missing", lost.booking.reference)]
    asked = [r.body if isinstance(r.body, str) else r.body.decode() for r in requests_to(quickbooks, "/query")[-2:]]
    assert asked == [f"select * from SalesReceipt where TxnDate = '{day.isoformat()}' STARTPOSITION 1 MAXRESULTS 1000",
                     f"select * from RefundReceipt where TxnDate = '{day.isoformat()}' STARTPOSITION 1 MAXRESULTS 1000"]
