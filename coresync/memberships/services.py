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
from .transitions import membership_record, membership_transition


def new_member_number() -> str:
    return "M-" + "".join(secrets.choice("0123456789") for _ in range(8))


def membership_create(
    *,
    user,
    tier: MembershipTier,
    started_on: date | None = None,
    card_on_file: bool = False,
    actor=None,
    channel: str = "admin",
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
            )
            membership_record(membership, to=membership.status, actor=actor, channel=channel, label=user.email, reason="started")
    except IntegrityError:
        raise Conflict("This person already has a membership.", code="membership_exists") from None
    on_commit(signals.membership_created.send, sender=Membership, membership=membership)
    return membership


def membership_cancel(*, membership: Membership, actor=None, channel: str = "admin", reason: str = "") -> Membership:
    """End a membership now (its tier's prices and window stop at once). Cancelling twice changes nothing."""
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        membership_transition(locked, to=Membership.Status.CANCELLED, actor=actor, channel=channel, reason=reason)
    return locked


def membership_set_past_due(*, membership: Membership, actor=None, channel: str = "payment", reason: str = "") -> Membership:
    """A renewal failed: the member keeps the tier while the payment is retried (dunning)."""
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        membership_transition(locked, to=Membership.Status.PAST_DUE, actor=actor, channel=channel, reason=reason)
    return locked


def membership_reactivate(*, membership: Membership, actor=None, channel: str = "payment", reason: str = "") -> Membership:
    """A past-due renewal was paid."""
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        membership_transition(locked, to=Membership.Status.ACTIVE, actor=actor, channel=channel, reason=reason)
    return locked
