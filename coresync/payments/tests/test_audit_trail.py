"""The payments' audit trail: a payment's history (who, which channel, which request), a refund in the admin in the
change history and the security log, a declined card recorded though it is written with ``update()``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from rest_framework.test import APIClient

from coresync.audit.context import Channel
from coresync.audit.models import ChangeAction, ChangeRecord, SecurityEvent, SecurityKind
from coresync.bookings.models import BookingStatus
from coresync.payments.gateway import CARD_NEEDS_AUTHENTICATION
from coresync.payments.models import Payment, PaymentStatus, Refund, RefundStatus

pytestmark = pytest.mark.django_db


def records(obj) -> list[ChangeRecord]:
    content_type = ContentType.objects.get_for_model(obj)
    return list(ChangeRecord.objects.filter(content_type=content_type, object_id=str(obj.pk)).order_by("id"))


def _pay(make_booking, *, request_id: str):
    booking = make_booking()
    body = APIClient().post(f"/api/v1/bookings/{booking.reference}/pay/", {"email": booking.customer_email}, format="json",
                            HTTP_X_REQUEST_ID=request_id).json()  # fmt: skip
    checkout = "/" + body["checkout_url"].split("://", 1)[1].split("/", 1)[1]
    Client().post(checkout, {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    return booking, Payment.objects.get(booking=booking)


def test_a_payment_has_its_history_from_created_to_paid_with_the_channel_of_each_step(make_booking):
    booking, payment = _pay(make_booking, request_id="req-pay-1")
    created, *updates = records(payment)
    assert created.action == ChangeAction.CREATE and created.channel == Channel.API and created.request_id == "req-pay-1"
    assert created.changes["amount"] == {"old": None, "new": str(booking.total)} and "idempotency_key" not in created.changes
    assert (created.parent_type.model, created.parent_id) == ("booking", str(booking.pk))
    paid = [r for r in updates if r.changes.get("status", {}).get("new") == PaymentStatus.PAID]
    assert len(paid) == 1 and paid[0].changes["amount_paid"]["new"] == str(booking.total)
    assert paid[0].channel == Channel.WEB  # the local gateway's card page, in the customer's request


def test_a_payment_paid_by_a_stripe_event_names_the_webhook_as_the_channel(
    stripe_on, make_booking, django_capture_on_commit_callbacks
):
    from coresync.payments.tests.conftest import stripe_event
    from coresync.payments.tests.test_stripe import _intent_created, _paid_intent_fetch, _pay, _post_event

    booking = make_booking()
    _intent_created(stripe_on, booking)
    _pay(booking)
    _paid_intent_fetch(stripe_on, booking)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_event(stripe_event("evt_audit", "payment_intent.succeeded", {"id": "pi_1"})).status_code == 200
    payment = Payment.objects.get(booking=booking)
    [paid] = [r for r in records(payment) if r.changes.get("status", {}).get("new") == PaymentStatus.PAID]
    assert paid.channel == "webhook:stripe" and paid.actor is None and paid.actor_label == "stripe"


def test_a_refund_in_the_admin_is_in_the_change_history_and_the_security_log(
    demo_spa, make_booking, django_capture_on_commit_callbacks
):
    booking, payment = _pay(make_booking, request_id="req-pay-2")
    manager = Client()
    manager.force_login(demo_spa.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post("/admin/payments/payment/", {"action": "refund_in_full", "_selected_action": [payment.pk]},
                                HTTP_X_REQUEST_ID="req-refund-1")  # fmt: skip
    assert response.status_code == 302
    refund = Refund.objects.get(payment=payment)
    created, sent = records(refund)
    assert created.action == ChangeAction.CREATE and created.actor == demo_spa.manager and created.channel == Channel.ADMIN
    assert created.request_id == "req-refund-1" and created.changes["amount"]["new"] == str(booking.total)
    assert sent.changes == {
        "status": {"old": RefundStatus.PENDING, "new": RefundStatus.SUCCEEDED}
    }  # an update(): recorded by the service
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert records(payment)[-1].changes["status"]["new"] == PaymentStatus.REFUNDED
    [event] = SecurityEvent.objects.filter(kind=SecurityKind.REFUND, detail__refund=refund.pk)
    assert event.actor == demo_spa.manager and event.request_id == "req-refund-1"
    assert event.detail["amount"] == str(booking.total) and event.detail["payment"] == payment.pk


def test_a_refused_saved_card_is_recorded_though_written_with_update(demo_spa, make_booking, client):
    from coresync.payments.tests.test_cards_and_refunds import _save_card

    _save_card(demo_spa.premium, client, number=CARD_NEEDS_AUTHENTICATION)  # saved; the bank asks for authentication when charged
    booking = make_booking(customer=demo_spa.premium)
    api = APIClient()
    api.force_authenticate(demo_spa.premium)
    answer = api.post(
        f"/api/v1/bookings/{booking.reference}/pay/", {"use_saved_card": True}, format="json", HTTP_X_REQUEST_ID="req-decline"
    )
    assert answer.status_code == 402, answer.json()
    payment = Payment.objects.get(booking=booking)
    assert payment.status == PaymentStatus.FAILED
    failed = records(payment)[-1]
    assert failed.changes["status"] == {"old": PaymentStatus.UNPAID, "new": PaymentStatus.FAILED}
    assert failed.actor == demo_spa.premium and failed.channel == Channel.API and failed.request_id == "req-decline"
    assert Decimal(failed.changes.get("amount", {}).get("new", "0")) == 0  # only what changed
