"""Token authentication reads the caller and their active tier in one statement, and refuses what DRF refuses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from coresync.memberships.authentication import TokenAuthentication
from coresync.memberships.models import Membership
from coresync.memberships.selectors import membership_tier_id_for

from .factories import MembershipFactory, MembershipTierFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_active_tier_comes_with_the_token_in_one_statement():
    member = UserFactory()
    MembershipFactory(user=member, tier=MembershipTierFactory(), status=Membership.Status.CANCELLED)
    active = MembershipFactory(user=member, tier=MembershipTierFactory())
    key = Token.objects.create(user=member).key
    with CaptureQueriesContext(connection) as captured:
        user, token = TokenAuthentication().authenticate_credentials(key)
        assert membership_tier_id_for(user) == active.tier_id  # the cancelled one is not the tier
    assert len(captured.captured_queries) == 1
    assert user == member and token.key == key and token.user == member


def test_a_caller_without_a_membership_has_no_tier():
    user, _ = TokenAuthentication().authenticate_credentials(Token.objects.create(user=UserFactory()).key)
    assert membership_tier_id_for(user) is None


def test_an_unknown_token_and_an_inactive_user_are_refused():
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        TokenAuthentication().authenticate_credentials("0" * 40)
    key = Token.objects.create(user=UserFactory(is_active=False)).key
    with pytest.raises(AuthenticationFailed, match="inactive"):
        TokenAuthentication().authenticate_credentials(key)


def test_a_bad_token_over_http_is_a_401_in_the_error_shape(client):
    response = client.get("/api/v1/me/payment-methods/", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert response.json()["error"]["code"]
