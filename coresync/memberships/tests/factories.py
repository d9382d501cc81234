"""Membership factories, and the people who hold memberships."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from coresync.accounts.models import User
from coresync.memberships.models import Membership, MembershipTier


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    name = factory.Sequence(lambda n: f"Person {n}")
    role = User.Role.CUSTOMER

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_unusable_password()
        if create:
            user.save(update_fields=["password"])


class MembershipTierFactory(DjangoModelFactory):
    class Meta:
        model = MembershipTier

    slug = factory.Sequence(lambda n: f"tier-{n}")
    name = factory.Sequence(lambda n: f"Tier {n}")
    price_column = "base"
    discount_percent = Decimal("30")
    booking_window_days = 60
    monthly_price = Decimal("149.00")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tier = factory.SubFactory(MembershipTierFactory)
    status = Membership.Status.ACTIVE
    member_number = factory.Sequence(lambda n: f"T-{n:08d}")
    started_on = date(2026, 1, 1)
