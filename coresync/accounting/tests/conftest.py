"""Fixtures for accounting: paid bookings on the demo spa (local gateway), and QuickBooks on the real SDK with a faked edge."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import responses
from django.utils import timezone

from coresync.bookings.models import BookingAddOn, BookingStatus
from coresync.bookings.tests.factories import BookingFactory
from coresync.integrations.accounting import accounting_provider_reset
from coresync.integrations.payments import payment_provider, payment_provider_reset
from coresync.payments.gateway import card_entry_clean
from coresync.payments.models import Payment
from coresync.payments.services import payment_start

QBO_BASE = "https://qbo.test"
TOKEN_URL = "https://oauth.test/oauth2/v1/tokens/bearer"
DISCOVERY_URL = "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
REALM = "9341453008726471"
COMPANY = f"{QBO_BASE}/v3/company/{REALM}"
TAX_RATE = Decimal("8.875")


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.PAYMENT_PROVIDER = "local"
    settings.ACCOUNTING_PROVIDER = "local"
    payment_provider_reset()
    accounting_provider_reset()
    yield
    payment_provider_reset()
    accounting_provider_reset()


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def make_booking(demo_spa):
    """A confirmed booking three days ahead, priced like ``quote_for`` would (list lines, member discount, tax once)."""
    count = {"n": 0}

    def make(*, service_price=Decimal("120.00"), addons=(), discount_percent=Decimal("0"), tier_name="", email=None, start=None):
        count["n"] += 1
        service = demo_spa.services["swedish-massage"] if "swedish-massage" in demo_spa.services else next(iter(demo_spa.services.values()))
        technician = next(iter(demo_spa.technicians.values()))
        start = start or (timezone.now() + timedelta(days=3, hours=2 * count["n"])).replace(second=0, microsecond=0)
        factor = (Decimal(100) - discount_percent) / Decimal(100)
        items = [("service", service.name, service_price, service.taxable and service.category.taxable, None)]
        for addon, price in addons:
            items.append(("addon", addon.name, price, addon.taxable and service.taxable and service.category.taxable, addon))
        subtotal = sum((price for _, _, price, _, _ in items), Decimal("0"))
        charged = [(_cents(price * factor) if discount_percent else price) for _, _, price, _, _ in items]
        discount = subtotal - sum(charged, Decimal("0"))
        taxable = sum((c for c, item in zip(charged, items, strict=True) if item[3]), Decimal("0"))
        tax = (taxable * TAX_RATE / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        lines = [{"description": name, "amount": str(price), "kind": kind} for kind, name, price, _, _ in items]
        booking = BookingFactory(service=service, technician=technician, room=service.location.rooms.first(), start=start,
                                 status=BookingStatus.CONFIRMED, customer_name="Ada Guest",
                                 customer_email=email or f"ada{count['n']}@example.test", subtotal=subtotal, discount=discount, tax=tax,
                                 total=subtotal - discount + tax, price_lines=lines, tier_name=tier_name)
        for (kind, name, price, _, addon), amount in zip(items, charged, strict=True):
            if kind == "addon":
                BookingAddOn.objects.create(booking=booking, addon=addon, name=name, amount=amount)
        return booking

    return make


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """Pay a booking on the local gateway's card page (4242…), as a guest would; the outbox runs after commit."""

    def pay_it(booking) -> Payment:
        with django_capture_on_commit_callbacks(execute=True):
            payment_start(booking=booking)
            payment = Payment.objects.get(booking=booking)
            from coresync.integrations.references import external_ref

            intent = external_ref(payment, system="local", kind="payment_intent").external_id
            payment_provider("local").intent_pay(intent, card_entry_clean(number="4242424242424242", expiry="12/40", cvc="123"))
        payment.refresh_from_db()
        return payment

    return pay_it


def token_json(access="at-1", refresh="rt-2") -> dict:
    return {"access_token": access, "refresh_token": refresh, "expires_in": 3600, "x_refresh_token_expires_in": 8726400,
            "token_type": "bearer"}


@pytest.fixture
def quickbooks(settings):
    """QuickBooks configured (the six settings), its HTTP edge faked by ``responses``: discovery, token endpoint, API."""
    settings.QUICKBOOKS_CLIENT_ID = "ABclient"
    settings.QUICKBOOKS_CLIENT_SECRET = "secret"
    settings.QUICKBOOKS_REALM_ID = REALM
    settings.QUICKBOOKS_REFRESH_TOKEN = "rt-1"
    settings.QUICKBOOKS_ENVIRONMENT = "sandbox"
    settings.QUICKBOOKS_REDIRECT_URI = "https://spa.example/quickbooks/callback"
    settings.QUICKBOOKS_API_BASE = QBO_BASE
    settings.QUICKBOOKS_OAUTH_TOKEN_URL = TOKEN_URL
    settings.ACCOUNTING_PROVIDER = "quickbooks"
    accounting_provider_reset()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(DISCOVERY_URL, json={
            "issuer": "https://oauth.platform.intuit.com/op/v1", "authorization_endpoint": "https://appcenter.intuit.com/connect/oauth2",
            "token_endpoint": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            "revocation_endpoint": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
            "userinfo_endpoint": "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo",
            "jwks_uri": "https://oauth.platform.intuit.com/op/v1/jwks"})
        yield fake


def requests_to(fake, path_part: str) -> list:
    return [call.request for call in fake.calls if path_part in call.request.url]


def body_of(request) -> dict:
    return json.loads(request.body)
