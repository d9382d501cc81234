"""Membership status changes go through one table and each leaves a history entry."""

from __future__ import annotations

import pytest

from coresync.core.errors import Conflict
from coresync.memberships.models import Membership, MembershipEvent
from coresync.memberships.services import membership_cancel, membership_create, membership_reactivate, membership_set_past_due
from coresync.memberships.tests.factories import MembershipTierFactory, UserFactory


def history(membership) -> list[tuple]:
    return list(MembershipEvent.objects.filter(membership=membership).values_list("from_status", "to_status", "channel"))


def test_a_membership_records_start_dunning_recovery_and_cancellation(db):
    person = UserFactory()
    membership = membership_create(user=person, tier=MembershipTierFactory(), channel="web", actor=person)
    membership_set_past_due(membership=membership, reason="invoice.payment_failed")
    membership_reactivate(membership=membership, reason="invoice.paid")
    membership_cancel(membership=membership, actor=person, channel="web", reason="moving away")

    assert history(membership) == [
        ("", "active", "web"), ("active", "past_due", "payment"), ("past_due", "active", "payment"), ("active", "cancelled", "web"),
    ]
    assert MembershipEvent.objects.filter(membership=membership).last().actor_id == person.pk


def test_cancelling_twice_changes_nothing_and_a_cancelled_membership_stays_cancelled(db):
    membership = membership_create(user=UserFactory(), tier=MembershipTierFactory())
    membership_cancel(membership=membership)
    membership_cancel(membership=membership)
    assert [h[1] for h in history(membership)] == ["active", "cancelled"]
    with pytest.raises(Conflict):
        membership_reactivate(membership=membership)
    assert Membership.objects.get(pk=membership.pk).status == Membership.Status.CANCELLED
