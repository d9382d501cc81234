"""Stripe Billing and card setup on the real SDK (faked HTTP edge): exact requests, and webhooks driving memberships."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs

import pytest
import responses
from rest_framework.test import APIClient

from coresync.memberships.models import Membership
from coresync.notifications.models import EmailLog
from coresync.payments.models import MembershipSubscription, SavedCard

from .conftest import STRIPE_BASE, signed, stripe_event

pytestmark = pytest.mark.django_db


def _form(call) -> dict:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def _post_event(event):
    body, header = signed(event)
    return APIClient().generic("POST", "/api/payments/stripe/webhook/", body, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=header)


def _subscription(status: str, row_id: int, period_end: int = 1893456000) -> dict:
    return {"id": "sub_1", "object": "subscription", "status": status, "customer": "cus_1", "cancel_at_period_end": False,
            "items": {"object": "list", "data": [{"id": "si_1", "object": "subscription_item", "current_period_end": period_end}]},
            "metadata": {"subscription_id": str(row_id), "tier": "premium"},
            "latest_invoice": {"id": "in_1", "object": "invoice", "confirmation_secret": {"client_secret": "pi_x_secret_y"}}}


def test_subscribing_on_stripe_then_webhooks_drive_the_membership(stripe_on, demo_spa, django_capture_on_commit_callbacks):
    fake = stripe_on
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/customers", json={"id": "cus_1", "object": "customer"})
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/products", json={"id": "coresync-tier-premium", "object": "product"})
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/subscriptions", json=_subscription("incomplete", 0))
    api = APIClient()
    api.force_authenticate(demo_spa.guest)
    answer = api.post("/api/v1/memberships/subscribe/", {"tier": "premium"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {"status": "incomplete", "tier": "premium", "client_secret": "pi_x_secret_y"}
    row = MembershipSubscription.objects.get(user=demo_spa.guest)
    (call,) = [c for c in fake.calls if c.request.url.endswith("/v1/subscriptions")]
    sent = _form(call)
    assert sent["customer"] == "cus_1" and sent["items[0][price_data][product]"] == "coresync-tier-premium"
    assert sent["items[0][price_data][unit_amount]"] == str(int(demo_spa.tiers["premium"].monthly_price * 100))
    assert sent["items[0][price_data][recurring][interval]"] == "month" and sent["metadata[subscription_id]"] == str(row.pk)
    assert call.request.headers["Idempotency-Key"] == row.idempotency_key

    fake.add(responses.GET, f"{STRIPE_BASE}/v1/subscriptions/sub_1", json=_subscription("active", row.pk))
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_event(stripe_event("evt_s1", "customer.subscription.created", {"id": "sub_1", "object": "subscription"})).status_code == 200
    membership = Membership.objects.get(user=demo_spa.guest, status="active")
    assert membership.tier.slug == "premium"
    assert membership.renews_on == date(2029, 12, 31)  # the period ends 2030-01-01 00:00 UTC: 7 pm on Dec 31 at the spa

    # A month later Stripe Billing charges again: invoice.paid, the subscription re-fetched with the next period.
    fake.replace(responses.GET, f"{STRIPE_BASE}/v1/subscriptions/sub_1", json=_subscription("active", row.pk, period_end=1896134400))
    paid = {"id": "in_p", "object": "invoice", "parent": {"subscription_details": {"subscription": "sub_1"}}}
    with django_capture_on_commit_callbacks(execute=True):
        _post_event(stripe_event("evt_s1b", "invoice.paid", paid))
    membership.refresh_from_db()
    assert membership.renews_on == date(2030, 1, 31)
    # A late replay of the first period changes nothing: renews_on only moves forward.
    fake.replace(responses.GET, f"{STRIPE_BASE}/v1/subscriptions/sub_1", json=_subscription("active", row.pk))
    with django_capture_on_commit_callbacks(execute=True):
        _post_event(stripe_event("evt_s1c", "customer.subscription.updated", {"id": "sub_1", "object": "subscription"}))
    membership.refresh_from_db()
    assert membership.renews_on == date(2030, 1, 31)

    fake.replace(responses.GET, f"{STRIPE_BASE}/v1/subscriptions/sub_1", json=_subscription("past_due", row.pk))
    invoice = {"id": "in_2", "object": "invoice", "parent": {"subscription_details": {"subscription": "sub_1"}}}
    with django_capture_on_commit_callbacks(execute=True):
        _post_event(stripe_event("evt_s2", "invoice.payment_failed", invoice))
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PAST_DUE
    assert EmailLog.objects.filter(recipient=demo_spa.guest.email, kind="dunning").count() == 1
    with django_capture_on_commit_callbacks(execute=True):  # Stripe's smart retries fail again: no second dunning e-mail
        _post_event(stripe_event("evt_s2b", "invoice.payment_failed", {**invoice, "id": "in_2"}))
    assert EmailLog.objects.filter(recipient=demo_spa.guest.email, kind="dunning").count() == 1

    fake.replace(responses.GET, f"{STRIPE_BASE}/v1/subscriptions/sub_1", json=_subscription("canceled", row.pk))
    with django_capture_on_commit_callbacks(execute=True):
        _post_event(stripe_event("evt_s3", "customer.subscription.deleted", {"id": "sub_1", "object": "subscription"}))
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELLED


def test_saving_a_card_on_stripe_and_its_setup_intent_succeeded(stripe_on, demo_spa, django_capture_on_commit_callbacks):
    fake = stripe_on
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/customers", json={"id": "cus_1", "object": "customer"})
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/setup_intents",
             json={"id": "seti_1", "object": "setup_intent", "status": "requires_payment_method", "client_secret": "seti_1_secret",
                   "customer": "cus_1", "payment_method": None, "metadata": {}})
    api = APIClient()
    api.force_authenticate(demo_spa.premium)
    answer = api.post("/api/v1/me/payment-methods/setup/", {"consent": True}, format="json")
    assert answer.status_code == 200 and answer.json()["client_secret"] == "seti_1_secret"
    (call,) = [c for c in fake.calls if c.request.url.endswith("/v1/setup_intents")]
    assert _form(call)["usage"] == "off_session" and _form(call)["customer"] == "cus_1"
    assert call.request.headers["Idempotency-Key"].startswith("setup:")

    fake.add(responses.GET, f"{STRIPE_BASE}/v1/setup_intents/seti_1",
             json={"id": "seti_1", "object": "setup_intent", "status": "succeeded", "customer": "cus_1", "payment_method": "pm_1",
                   "metadata": {}})
    fake.add(responses.GET, f"{STRIPE_BASE}/v1/payment_methods/pm_1",
             json={"id": "pm_1", "object": "payment_method", "card": {"brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2031}})
    event = stripe_event("evt_c1", "setup_intent.succeeded", {"id": "seti_1", "object": "setup_intent"})
    with django_capture_on_commit_callbacks(execute=True):
        _post_event(event)
        _post_event(event)  # delivered twice: one card
    assert api.get("/api/v1/me/payment-methods/").json() == [
        {"id": "pm_1", "brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2031, "default": True}]
    assert SavedCard.objects.filter(user=demo_spa.premium).count() == 1


def test_the_cards_page_on_stripe_mounts_the_payment_element_for_the_setup_intent(stripe_on, demo_spa, client):
    fake = stripe_on
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/customers", json={"id": "cus_1", "object": "customer"})
    fake.add(responses.POST, f"{STRIPE_BASE}/v1/setup_intents",
             json={"id": "seti_1", "object": "setup_intent", "status": "requires_payment_method", "client_secret": "seti_1_secret",
                   "customer": "cus_1", "payment_method": None, "metadata": {}})
    client.force_login(demo_spa.premium)
    assert b"js.stripe.com" not in client.get("/payments/cards/").content  # Stripe.js only where a card is entered
    page = client.post("/payments/cards/", {"consent": "yes"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-client-secret="seti_1_secret"' in html and "https://js.stripe.com/v3/" in html and "js/stripe-element.js" in html and 'data-stripe-confirm="setup"' in html
    (call,) = [c for c in fake.calls if c.request.url.endswith("/v1/setup_intents")]
    assert _form(call)["usage"] == "off_session"
