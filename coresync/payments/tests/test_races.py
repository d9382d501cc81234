"""Pay vs cancel at the same moment: whatever wins, a cancelled booking keeps none of the guest's money."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import booking_cancel
from coresync.core.errors import ApplicationError
from coresync.payments.gateway import LocalPaymentProvider, card_entry_clean
from coresync.payments.models import LocalGatewayObject, Payment
from coresync.payments.services import payment_event_for_intent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_paying_and_cancelling_at_once_never_keeps_money_for_a_cancelled_booking(make_booking):
    entry = card_entry_clean(number="4242424242424242", expiry="12/40", cvc="123")
    for _round in range(5):
        booking = make_booking()
        APIClient().post(f"/api/v1/bookings/{booking.reference}/pay/", {"email": booking.customer_email}, format="json")
        intent = LocalGatewayObject.objects.get(kind="payment_intent", data__metadata__booking_reference=booking.reference)
        barrier = threading.Barrier(2)

        def pay(intent_id=intent.pk):
            try:
                barrier.wait()
                LocalPaymentProvider().intent_pay(intent_id, entry)
                payment_event_for_intent(provider="local", intent_id=intent_id)
            finally:
                connection.close()

        def cancel(target=booking):
            try:
                barrier.wait()
                booking_cancel(booking=target, reason="changed my mind")
            except ApplicationError:
                pass
            finally:
                connection.close()

        threads = [threading.Thread(target=pay), threading.Thread(target=cancel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        booking = Booking.objects.get(pk=booking.pk)
        payment = Payment.objects.get(booking=booking)
        assert booking.status in (BookingStatus.CANCELLED, BookingStatus.CONFIRMED)
        if booking.status == BookingStatus.CANCELLED:
            assert payment.amount_paid - payment.amount_refunded == Decimal("0.00"), (payment.status, payment.amount_paid)
        else:
            assert payment.status == "paid"
