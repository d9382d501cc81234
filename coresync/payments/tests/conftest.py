"""Fixtures for the payment tests: online bookings on the demo spa, the providers chosen by settings, a faked Stripe edge."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import responses
import stripe
from django.utils import timezone

from coresync.bookings.models import BookingStatus
from coresync.bookings.tests.factories import BookingFactory
from coresync.integrations.payments import payment_provider_reset

STRIPE_BASE = "https://stripe.test"
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.PAYMENT_PROVIDER = "local"
    settings.BOOKING_PAYMENT_MODE = "online"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    payment_provider_reset()
    yield
    payment_provider_reset()


@pytest.fixture
def stripe_on(settings):
    """The Stripe provider on the real SDK, its HTTP edge faked by ``responses`` at STRIPE_API_BASE."""
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_API_BASE = STRIPE_BASE
    payment_provider_reset()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        yield fake


@pytest.fixture
def make_booking(demo_spa):
    """A booking three days ahead on the demo spa (``pending_payment`` by default), for ``customer`` or a guest."""
    count = {"n": 0}

    def make(*, customer=None, status=BookingStatus.PENDING_PAYMENT, start=None, **fields):
        count["n"] += 1
        service = demo_spa.services["swedish-massage"] if "swedish-massage" in demo_spa.services else next(iter(demo_spa.services.values()))
        technician = next(iter(demo_spa.technicians.values()))
        room = service.location.rooms.first()
        start = start or (timezone.now() + timedelta(days=3, hours=count["n"])).replace(second=0, microsecond=0)
        return BookingFactory(
            service=service, technician=technician, room=room, start=start, status=status, customer=customer,
            customer_name=customer.name if customer else "Ada Guest",
            customer_email=customer.email if customer else f"ada{count['n']}@example.test",
            hold_expires_at=timezone.now() + timedelta(minutes=15) if status == BookingStatus.PENDING_PAYMENT else None,
            **fields,
        )

    return make


def signed(payload: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[str, str]:
    """A body and its ``Stripe-Signature`` header, made by the SDK's own signing code."""
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp or int(time.time()))
    return body, header


def stripe_event(event_id: str, event_type: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": event_type, "created": int(time.time()), "api_version": "2026-10-28.endive",
            "data": {"object": obj}}


def intent_json(intent_id: str, *, status: str, amount: int, reference: str, payment_id: int, received: int | None = None,
                refunded: int = 0) -> dict:
    return {
        "id": intent_id, "object": "payment_intent", "status": status, "amount": amount, "currency": "usd",
        "amount_received": amount if received is None and status == "succeeded" else (received or 0),
        "client_secret": f"{intent_id}_secret_abc", "customer": None, "payment_method": None, "last_payment_error": None,
        "metadata": {"booking_reference": reference, "payment_id": str(payment_id), "purpose": "booking"},
        "latest_charge": {"id": "ch_1", "object": "charge", "amount_refunded": refunded},
    }
