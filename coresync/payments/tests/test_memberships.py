"""Memberships billed monthly on the local gateway: subscribe (tier change), renewals, dunning, cancel at period end."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from coresync.memberships.models import Membership
from coresync.notifications.models import EmailKind, EmailLog
from coresync.payments.gateway import LocalPaymentProvider, local_card_set_behaviour
from coresync.payments.models import LocalGatewayObject, MembershipSubscription

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _subscribe_and_pay(user, client, tier="premium"):
    started = _api(user).post("/api/v1/memberships/subscribe/", {"tier": tier}, format="json")
    assert started.status_code == 200, started.json()
    assert started.json()["status"] == "incomplete" and "checkout_url" in started.json()
    page = client.post("/" + started.json()["checkout_url"].split("://", 1)[1].split("/", 1)[1],
                       {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"})
    assert page.status_code == 302
    return LocalGatewayObject.objects.get(kind="subscription", data__customer__isnull=False, status="active")


def test_a_base_member_subscribes_to_premium_and_the_tier_changes_with_one_welcome(
    demo_spa, client, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe_and_pay(demo_spa.base, client)
    current = Membership.objects.get(user=demo_spa.base, status__in=["active", "past_due"])
    assert current.tier.slug == "premium"
    assert Membership.objects.filter(user=demo_spa.base, status="cancelled").exists()  # the Base one ended
    assert EmailLog.objects.filter(membership=current, kind=EmailKind.MEMBERSHIP_WELCOME).count() == 1


def test_subscribing_to_the_tier_one_has_is_a_409_and_an_unknown_tier_a_404(demo_spa):
    same = _api(demo_spa.premium).post("/api/v1/memberships/subscribe/", {"tier": "premium"}, format="json")
    assert same.status_code == 409 and same.json()["error"]["code"] == "already_member"
    unknown = _api(demo_spa.guest).post("/api/v1/memberships/subscribe/", {"tier": "platinum"}, format="json")
    assert unknown.status_code == 404
    assert _api(demo_spa.guest).post("/api/v1/memberships/subscribe/", {}, format="json").status_code == 400


def test_a_failed_renewal_makes_the_membership_past_due_with_a_dunning_email_then_it_ends(
    demo_spa, client, django_capture_on_commit_callbacks, settings,
):
    settings.PAYMENTS_LOCAL_DUNNING_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        subscription = _subscribe_and_pay(demo_spa.guest, client, tier="base")
    local_card_set_behaviour(subscription.data["payment_method"], "declined")
    later = time.time() + settings.PAYMENTS_LOCAL_PERIOD_SECONDS + 60
    with django_capture_on_commit_callbacks(execute=True):
        assert LocalPaymentProvider().subscriptions_renew(now=later) == 1
    membership = Membership.objects.get(user=demo_spa.guest, tier__slug="base")
    assert membership.status == Membership.Status.PAST_DUE
    assert EmailLog.objects.filter(recipient=demo_spa.guest.email, kind="dunning").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        LocalPaymentProvider().subscriptions_renew(now=later + settings.PAYMENTS_LOCAL_RETRY_SECONDS + 60)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.CANCELLED


def test_a_paid_renewal_keeps_the_membership_active(demo_spa, client, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        subscription = _subscribe_and_pay(demo_spa.guest, client, tier="base")
    with django_capture_on_commit_callbacks(execute=True):
        LocalPaymentProvider().subscriptions_renew(now=time.time() + settings.PAYMENTS_LOCAL_PERIOD_SECONDS + 60)
    subscription.refresh_from_db()
    assert subscription.status == "active" and subscription.data["current_period_end"] > time.time() + 60
    assert Membership.objects.get(user=demo_spa.guest).status == Membership.Status.ACTIVE


def test_cancel_ends_at_period_end(demo_spa, client, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe_and_pay(demo_spa.guest, client, tier="base")
    with django_capture_on_commit_callbacks(execute=True):
        answer = _api(demo_spa.guest).post("/api/v1/memberships/cancel/", {}, format="json")
    assert answer.status_code == 200 and answer.json()["cancel_at_period_end"] is True
    assert Membership.objects.get(user=demo_spa.guest).status == Membership.Status.ACTIVE  # paid until the period ends
    assert MembershipSubscription.objects.get(user=demo_spa.guest).cancel_at_period_end
    with django_capture_on_commit_callbacks(execute=True):
        LocalPaymentProvider().subscriptions_renew(now=time.time() + settings.PAYMENTS_LOCAL_PERIOD_SECONDS + 60)
    assert Membership.objects.get(user=demo_spa.guest).status == Membership.Status.CANCELLED
    again = _api(demo_spa.guest).post("/api/v1/memberships/cancel/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_membership"


def test_the_membership_page_subscribes_through_the_card_page(demo_spa, client, django_capture_on_commit_callbacks):
    client.force_login(demo_spa.base)
    page = client.get("/payments/membership/")
    assert page.status_code == 200 and b'data-tier="premium"' in page.content
    chosen = client.post("/payments/membership/", {"tier": "premium"})
    assert chosen.status_code == 302 and "/payments/local/checkout/" in chosen["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(chosen["Location"], {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"})
    assert Membership.objects.get(user=demo_spa.base, status="active").tier.slug == "premium"
    assert b"You are a Premium member" in client.get("/payments/membership/").content


def test_each_paid_renewal_moves_renews_on_forward_and_the_account_page_shows_it(
    demo_spa, client, django_capture_on_commit_callbacks, settings,
):
    from datetime import UTC, datetime

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        subscription = _subscribe_and_pay(demo_spa.guest, client, tier="base")
    membership = Membership.objects.get(user=demo_spa.guest, status="active")
    first_end = subscription.data["current_period_end"]
    assert membership.renews_on == timezone.localdate(datetime.fromtimestamp(first_end, tz=UTC))
    seen = [membership.renews_on]
    now = time.time()
    for month in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            assert LocalPaymentProvider().subscriptions_renew(now=now + month * settings.PAYMENTS_LOCAL_PERIOD_SECONDS + 60) == 1
        membership.refresh_from_db()
        seen.append(membership.renews_on)
    assert seen[0] < seen[1] < seen[2], seen
    assert (seen[2] - seen[0]).days == 2 * settings.PAYMENTS_LOCAL_PERIOD_SECONDS // 86400
    client.force_login(demo_spa.guest)
    page = client.get("/accounts/membership/").content.decode()
    shown = page.split("data-renews-on>", 1)[1].split("<", 1)[0]
    assert shown.endswith(f"{seen[2]:%B} {seen[2].day}, {seen[2].year}"), shown


def test_a_past_due_membership_gets_one_dunning_email_however_many_attempts_fail(
    demo_spa, client, django_capture_on_commit_callbacks, settings,
):
    settings.PAYMENTS_LOCAL_DUNNING_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        subscription = _subscribe_and_pay(demo_spa.guest, client, tier="base")
    renews_on = Membership.objects.get(user=demo_spa.guest).renews_on
    local_card_set_behaviour(subscription.data["payment_method"], "declined")
    later = time.time() + settings.PAYMENTS_LOCAL_PERIOD_SECONDS + 60
    for attempt in range(3):  # the first failure and two retries: three invoice.payment_failed events
        with django_capture_on_commit_callbacks(execute=True):
            assert LocalPaymentProvider().subscriptions_renew(now=later + attempt * (settings.PAYMENTS_LOCAL_RETRY_SECONDS + 60)) == 1
    membership = Membership.objects.get(user=demo_spa.guest)
    assert membership.status == Membership.Status.PAST_DUE and membership.renews_on == renews_on  # not moved: unpaid
    assert EmailLog.objects.filter(recipient=demo_spa.guest.email, kind="dunning").count() == 1
    client.force_login(demo_spa.guest)
    assert b"data-past-due" in client.get("/accounts/membership/").content
