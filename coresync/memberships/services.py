"""Memberships: start one, cancel one. Stripe subscriptions drive these later through the same functions."""

from __future__ import annotations

import secrets
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils import timezone

from coresync.core.errors import Conflict
from coresync.core.transactions import on_commit

from . import signals
from .models import Membership, MembershipTier


def new_member_number() -> str:
    return "M-" + "".join(secrets.choice("0123456789") for _ in range(8))


def membership_create(
    *,
    user,
    tier: MembershipTier,
    started_on: date | None = None,
    card_on_file: bool = False,
    stripe_customer_id: str = "",
    stripe_subscription_id: str = "",
) -> Membership:
    """Start a membership; a user has at most one current membership (enforced by the database)."""
    started_on = started_on or timezone.localdate()
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user,
                tier=tier,
                member_number=new_member_number(),
                started_on=started_on,
                renews_on=started_on + relativedelta(months=1),
                card_on_file=card_on_file,
                stripe_customer_id=stripe_customer_id,
                stripe_subscription_id=stripe_subscription_id,
            )
    except IntegrityError:
        raise Conflict("This person already has a membership.", code="membership_exists") from None
    on_commit(signals.membership_created.send, sender=Membership, membership=membership)
    return membership


def membership_cancel(*, membership: Membership) -> Membership:
    Membership.objects.filter(pk=membership.pk).update(status=Membership.Status.CANCELLED, updated_at=timezone.now())
    membership.refresh_from_db()
    return membership
