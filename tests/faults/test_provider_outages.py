"""Each provider down in turn while guests book: every booking is a 201 that waits on no vendor, the side effect
waits (retried, never dead-lettered early), and after the provider recovers it arrives exactly once per booking."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from django.utils import timezone
from rest_framework.test import APIClient

from coresync.accounting.models import Receipt, SyncStatus
from coresync.accounting.tests.conftest import COMPANY, TOKEN_URL, token_json
from coresync.bookings.models import Booking, BookingStatus
from coresync.calendars import layout
from coresync.notifications.models import EmailKind, EmailLog, EmailStatus
from coresync.outbox.models import OutboxMessage, OutboxStatus
from coresync.payments.models import Payment, PaymentStatus
from coresync.payments.tests.conftest import STRIPE_BASE, WEBHOOK_SECRET, intent_json, signed, stripe_event

from .smtp import FakeSmtp, closed_port

pytestmark = pytest.mark.django_db
BOOKINGS = 4
ROUNDS_WHILE_DOWN = 3  # retries that come due during the outage


def _confirmations() -> Counter:
    return Counter(EmailLog.objects.filter(kind=EmailKind.BOOKING_CONFIRMATION).values_list("recipient", flat=True))


def _assert_waiting(kind: str, *, attempts: int, error: str) -> None:
    rows = OutboxMessage.objects.filter(kind=kind)
    assert rows.exists()
    for row in rows:
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, attempts), (row, row.last_error)
        assert error in row.last_error
        assert row.next_attempt_at is not None


# --- Mail ---------------------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    """Mail over SMTP to a port that refuses connections, until ``smtp.recover()`` starts a real server there."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    fake = FakeSmtp()
    fake.recover = lambda: setattr(settings, "EMAIL_PORT", fake.start().port)
    yield fake
    fake.stop()


def _mail_is_waiting(attempts: int) -> None:
    logs = EmailLog.objects.filter(kind=EmailKind.BOOKING_CONFIRMATION)
    assert logs.count() == BOOKINGS
    for log in logs:
        assert (log.status, log.attempts) == (EmailStatus.FAILED, attempts), log.error
        assert log.next_attempt_at is not None, "a retryable failure keeps a next attempt (not given up)"


def test_smtp_refusing_connections_blocks_no_booking_and_each_confirmation_goes_out_once_later(smtp, guests, retry_round):
    bookings = [guests.book() for _ in range(BOOKINGS)]
    assert Booking.objects.filter(reference__in=[b["reference"] for b in bookings], status=BookingStatus.CONFIRMED).count() == BOOKINGS
    guests.worker_runs()
    _mail_is_waiting(attempts=1)
    assert "ConnectionRefusedError" in EmailLog.objects.filter(kind=EmailKind.BOOKING_CONFIRMATION).first().error
    for n in range(ROUNDS_WHILE_DOWN):
        retry_round()
        _mail_is_waiting(attempts=n + 2)
    assert not OutboxMessage.objects.filter(status=OutboxStatus.DEAD).exists()

    smtp.recover()
    retry_round()
    retry_round()  # and once more: nothing is sent twice
    assert Counter(parseaddr(to)[1] for to in smtp.recipients()) == Counter({b["email"]: 1 for b in bookings})
    assert smtp.data_attempts == BOOKINGS
    assert set(EmailLog.objects.filter(kind=EmailKind.BOOKING_CONFIRMATION).values_list("status", flat=True)) == {EmailStatus.SENT}
    assert set(_confirmations().values()) == {1}


def test_sendgrid_answering_503_blocks_no_booking_and_each_confirmation_goes_out_once_later(sendgrid, guests, retry_round):
    down = (503, {}, json.dumps({"errors": [{"message": "service unavailable"}]}).encode())
    sendgrid.answers[:] = [down] * 100
    bookings = [guests.book() for _ in range(BOOKINGS)]
    assert sendgrid.requests == [], "the booking requests themselves call no mail provider"
    guests.worker_runs()
    _mail_is_waiting(attempts=1)
    for n in range(ROUNDS_WHILE_DOWN):
        retry_round()
        _mail_is_waiting(attempts=n + 2)
    failed = len(sendgrid.requests)
    assert failed == BOOKINGS * (1 + ROUNDS_WHILE_DOWN)

    sendgrid.answers.clear()  # SendGrid is back: 202 from now on
    retry_round()
    retry_round()
    delivered = Counter(p["to"][0]["email"] for body in sendgrid.json_bodies()[failed:] for p in body["personalizations"])
    assert delivered == Counter({b["email"]: 1 for b in bookings})
    assert set(EmailLog.objects.filter(kind=EmailKind.BOOKING_CONFIRMATION).values_list("status", flat=True)) == {EmailStatus.SENT}


# --- Google Calendar -------------------------------------------------------------------------


@pytest.mark.parametrize("outage", [503, "refused"], ids=["http-503", "connection-refused"])
def test_google_calendar_down_blocks_no_booking_and_each_event_is_inserted_once_later(google, guests, retry_round, outage):
    google.down = ConnectionRefusedError(111, "Connection refused") if outage == "refused" else outage
    bookings = [guests.book() for _ in range(BOOKINGS)]
    assert google.api_calls() == [], "the booking requests themselves call nobody"
    guests.worker_runs()
    _assert_waiting("google.calendar.event", attempts=1, error="" if outage == "refused" else "503")
    for n in range(ROUNDS_WHILE_DOWN):
        retry_round()
        _assert_waiting("google.calendar.event", attempts=n + 2, error="")

    google.down = None
    google.calls.clear()
    retry_round()
    retry_round()
    inserts = Counter(call.event_id for call in google.writes() if call.method == "POST")
    ids = {b.pk for b in Booking.objects.filter(reference__in=[b["reference"] for b in bookings])}
    expected = {layout.event_id_for(pk, key): 1 for pk in ids for key in ("master", "technicians")}
    assert inserts == Counter(expected)
    assert [c for c in google.writes() if c.method != "POST"] == []  # no duplicate, no second write
    assert set(OutboxMessage.objects.filter(kind="google.calendar.event").values_list("status", flat=True)) == {OutboxStatus.DONE}


def test_google_sheets_503_blocks_no_booking_and_the_queue_sheet_shows_each_message_once_later(fake_sheets, guests, time_machine):
    """The queue sheet mirrors the outbox: while Sheets is down the mirror backs off; afterwards it is whole, no row twice."""
    from coresync.sheets import queue
    from coresync.sheets.tests.conftest import QUEUE_ID

    fake_sheets.books[QUEUE_ID] = {tab: [] for tab in queue.TABS}
    fake_sheets.failures.extend([503] * 50)
    bookings = [guests.book() for _ in range(BOOKINGS)]
    assert fake_sheets.api_calls() == [], "the booking requests themselves call nobody"
    guests.worker_runs()
    time_machine.move_to(timezone.now(), tick=True)
    for _ in range(ROUNDS_WHILE_DOWN):
        assert queue.queue_sheet_mirror() == "failed"
        time_machine.move_to(timezone.now() + timedelta(seconds=queue.BACKOFF_MAX + 1), tick=True)

    fake_sheets.failures.clear()
    assert queue.queue_sheet_mirror() == "written"
    assert queue.queue_sheet_mirror() == "written"  # and again: the tabs are rewritten, never appended to
    ids = Booking.objects.filter(reference__in=[b["reference"] for b in bookings]).values_list("pk", flat=True)
    synced = Counter(row[2] for row in fake_sheets.books[QUEUE_ID]["Synced"][1:])
    assert {f"email:booking_confirmation:{pk}:0": synced[f"email:booking_confirmation:{pk}:0"] for pk in ids} == {
        f"email:booking_confirmation:{pk}:0": 1 for pk in ids}
    assert set(synced.values()) == {1}


# --- QuickBooks --------------------------------------------------------------------------------


def _pay_on_the_local_gateway(reference: str, email: str) -> None:
    """The guest pays on the built-in card page: POST /pay/, then the card form with Stripe's test card."""
    from coresync.integrations.payments import payment_provider
    from coresync.integrations.references import external_ref
    from coresync.payments.gateway import card_entry_clean

    started = APIClient().post(f"/api/v1/bookings/{reference}/pay/", {"email": email}, format="json")
    assert started.status_code == 200, started.content
    payment = Payment.objects.get(booking__reference=reference)
    intent = external_ref(payment, system="local", kind="payment_intent").external_id
    payment_provider("local").intent_pay(intent, card_entry_clean(number="4242424242424242", expiry="12/40", cvc="123"))


def test_quickbooks_503_blocks_no_booking_or_payment_and_each_receipt_is_booked_once_later(
    quickbooks, guests, retry_round, settings, django_capture_on_commit_callbacks,
):
    settings.BOOKING_PAYMENT_MODE = "online"
    quickbooks.post(TOKEN_URL, json=token_json())
    quickbooks.post(f"{COMPANY}/query", json={"QueryResponse": {}})
    quickbooks.post(f"{COMPANY}/customer", json={"Customer": {"Id": "58", "DisplayName": "Guest"}})
    quickbooks.post(f"{COMPANY}/salesreceipt", status=503, body="<html>Service Unavailable</html>")
    bookings = [guests.book() for _ in range(BOOKINGS)]
    assert not quickbooks.calls, "the booking requests themselves call nobody"
    guests.worker_runs()
    for booking in bookings:
        with django_capture_on_commit_callbacks(execute=True):
            _pay_on_the_local_gateway(booking["reference"], booking["email"])
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.PAID}
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).filter(reference__in=[b["reference"] for b in bookings]).count() == BOOKINGS
    _assert_waiting("accounting.receipt", attempts=1, error="503")
    for n in range(ROUNDS_WHILE_DOWN):
        retry_round()
        _assert_waiting("accounting.receipt", attempts=n + 2, error="503")

    quickbooks.replace("POST", f"{COMPANY}/salesreceipt", json={"SalesReceipt": {"Id": "1600", "TotalAmt": 1}})
    before = len(quickbooks.calls)
    retry_round()
    retry_round()
    sent = [c.request for c in quickbooks.calls[before:] if "/salesreceipt" in c.request.url]
    request_ids = Counter(parse_qs(urlparse(r.url).query)["requestid"][0] for r in sent)
    assert request_ids == Counter({rid: 1 for rid in Receipt.objects.values_list("request_id", flat=True)})
    assert Receipt.objects.count() == BOOKINGS and set(Receipt.objects.values_list("status", flat=True)) == {SyncStatus.SYNCED}
    assert set(OutboxMessage.objects.filter(kind="accounting.receipt").values_list("status", flat=True)) == {OutboxStatus.DONE}


# --- Stripe --------------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["http-500", "timeout"])
def test_stripe_down_blocks_no_booking_and_each_payment_confirms_once_later(stripe_on, guests, retry_round, settings, outage,
                                                                             django_capture_on_commit_callbacks):
    """Guests book and pay; Stripe's events arrive while its API is down (the handler re-fetches each intent)."""
    settings.BOOKING_PAYMENT_MODE = "online"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    bookings = [guests.book() for _ in range(BOOKINGS)]
    assert not stripe_on.calls, "an online booking calls nobody"
    guests.worker_runs()
    intents = {}
    for n, booking in enumerate(bookings):
        intent = f"pi_{n}"
        row = Booking.objects.get(reference=booking["reference"])
        stripe_on.add(responses.POST, f"{STRIPE_BASE}/v1/payment_intents",
                      json=intent_json(intent, status="requires_payment_method", amount=int(row.total * 100),
                                       reference=row.reference, payment_id=0))
        paid = APIClient().post(f"/api/v1/bookings/{row.reference}/pay/", {"email": booking["email"]}, format="json")
        assert paid.status_code == 200, paid.content
        intents[intent] = row
        failure = {"status": 500, "json": {"error": {"message": "api down"}}} if outage == "http-500" else {
            "body": requests.exceptions.ReadTimeout("read timed out")}
        stripe_on.add(responses.GET, f"{STRIPE_BASE}/v1/payment_intents/{intent}", **failure)

    for n, intent in enumerate(intents):
        body, header = signed(stripe_event(f"evt_{n}", "payment_intent.succeeded", {"id": intent, "object": "payment_intent"}))
        with django_capture_on_commit_callbacks(execute=True):
            answer = APIClient().post("/api/payments/stripe/webhook/", body, content_type="application/json",
                                      HTTP_STRIPE_SIGNATURE=header)
        assert answer.status_code == 200, answer.content
    _assert_waiting("payments.event", attempts=1, error="")
    for n in range(ROUNDS_WHILE_DOWN):
        retry_round()
        _assert_waiting("payments.event", attempts=n + 2, error="")
    assert Booking.objects.filter(status=BookingStatus.PENDING_PAYMENT).count() == BOOKINGS

    for intent, row in intents.items():
        payment = Payment.objects.get(booking=row)
        stripe_on.replace(responses.GET, f"{STRIPE_BASE}/v1/payment_intents/{intent}",
                          json=intent_json(intent, status="succeeded", amount=int(row.total * 100), reference=row.reference,
                                           payment_id=payment.pk))
    before = len(stripe_on.calls)
    retry_round()
    retry_round()
    fetches = Counter(urlparse(c.request.url).path.rsplit("/", 1)[-1] for c in stripe_on.calls[before:] if c.request.method == "GET")
    assert fetches == Counter({intent: 1 for intent in intents})
    assert Booking.objects.filter(pk__in=[r.pk for r in intents.values()], status=BookingStatus.CONFIRMED).count() == BOOKINGS
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.PAID}
    assert _confirmations() == Counter({b["email"]: 1 for b in bookings})
