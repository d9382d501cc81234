"""The paid flow offline, on the local gateway: pay, the card page, the booking confirmed, the e-mail once."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from coresync.bookings.models import Booking, BookingStatus
from coresync.core.errors import ValidationFailed
from coresync.notifications.models import EmailKind, EmailLog
from coresync.payments.gateway import card_entry_clean
from coresync.payments.models import LocalGatewayObject, Payment, PaymentStatus

pytestmark = pytest.mark.django_db


def _pay(client, booking, **body):
    return client.post(f"/api/v1/bookings/{booking.reference}/pay/", {"email": booking.customer_email, **body}, format="json")


def _card_page(client, url, number, expiry="12/40", cvc="123"):
    path = url.split("://", 1)[1].split("/", 1)[1]
    return client.post("/" + path, {"number": number, "expiry": expiry, "cvc": cvc})


@pytest.mark.parametrize(("number", "expiry", "cvc", "field"), [
    ("4242 4242 4242 4241", "12/40", "123", "number"),  # fails Luhn
    ("4242 4242 4242 4242", "01/20", "123", "expiry"),  # expired
    ("4242 4242 4242 4242", "13/40", "123", "expiry"),
    ("4242 4242 4242 4242", "12/40", "12", "cvc"),
    ("5555 5555 5555 4444", "12/40", "123", "number"),  # a real-looking card that is not one of the test numbers
])
def test_the_card_page_checks_number_expiry_and_cvc(number, expiry, cvc, field):
    with pytest.raises(ValidationFailed) as raised:
        card_entry_clean(number=number, expiry=expiry, cvc=cvc, today=date(2026, 12, 2))
    assert list(raised.value.fields) == [field]


def test_the_stripe_test_numbers_are_accepted_or_declined():
    assert card_entry_clean(number="4242 4242 4242 4242", expiry="12/40", cvc="123").behaviour == "succeeds"
    assert card_entry_clean(number="4000000000000002", expiry="12/2040", cvc="1234").behaviour == "declined"


def test_a_guest_pays_on_the_local_card_page_and_the_booking_is_confirmed_with_one_email(
    demo_spa, client, django_capture_on_commit_callbacks,
):
    api = APIClient()
    service = demo_spa.services["deep-tissue-massage"] if "deep-tissue-massage" in demo_spa.services else next(iter(demo_spa.services.values()))
    slots = api.get("/api/v1/availability/", {"service": service.slug, "date_from": _in_days(1), "date_to": _in_days(2)}).json()["slots"]
    created = api.post("/api/v1/bookings/", {"service": service.slug, "start": slots[0]["start"],
                                            "guest": {"name": "Ada Guest", "email": "ada@example.test"}}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "pending_payment"
    assert created.json()["payment"] == {"status": "unpaid", "amount_paid": "0.00", "refunded": "0.00"}
    booking = Booking.objects.get(reference=created.json()["reference"])

    started = _pay(api, booking)
    assert started.status_code == 200, started.json()
    body = started.json()
    assert body["provider"] == "local" and body["status"] == "pending" and body["amount"] == str(booking.total)
    assert body["currency"] == "USD" and "/payments/local/checkout/" in body["checkout_url"]
    assert not EmailLog.objects.filter(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).exists()  # not before it is paid

    with django_capture_on_commit_callbacks(execute=True):
        page = _card_page(client, body["checkout_url"], "4242 4242 4242 4242")
    assert page.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    detail = api.get(f"/api/v1/bookings/{booking.reference}/", {"email": booking.customer_email}).json()
    assert detail["status"] == "confirmed"
    assert detail["payment"] == {"status": "paid", "amount_paid": str(booking.total), "refunded": "0.00"}
    assert EmailLog.objects.filter(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).count() == 1


def test_a_declined_card_leaves_the_booking_held_and_the_payment_failed(make_booking, client):
    booking = make_booking()
    body = _pay(APIClient(), booking).json()
    page = _card_page(client, body["checkout_url"], "4000 0000 0000 0002")
    assert page.status_code == 402 and b"declined" in page.content
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert Payment.objects.get(booking=booking).status == PaymentStatus.FAILED
    # the guest tries another card on the same page and it goes through
    assert _card_page(client, body["checkout_url"], "4242424242424242").status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_asking_to_pay_twice_gives_the_same_intent(make_booking):
    booking = make_booking()
    first, second = _pay(APIClient(), booking).json(), _pay(APIClient(), booking).json()
    assert first["checkout_url"] == second["checkout_url"]
    assert LocalGatewayObject.objects.filter(kind="payment_intent").count() == 1


def test_paid_cancelled_and_someone_elses_bookings_are_refused(make_booking, client, demo_spa):
    booking = make_booking()
    _card_page(client, _pay(APIClient(), booking).json()["checkout_url"], "4242424242424242")
    again = _pay(APIClient(), booking)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_paid"

    cancelled = make_booking(status=BookingStatus.CANCELLED)
    refused = _pay(APIClient(), cancelled)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "invalid_booking_state"

    theirs = make_booking(customer=demo_spa.premium)
    other = APIClient()
    other.force_authenticate(demo_spa.base)
    assert other.post(f"/api/v1/bookings/{theirs.reference}/pay/", {}, format="json").status_code == 404
    wrong_email = APIClient().post(f"/api/v1/bookings/{theirs.reference}/pay/", {"email": "someone@example.test"}, format="json")
    assert wrong_email.status_code == 404 and wrong_email.json()["error"]["code"] == "booking_not_found"
    assert not Payment.objects.filter(booking=theirs).exists()


def test_bad_pay_input_is_a_400_in_the_error_shape(make_booking):
    booking = make_booking()
    answer = APIClient().post(f"/api/v1/bookings/{booking.reference}/pay/", {"use_saved_card": "maybe", "email": booking.customer_email},
                              format="json")
    assert answer.status_code == 400 and "use_saved_card" in answer.json()["error"]["fields"]


def _in_days(days: int) -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_the_account_page_offers_pay_now_then_shows_paid(demo_spa, make_booking, client):
    booking = make_booking(customer=demo_spa.premium)
    client.force_login(demo_spa.premium)
    page = client.get(f"/accounts/bookings/{booking.reference}/")
    assert b"data-pay-now" in page.content
    pay = client.get(f"/payments/bookings/{booking.reference}/pay/")
    assert pay.status_code == 302 and "/payments/local/checkout/" in pay["Location"]
    assert client.post(pay["Location"], {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"}).status_code == 302
    page = client.get(f"/accounts/bookings/{booking.reference}/")
    assert b"data-pay-now" not in page.content
    assert b'data-payment-status>Paid<' in page.content


def test_a_guest_pays_from_the_manage_link(make_booking, client):
    from coresync.core.links import booking_manage_path

    booking = make_booking()
    page = client.get(booking_manage_path(booking))
    link = page.content.decode().split('data-pay-now href="', 1)[1].split('"', 1)[0]
    assert link.startswith("/payments/pay/")
    assert "/payments/local/checkout/" in client.get(link)["Location"]


def test_an_online_booking_is_still_created_within_eight_queries_and_no_payment_intent(demo_spa, django_assert_max_num_queries):
    api = APIClient()
    service = next(iter(demo_spa.services.values()))
    slots = api.get("/api/v1/availability/", {"service": service.slug, "date_from": _in_days(1), "date_to": _in_days(2)}).json()["slots"]
    guest = {"name": "Ada Guest", "email": "ada@example.test"}
    with django_assert_max_num_queries(8) as queries:
        created = api.post("/api/v1/bookings/", {"service": service.slug, "start": slots[0]["start"], "guest": guest}, format="json")
    assert created.status_code == 201 and created.json()["payment"]["status"] == "unpaid"
    assert not [q for q in queries.captured_queries if "payments_payment" in q["sql"]]  # the new booking's JSON asks nothing
    assert not LocalGatewayObject.objects.exists() and not Payment.objects.exists()  # paying starts on the pay call


def test_on_site_mode_a_confirmed_booking_can_be_paid_ahead_without_a_second_confirmation(
    demo_spa, make_booking, client, settings, django_capture_on_commit_callbacks,
):
    settings.BOOKING_PAYMENT_MODE = "on_site"
    booking = make_booking(customer=demo_spa.premium, status=BookingStatus.CONFIRMED)
    client.force_login(demo_spa.premium)
    page = client.get(f"/accounts/bookings/{booking.reference}/").content
    assert b"data-pay-ahead" in page and b"data-pay-now" in page and b"data-hold" not in page
    pay = client.get(f"/payments/bookings/{booking.reference}/pay/")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(pay["Location"], {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert Payment.objects.get(booking=booking).status == PaymentStatus.PAID
    assert not EmailLog.objects.filter(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).exists()  # made by a factory: none
    page = client.get(f"/accounts/bookings/{booking.reference}/").content
    assert b"data-pay-now" not in page and b'data-payment-status>Paid<' in page


def test_one_tap_from_the_booking_page_charges_the_card_on_file_once(demo_spa, make_booking, client, django_capture_on_commit_callbacks):
    from coresync.payments.gateway import LocalPaymentProvider

    client.force_login(demo_spa.premium)
    assert "save a card" in client.get("/accounts/membership/").content.decode()  # the flag alone is no card
    started = client.post("/payments/cards/", {"consent": "yes"})
    assert started.status_code == 302 and "/payments/local/checkout/lseti_" in started["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(started["Location"], {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"})
    assert b"data-saved-card" in client.get("/payments/cards/").content
    assert "Visa •••• 4242: one-tap checkout" in client.get("/accounts/membership/").content.decode()
    booking = make_booking(customer=demo_spa.premium)
    page = client.get(f"/accounts/bookings/{booking.reference}/").content.decode()
    assert "data-one-tap" in page and "Visa •••• 4242" in page
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/payments/bookings/{booking.reference}/pay/", {"use_saved_card": "1"})
        client.post(f"/payments/bookings/{booking.reference}/pay/", {"use_saved_card": "1"})  # a double tap
    assert answer.status_code == 302 and answer["Location"] == f"/accounts/bookings/{booking.reference}/"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    charges = LocalGatewayObject.objects.filter(kind="payment_intent", status="succeeded",
                                                data__metadata__booking_reference=booking.reference)
    assert charges.count() == 1 and LocalPaymentProvider().intent_get(charges[0].pk).amount_received == round(booking.total * 100)
    assert EmailLog.objects.filter(booking=booking, kind=EmailKind.BOOKING_CONFIRMATION).count() == 1


def test_saving_a_card_on_the_page_without_consent_saves_nothing(demo_spa, client):
    client.force_login(demo_spa.premium)
    page = client.post("/payments/cards/", {})
    assert page.status_code == 200 and b"data-cards-error" in page.content
    assert not LocalGatewayObject.objects.filter(kind="setup_intent").exists()
