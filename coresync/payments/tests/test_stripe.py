"""The Stripe provider on the real SDK against a faked HTTP edge: exact requests, keys, webhooks, retries, order."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import pytest
import requests
import responses
from rest_framework.test import APIClient

from coresync.bookings.models import BookingStatus
from coresync.notifications.models import EmailKind, EmailLog
from coresync.payments.models import Payment, PaymentStatus, ProviderEventRecord

from .conftest import STRIPE_BASE, intent_json, signed, stripe_event

pytestmark = pytest.mark.django_db
WEBHOOK = "/api/payments/stripe/webhook/"


def _form(call) -> dict:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def _pay(booking):
    return APIClient().post(f"/api/v1/bookings/{booking.reference}/pay/", {"email": booking.customer_email}, format="json")


def _intent_created(fake, booking, intent_id="pi_1"):
    payment_id = (Payment.objects.filter(booking=booking).values_list("pk", flat=True).first()) or 0
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/payment_intents",
             json=intent_json(intent_id, status="requires_payment_method", amount=int(booking.total * 100),
                              reference=booking.reference, payment_id=payment_id))


def test_paying_creates_one_payment_intent_with_amount_in_cents_metadata_and_idempotency_key(stripe_on, make_booking):
    booking = make_booking()
    _intent_created(stripe_on, booking)
    answer = _pay(booking)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["provider"] == "stripe" and answer.json()["client_secret"] == "pi_1_secret_abc"
    (call,) = [c for c in stripe_on.calls if c.request.url.endswith("/v1/payment_intents")]
    sent = _form(call)
    payment = Payment.objects.get(booking=booking)
    assert sent["amount"] == str(int(booking.total * 100)) and sent["currency"] == "usd"
    assert sent["metadata[booking_reference]"] == booking.reference and sent["metadata[payment_id]"] == str(payment.pk)
    assert call.request.headers["Idempotency-Key"] == payment.idempotency_key
    assert call.request.headers["Authorization"] == "Bearer sk_test_123"


def test_a_stripe_timeout_keeps_the_booking_and_the_retry_sends_the_same_key(stripe_on, make_booking):
    booking = make_booking()
    stripe_on.add(responses.POST, f"{STRIPE_BASE}/v1/payment_intents", body=requests.exceptions.ConnectTimeout("slow"))
    first = _pay(booking)
    assert first.status_code == 503 and first.json()["error"]["code"] == "provider_unavailable"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING_PAYMENT
    stripe_on.replace(responses.POST, f"{STRIPE_BASE}/v1/payment_intents",
                      json=intent_json("pi_1", status="requires_payment_method", amount=int(booking.total * 100),
                                       reference=booking.reference, payment_id=Payment.objects.get(booking=booking).pk))
    assert _pay(booking).status_code == 200
    keys = [c.request.headers.get("Idempotency-Key") for c in stripe_on.calls if c.request.url.endswith("/v1/payment_intents")]
    assert len(keys) == 2 and keys[0] == keys[1] == Payment.objects.get(booking=booking).idempotency_key
    assert Payment.objects.filter(booking=booking).count() == 1


def _paid_intent_fetch(fake, booking, *, status="succeeded", intent_id="pi_1", refunded=0):
    payment = Payment.objects.get(booking=booking)
    fake.add(responses.GET, f"{STRIPE_BASE}/v1/payment_intents/{intent_id}",
             json=intent_json(intent_id, status=status, amount=int(booking.total * 100), reference=booking.reference,
                              payment_id=payment.pk, refunded=refunded))


def _post_event(event: dict, **signing):
    body, header = signed(event, **signing)
    return APIClient().generic("POST", WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def test_a_signed_payment_intent_succeeded_confirms_the_booking_once_and_a_replay_changes_nothing(
    stripe_on, make_booking, django_capture_on_commit_callbacks,
):
    booking = make_booking()
    _intent_created(stripe_on, booking)
    _pay(booking)
    _paid_intent_fetch(stripe_on, booking)
    event = stripe_event("evt_1", "payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post_event(event)
    assert answer.status_code == 200 and answer.json() == {"received": True, "duplicate": False}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert Payment.objects.get(booking=booking).status == PaymentStatus.PAID
    assert EmailLog.objects.filter(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).count() == 1
    fetches = len([c for c in stripe_on.calls if c.request.method == "GET"])

    with django_capture_on_commit_callbacks(execute=True):
        replay = _post_event(event)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert len([c for c in stripe_on.calls if c.request.method == "GET"]) == fetches  # not handled again
    assert ProviderEventRecord.objects.filter(event_id="evt_1").count() == 1
    assert EmailLog.objects.filter(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).count() == 1


@pytest.mark.parametrize("header", ["", "t=1,v1=deadbeef", "garbage"])
def test_a_bad_or_missing_signature_is_a_400_and_changes_nothing(stripe_on, header):
    event = stripe_event("evt_bad", "payment_intent.succeeded", {"id": "pi_1"})
    body, _ = signed(event)
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
    answer = APIClient().generic("POST", WEBHOOK, body, content_type="application/json", **extra)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_signature"
    assert not ProviderEventRecord.objects.exists()


def test_a_stale_or_wrongly_keyed_signature_is_refused(stripe_on):
    event = stripe_event("evt_old", "payment_intent.succeeded", {"id": "pi_1"})
    assert _post_event(event, timestamp=int(time.time()) - 600).status_code == 400
    assert _post_event(event, secret="whsec_someone_else").status_code == 400
    assert not ProviderEventRecord.objects.exists()


def test_events_out_of_order_never_move_a_payment_back(stripe_on, make_booking, django_capture_on_commit_callbacks):
    booking = make_booking()
    _intent_created(stripe_on, booking)
    _pay(booking)
    _paid_intent_fetch(stripe_on, booking)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_event(stripe_event("evt_2", "payment_intent.succeeded", {"id": "pi_1"})).status_code == 200
    # 'created' and a stale 'payment_failed' arrive late; Stripe (re-fetched) now even answers an older state
    stripe_on.replace(responses.GET, f"{STRIPE_BASE}/v1/payment_intents/pi_1",
                      json=intent_json("pi_1", status="requires_payment_method", amount=int(booking.total * 100),
                                       reference=booking.reference, payment_id=Payment.objects.get(booking=booking).pk))
    with django_capture_on_commit_callbacks(execute=True):
        _post_event(stripe_event("evt_1", "payment_intent.created", {"id": "pi_1"}))
        _post_event(stripe_event("evt_3", "payment_intent.payment_failed", {"id": "pi_1"}))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert Payment.objects.get(booking=booking).status == PaymentStatus.PAID


def test_an_unknown_event_type_is_stored_and_ignored(stripe_on):
    answer = _post_event(stripe_event("evt_x", "customer.created", {"id": "cus_1"}))
    assert answer.status_code == 200
    assert ProviderEventRecord.objects.filter(event_id="evt_x").exists()


def test_a_refund_that_times_out_is_retried_from_the_outbox_with_the_same_key_and_refunds_once(
    stripe_on, make_booking, django_capture_on_commit_callbacks,
):
    from coresync.bookings.services import booking_cancel
    from coresync.outbox.models import OutboxMessage, OutboxStatus
    from coresync.outbox.services import outbox_deliver

    booking = make_booking()
    _intent_created(stripe_on, booking)
    _pay(booking)
    _paid_intent_fetch(stripe_on, booking)
    with django_capture_on_commit_callbacks(execute=True):
        _post_event(stripe_event("evt_paid", "payment_intent.succeeded", {"id": "pi_1"}))
    stripe_on.add(responses.POST, f"{STRIPE_BASE}/v1/refunds", body=requests.exceptions.ReadTimeout("slow"))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, reason="plans changed")
    message = OutboxMessage.objects.get(kind="payments.refund")
    assert message.status == OutboxStatus.PENDING and message.attempts == 1  # kept, to be retried with backoff
    assert Payment.objects.get(booking=booking).status == PaymentStatus.PAID

    total = int(booking.total * 100)
    stripe_on.replace(responses.POST, f"{STRIPE_BASE}/v1/refunds",
                      json={"id": "re_1", "object": "refund", "status": "succeeded", "amount": total})
    stripe_on.replace(responses.GET, f"{STRIPE_BASE}/v1/payment_intents/pi_1",
                      json=intent_json("pi_1", status="succeeded", amount=total, reference=booking.reference,
                                       payment_id=Payment.objects.get(booking=booking).pk, refunded=total))
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert outbox_deliver(message.dedupe_key) == OutboxStatus.DONE
    assert outbox_deliver(message.dedupe_key) is None  # done: never sent again
    refunds = [c for c in stripe_on.calls if c.request.url.endswith("/v1/refunds")]
    assert len(refunds) == 2 and refunds[0].request.headers["Idempotency-Key"] == refunds[1].request.headers["Idempotency-Key"]
    assert _form(refunds[1])["amount"] == str(total) and _form(refunds[1])["payment_intent"] == "pi_1"
    assert Payment.objects.get(booking=booking).status == PaymentStatus.REFUNDED


def test_the_webhook_request_itself_calls_nobody(stripe_on, make_booking, django_capture_on_commit_callbacks,
                                                 django_assert_max_num_queries):
    """Inside the request: verify, store the event id, write the outbox row. The re-fetch from Stripe comes after."""
    booking = make_booking()
    _intent_created(stripe_on, booking)
    _pay(booking)
    before = len(stripe_on.calls)
    with django_capture_on_commit_callbacks(execute=False) as after_commit, django_assert_max_num_queries(4):
        answer = _post_event(stripe_event("evt_quiet", "payment_intent.succeeded", {"id": "pi_1"}))
    assert answer.status_code == 200 and answer.json() == {"received": True, "duplicate": False}
    assert len(stripe_on.calls) == before, "no outbound HTTP inside the webhook request"
    assert after_commit, "the handling is queued for after the commit"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING_PAYMENT  # nothing applied yet: the outbox handler re-fetches first


def test_a_worker_killed_between_commit_and_publish_still_confirms_once(stripe_on, make_booking, django_capture_on_commit_callbacks):
    """The event row and its outbox message commit, then the process dies before dispatching: beat's sweep delivers it,
    exactly once (one re-fetch, one confirmation e-mail), and a second sweep finds nothing."""
    from coresync.outbox.models import OutboxMessage, OutboxStatus
    from coresync.outbox.tasks import sweep_outbox

    booking = make_booking()
    _intent_created(stripe_on, booking)
    _pay(booking)
    _paid_intent_fetch(stripe_on, booking)
    with django_capture_on_commit_callbacks(execute=False):  # killed: the after-commit dispatch never runs
        assert _post_event(stripe_event("evt_lost", "payment_intent.succeeded", {"id": "pi_1"})).status_code == 200
    message = OutboxMessage.objects.get(kind="payments.event")
    assert message.status == OutboxStatus.PENDING
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING_PAYMENT

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_outbox() >= 1
    with django_capture_on_commit_callbacks(execute=True):
        sweep_outbox()
        _post_event(stripe_event("evt_lost", "payment_intent.succeeded", {"id": "pi_1"}))  # and Stripe retries the delivery
    booking.refresh_from_db()
    message.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and message.status == OutboxStatus.DONE
    fetches = [c for c in stripe_on.calls if c.request.method == "GET" and "/v1/payment_intents/pi_1" in c.request.url]
    assert len(fetches) == 1, "handled once"
    assert EmailLog.objects.filter(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).count() == 1
    assert Payment.objects.get(booking=booking).status == PaymentStatus.PAID


def test_an_online_booking_on_the_stripe_provider_calls_nobody_within_eight_queries(stripe_on, demo_spa, django_assert_max_num_queries):
    """S4 with online payment: the booking is held; its PaymentIntent is made later, by the pay call, off this request."""
    from datetime import timedelta

    from django.utils import timezone

    api = APIClient()
    service = next(iter(demo_spa.services.values()))
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    slots = api.get("/api/v1/availability/", {"service": service.slug, "date_from": day, "date_to": day}).json()["slots"]
    with django_assert_max_num_queries(8):
        created = api.post("/api/v1/bookings/", {"service": service.slug, "start": slots[0]["start"],
                                                "guest": {"name": "Ada Guest", "email": "ada@example.test"}}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "pending_payment"
    assert created.json()["payment"]["status"] == "unpaid"
    assert len(stripe_on.calls) == 0, "no Stripe call inside the booking request"
