"""Card on file (consent recorded), one-tap, the payment link on authentication_required; refunds and policy fees."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coresync.bookings.models import BookingStatus
from coresync.bookings.services import booking_cancel, booking_mark_no_show
from coresync.notifications.models import EmailLog
from coresync.payments.gateway import CARD_NEEDS_AUTHENTICATION
from coresync.payments.models import Payment, PaymentStatus, Purpose, Refund, RefundStatus, SavedCard
from coresync.payments.services import refund_request

pytestmark = pytest.mark.django_db


def _signed_in(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _card_page(client, url, number="4242424242424242"):
    return client.post("/" + url.split("://", 1)[1].split("/", 1)[1], {"number": number, "expiry": "12/40", "cvc": "123"})


def _save_card(user, client, number="4242424242424242"):
    setup = _signed_in(user).post("/api/v1/me/payment-methods/setup/", {"consent": True}, format="json").json()
    assert _card_page(client, setup["checkout_url"], number).status_code == 302
    return setup


def test_saving_a_card_needs_consent(demo_spa):
    api = _signed_in(demo_spa.premium)
    for body in ({}, {"consent": False}):
        answer = api.post("/api/v1/me/payment-methods/setup/", body, format="json")
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "consent_required"
    assert APIClient().post("/api/v1/me/payment-methods/setup/", {"consent": True}, format="json").status_code in (401, 403)


def test_a_saved_card_is_listed_with_its_consent_recorded(demo_spa, client, settings):
    _save_card(demo_spa.premium, client)
    cards = _signed_in(demo_spa.premium).get("/api/v1/me/payment-methods/").json()
    assert len(cards) == 1
    assert {k: cards[0][k] for k in ("brand", "last4", "exp_month", "exp_year", "default")} == {
        "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2040, "default": True}
    saved = SavedCard.objects.get(user=demo_spa.premium)
    assert saved.consent_version == settings.PAYMENT_CONSENT_VERSION and saved.consent_at <= timezone.now()
    assert _signed_in(demo_spa.base).get("/api/v1/me/payment-methods/").json() == []


def test_one_tap_pays_with_the_card_on_file(demo_spa, client, make_booking):
    _save_card(demo_spa.premium, client)
    booking = make_booking(customer=demo_spa.premium)
    answer = _signed_in(demo_spa.premium).post(f"/api/v1/bookings/{booking.reference}/pay/", {"use_saved_card": True}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "paid"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_one_tap_without_a_card_is_a_409(demo_spa, make_booking):
    booking = make_booking(customer=demo_spa.base)
    answer = _signed_in(demo_spa.base).post(f"/api/v1/bookings/{booking.reference}/pay/", {"use_saved_card": True}, format="json")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_saved_card"


def test_a_card_that_needs_authentication_gets_a_402_and_one_payment_link_email(
    demo_spa, client, make_booking, django_capture_on_commit_callbacks,
):
    _save_card(demo_spa.premium, client, CARD_NEEDS_AUTHENTICATION)
    booking = make_booking(customer=demo_spa.premium)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _signed_in(demo_spa.premium).post(f"/api/v1/bookings/{booking.reference}/pay/", {"use_saved_card": True},
                                                   format="json")
    assert answer.status_code == 402 and answer.json()["error"]["code"] == "authentication_required"
    mails = EmailLog.objects.filter(recipient=demo_spa.premium.email, kind="payment_link")
    assert mails.count() == 1 and "/payments/pay/" in mails.get().body_text
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING_PAYMENT


def _paid(make_booking, client, **fields):
    booking = make_booking(**fields)
    body = APIClient().post(f"/api/v1/bookings/{booking.reference}/pay/", {"email": booking.customer_email}, format="json").json()
    _card_page(client, body["checkout_url"])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    return booking


def test_a_free_cancellation_refunds_in_full(make_booking, client, django_capture_on_commit_callbacks):
    booking = _paid(make_booking, client)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, reason="change of plans")
    payment = Payment.objects.get(booking=booking)
    assert payment.status == PaymentStatus.REFUNDED and payment.amount_refunded == booking.total
    assert Refund.objects.get(payment=payment).status == RefundStatus.SUCCEEDED
    detail = APIClient().get(f"/api/v1/bookings/{booking.reference}/", {"email": booking.customer_email}).json()
    assert detail["payment"] == {"status": "refunded", "amount_paid": str(booking.total), "refunded": str(booking.total)}


def test_a_late_cancellation_keeps_the_policy_fee(demo_spa, make_booking, client, django_capture_on_commit_callbacks):
    demo_spa.location.late_cancellation_fee = Decimal("25.00")
    demo_spa.location.save()
    booking = _paid(make_booking, client, start=(timezone.now() + timedelta(hours=5)).replace(second=0, microsecond=0))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=demo_spa.manager, reason="called in late")
    payment = Payment.objects.get(booking=booking)
    assert payment.amount_refunded == booking.total - Decimal("25.00")
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED


def test_a_no_show_charges_the_fee_to_the_card_on_file(demo_spa, make_booking, client, django_capture_on_commit_callbacks):
    demo_spa.location.no_show_fee = Decimal("40.00")
    demo_spa.location.save()
    _save_card(demo_spa.premium, client)
    booking = make_booking(customer=demo_spa.premium, status=BookingStatus.CONFIRMED,
                           start=(timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0))
    with django_capture_on_commit_callbacks(execute=True):
        booking_mark_no_show(booking=booking, actor=demo_spa.manager)
    fee = Payment.objects.get(booking=booking, purpose=Purpose.NO_SHOW_FEE)
    assert fee.status == PaymentStatus.PAID and fee.amount_paid == Decimal("40.00")
    with django_capture_on_commit_callbacks(execute=True):  # the job running again charges nothing more
        from coresync.payments.services import fee_charge

        fee_charge(booking_id=booking.pk, purpose=Purpose.NO_SHOW_FEE, key=f"payments.fee:no_show_fee:{booking.pk}")
    assert Payment.objects.filter(booking=booking, purpose=Purpose.NO_SHOW_FEE).count() == 1


def test_admin_refunds_part_then_the_rest_but_never_more(demo_spa, make_booking, client, django_capture_on_commit_callbacks):
    booking = _paid(make_booking, client)
    payment = Payment.objects.get(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, amount=Decimal("10.00"), actor=demo_spa.manager, reason="goodwill")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.amount_refunded == Decimal("10.00")
    from coresync.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        refund_request(payment=payment, amount=booking.total, actor=demo_spa.manager)
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=payment, actor=demo_spa.manager)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.amount_refunded == booking.total


def test_a_payment_for_a_booking_cancelled_meanwhile_is_refunded(make_booking, client, django_capture_on_commit_callbacks):
    booking = make_booking()
    body = APIClient().post(f"/api/v1/bookings/{booking.reference}/pay/", {"email": booking.customer_email}, format="json").json()
    booking_cancel(booking=booking)  # the guest cancels in another tab, then pays on the open card page
    with django_capture_on_commit_callbacks(execute=True):
        _card_page(client, body["checkout_url"])
    payment = Payment.objects.get(booking=booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert payment.status == PaymentStatus.REFUNDED and payment.amount_refunded == booking.total


def test_one_tap_after_opening_the_card_page_pays_that_same_intent_once(demo_spa, client, make_booking):
    from coresync.payments.models import LocalGatewayObject

    _save_card(demo_spa.premium, client)
    booking = make_booking(customer=demo_spa.premium)
    api = _signed_in(demo_spa.premium)
    opened = api.post(f"/api/v1/bookings/{booking.reference}/pay/", {}, format="json").json()
    assert api.post(f"/api/v1/bookings/{booking.reference}/pay/", {"use_saved_card": True}, format="json").json()["status"] == "paid"
    intents = LocalGatewayObject.objects.filter(kind="payment_intent", data__metadata__booking_reference=booking.reference)
    assert intents.count() == 1 and intents.get().status == "succeeded"
    # the card page left open in another tab cannot take the money a second time
    page = _card_page(client, opened["checkout_url"])
    assert page.status_code == 200 and b"already paid" in page.content
