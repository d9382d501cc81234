"""Memberships: one current membership per person, and the tier that sets a caller's window and prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coresync.accounts.models import User
from coresync.core.errors import Conflict
from coresync.memberships.models import Membership
from coresync.memberships.selectors import membership_tier_for, tiers_snapshot
from coresync.memberships.services import membership_cancel, membership_create
from coresync.memberships.tests.factories import MembershipFactory, MembershipTierFactory, UserFactory


def test_a_new_membership_is_active_and_renews_a_month_later(db):
    person, tier = UserFactory(), MembershipTierFactory()

    membership = membership_create(user=person, tier=tier, started_on=date(2030, 1, 31), card_on_file=True)

    assert membership.status == Membership.Status.ACTIVE
    assert membership.renews_on == date(2030, 2, 28)
    assert membership.member_number.startswith("M-") and len(membership.member_number) == 10
    assert membership.card_on_file is True


def test_a_person_has_at_most_one_current_membership(db):
    person = UserFactory()
    membership_create(user=person, tier=MembershipTierFactory())

    with pytest.raises(Conflict) as refused:
        membership_create(user=person, tier=MembershipTierFactory())

    assert refused.value.code == "membership_exists"
    assert Membership.objects.filter(user=person).count() == 1


def test_after_cancelling_a_new_membership_may_start(db):
    person = UserFactory()
    first = membership_create(user=person, tier=MembershipTierFactory())

    assert membership_cancel(membership=first).status == Membership.Status.CANCELLED
    second = membership_create(user=person, tier=MembershipTierFactory())

    assert second.status == Membership.Status.ACTIVE


def test_the_viewer_tier_is_the_active_membership_tier(db, django_assert_num_queries):
    tier = MembershipTierFactory(name="Gold", price_column="premium", discount_percent=Decimal("40"), booking_window_days=90)
    member = MembershipFactory(tier=tier).user
    viewer = User.objects.get(pk=member.pk)
    tiers_snapshot()  # warm: the tier itself comes from the tiers read model

    with django_assert_num_queries(1):
        found = membership_tier_for(viewer)
        assert membership_tier_for(viewer) == found  # remembered on the user object
    assert (found.name, found.price_column, found.discount_percent, found.window_days) == ("Gold", "premium", Decimal("40.00"), 90)


@pytest.mark.parametrize("status", [Membership.Status.PAST_DUE, Membership.Status.CANCELLED])
def test_a_membership_that_is_not_active_gives_no_tier(db, status):
    member = MembershipFactory(status=status).user

    assert membership_tier_for(User.objects.get(pk=member.pk)) is None


def test_anonymous_and_missing_viewers_have_no_tier(db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        assert membership_tier_for(None) is None
        assert membership_tier_for(AnonymousUser()) is None


def test_the_demo_members_hold_their_tiers(demo_spa):
    assert membership_tier_for(User.objects.get(pk=demo_spa.premium.pk)).slug == "premium"
    assert membership_tier_for(User.objects.get(pk=demo_spa.base.pk)).slug == "base"
    assert membership_tier_for(User.objects.get(pk=demo_spa.guest.pk)) is None
