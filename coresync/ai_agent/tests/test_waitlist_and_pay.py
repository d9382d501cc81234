"""The concierge's hooks into the waitlist (issue 15) and payments (issue 12): their own services, nothing of its own."""

from __future__ import annotations

from datetime import date, time

import pytest

from coresync.bookings.services import booking_create
from coresync.waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def test_put_me_on_the_waitlist_for_saturday_afternoon(chat, demo_spa):
    c = chat(user=demo_spa.premium)
    c.say("swedish massage saturday at 2pm")
    c.say("put me on the waitlist for Saturday afternoon")
    entry = WaitlistEntry.objects.get()
    assert (entry.customer, entry.service.slug) == (demo_spa.premium, "swedish-massage")
    assert (entry.date_from, entry.date_to, entry.time_from, entry.time_to) == (date(2026, 11, 28), date(2026, 11, 28), time(12), time(17))
    assert "waitlist" in c.text and "Swedish Massage" in c.text


def test_a_guest_is_asked_for_the_treatment_and_their_details_first(chat, demo_spa):
    c = chat()
    c.say("can you put me on the waiting list for tomorrow morning?")
    assert "Which treatment" in c.text and not WaitlistEntry.objects.exists()
    c.say("a deep tissue massage")
    assert "name" in c.text and not WaitlistEntry.objects.exists()
    c.say("Ann Lee ann.lee@example.com")
    entry = WaitlistEntry.objects.get()
    assert (entry.name, entry.email, entry.service.slug) == ("Ann Lee", "ann.lee@example.com", "deep-tissue-massage")
    assert (entry.date_from, entry.time_from, entry.time_to) == (date(2026, 11, 24), time(0), time(12))


def test_the_waitlist_past_the_window_is_refused_with_the_reason(chat, demo_spa):
    c = chat()
    c.say("waitlist me for a swedish massage on december 20")
    assert "far ahead" in c.text and not WaitlistEntry.objects.exists()


def _save_card(user, client):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    setup = api.post("/api/v1/me/payment-methods/setup/", {"consent": True}, format="json").json()
    page = "/" + setup["checkout_url"].split("://", 1)[1].split("/", 1)[1]
    assert client.post(page, {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"}).status_code == 302


def test_pay_with_my_card_on_file_after_booking_in_the_chat(chat, demo_spa, client, frozen_now):
    from coresync.payments.models import Payment

    _save_card(demo_spa.premium, client)
    c = chat(user=demo_spa.premium)
    c.say("swedish massage friday at 2pm")
    c.choose("Confirm booking")
    reference = c.last["state"]["booking"]["reference"]
    c.say("pay with my card on file")
    payment = Payment.objects.get(booking__reference=reference)
    assert payment.status == "paid"
    assert "is paid" in c.text and reference in c.text


def test_a_card_that_needs_the_bank_gets_a_payment_link_by_email(chat, demo_spa, client, frozen_now, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    from coresync.outbox.models import OutboxMessage
    from coresync.payments.gateway import CARD_NEEDS_AUTHENTICATION

    api = APIClient()
    api.force_authenticate(demo_spa.premium)
    setup = api.post("/api/v1/me/payment-methods/setup/", {"consent": True}, format="json").json()
    page = "/" + setup["checkout_url"].split("://", 1)[1].split("/", 1)[1]
    client.post(page, {"number": CARD_NEEDS_AUTHENTICATION, "expiry": "12/40", "cvc": "123"})
    booking = booking_create(service="swedish-massage", start=frozen_now.replace(day=27, hour=14), customer=demo_spa.premium, now=frozen_now)
    c = chat(user=demo_spa.premium)
    c.say(f"pay {booking.reference} with my saved card")
    assert "e-mailed a payment link" in c.text
    assert OutboxMessage.objects.filter(dedupe_key__startswith="payments.email:payment_link").exists()


def test_no_card_on_file_is_told_and_a_guest_cannot_pay_here(chat, demo_spa, frozen_now):
    booking = booking_create(service="swedish-massage", start=frozen_now.replace(day=27, hour=14), customer=demo_spa.base, now=frozen_now)
    c = chat(user=demo_spa.base)
    c.say("pay with my card on file")
    assert "no card on file" in c.text.lower()
    from coresync.payments.models import Payment

    assert not Payment.objects.filter(booking=booking, status="paid").exists()
    guest = chat()
    guest.say("pay with my card on file")
    assert "payment link" in guest.text
