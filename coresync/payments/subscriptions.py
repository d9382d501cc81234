"""Memberships billed monthly: subscribe, cancel at period end, and follow the provider's subscription.

The membership's state only ever changes through the memberships services
(``membership_create`` / ``membership_set_past_due`` / ``membership_reactivate`` /
``membership_cancel``), driven by the re-fetched subscription: ``active`` on
creation and ``invoice.paid``, ``past_due`` on a failed invoice (with a dunning
e-mail), ended on deletion. The welcome e-mail follows the first activation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from coresync.core.errors import Conflict, NotFound
from coresync.integrations.payments import SubscriptionResult, payment_provider
from coresync.integrations.references import external_lookup, external_ref, external_ref_set
from coresync.memberships.models import Membership, MembershipTier
from coresync.memberships.services import membership_cancel, membership_create, membership_reactivate, membership_set_past_due
from coresync.outbox.services import outbox_enqueue

from .models import MembershipSubscription
from .services import cents, customer_id_for, default_card

CURRENT = (Membership.Status.ACTIVE, Membership.Status.PAST_DUE)
PAST_DUE = ("past_due", "unpaid")
ENDED = ("canceled", "incomplete_expired")


def current_membership(user) -> Membership | None:
    return Membership.objects.filter(user=user, status__in=CURRENT).select_related("tier").first()


def membership_subscribe(*, user, tier_slug: str) -> dict:
    """Subscribe ``user`` to a tier (a change of tier takes effect when the new subscription is paid)."""
    tier = MembershipTier.objects.filter(slug=tier_slug, active=True).first()
    if tier is None:
        raise NotFound("No membership tier with that name.", code="tier_not_found")
    current = current_membership(user)
    if current is not None and current.tier_id == tier.pk:
        raise Conflict(f"You are already a {tier.name} member.", code="already_member")
    provider = payment_provider()
    row = MembershipSubscription.objects.filter(user=user, tier=tier, provider=provider.identifier, status="incomplete").first()
    if row is None:
        row = MembershipSubscription.objects.create(user=user, tier=tier, provider=provider.identifier,
                                                    idempotency_key=f"subscription:{uuid.uuid4().hex}")
    reference = external_ref(row, system=row.provider, kind="subscription")
    if reference is not None:
        result = provider.subscription_get(reference.external_id)
    else:
        card = default_card(user, provider=provider.identifier)
        method = external_ref(card, system=card.provider, kind="payment_method") if card else None
        result = provider.subscription_create(
            customer=customer_id_for(user, provider=provider.identifier), tier_slug=tier.slug, tier_name=tier.name,
            amount=cents(tier.monthly_price), currency="usd", idempotency_key=row.idempotency_key,
            metadata={"subscription_id": str(row.pk), "tier": tier.slug, "user_id": str(user.pk)},
            payment_method=method.external_id if method else "",
        )
        external_ref_set(row, system=row.provider, kind="subscription", external_id=result.id)
    _apply(row.pk, result, event_type="")
    body = {"status": result.status, "tier": tier.slug}
    if result.status == "incomplete":
        if result.checkout_url:
            body["checkout_url"] = result.checkout_url
        if result.client_secret and provider.uses_stripe_js:
            body["client_secret"] = result.client_secret
    return body


def membership_subscription_cancel(*, user) -> dict:
    """Cancel at the end of the paid period; a membership billed outside the provider (made by staff) ends now."""
    membership = current_membership(user)
    if membership is None:
        raise Conflict("You have no membership to cancel.", code="no_membership")
    row = MembershipSubscription.objects.filter(membership=membership).exclude(status__in=ENDED).first()
    if row is None:
        membership_cancel(membership=membership, actor=user, channel="web", reason="cancelled by the member")
        return {"status": "cancelled", "cancel_at_period_end": False}
    reference = external_ref(row, system=row.provider, kind="subscription")
    result = payment_provider(row.provider).subscription_cancel(reference.external_id, idempotency_key=f"{row.idempotency_key}:cancel")
    _apply(row.pk, result, event_type="")
    row.refresh_from_db()
    ends = row.current_period_end.isoformat() if row.current_period_end else None
    return {"status": result.status, "cancel_at_period_end": True, "ends_at": ends}


def subscription_event_apply(*, provider: str, subscription_id: str, event_type: str, event_key: str) -> None:
    """An event named a subscription: re-fetch it and apply (safe to run twice; events may come in any order)."""
    row = external_lookup(MembershipSubscription, system=provider, kind="subscription", external_id=subscription_id)
    result = payment_provider(provider).subscription_get(subscription_id)
    if row is None and result.metadata.get("subscription_id", "").isdigit():
        row = MembershipSubscription.objects.filter(pk=int(result.metadata["subscription_id"]), provider=provider).first()
    if row is None:
        return
    _apply(row.pk, result, event_type=event_type, event_key=event_key)


def _apply(row_id: int, result: SubscriptionResult, *, event_type: str, event_key: str = "") -> None:
    with transaction.atomic():
        row = MembershipSubscription.objects.select_for_update(of=("self",)).select_related("membership", "tier", "user").get(pk=row_id)
        row.status = result.status
        row.cancel_at_period_end = result.cancel_at_period_end
        if result.current_period_end:  # only ever forward: a late re-fetch of an older period cannot pull it back
            period_end = datetime.fromtimestamp(result.current_period_end, tz=UTC)
            row.current_period_end = max(period_end, row.current_period_end or period_end)
        if result.status in ("active", "trialing"):
            _activate(row)
            _renews_on_follow(row)
        elif result.status in PAST_DUE and row.membership and row.membership.status == Membership.Status.ACTIVE:
            membership_set_past_due(membership=row.membership, channel="payment", reason="renewal failed")
        elif result.status in ENDED and row.membership and row.membership.status in CURRENT:
            membership_cancel(membership=row.membership, channel="payment", reason="subscription ended")
        if row.membership and (event_type == "invoice.payment_failed" or result.status in PAST_DUE):
            # One dunning e-mail per missed renewal, however many failed attempts and events follow:
            # the membership's renewal date only moves on once a renewal is paid.
            due = Membership.objects.values_list("renews_on", flat=True).get(pk=row.membership_id)
            outbox_enqueue(kind="payments.email", dedupe_key=f"payments.email:dunning:{row.membership_id}:{due or 'first'}",
                           payload={"kind": "dunning", "subscription_id": row.pk})
        row.save()


def _renews_on_follow(row: MembershipSubscription) -> None:
    """The membership renews when the paid period ends (the provider's ``current_period_end``, in the spa's calendar)."""
    if row.membership_id is None or row.current_period_end is None:
        return
    renews_on = timezone.localdate(row.current_period_end)
    membership = row.membership
    if membership.renews_on != renews_on:
        membership.renews_on = renews_on
        membership.save(update_fields=["renews_on", "updated_at"])  # a save (not update()), so the change history has it


def _activate(row: MembershipSubscription) -> None:
    membership = row.membership
    if membership is None:
        current = current_membership(row.user)
        if current is not None:  # a change of tier: the old membership ends as the new one starts
            membership_cancel(membership=current, channel="payment", reason=f"changed to {row.tier.name}")
        row.membership = membership_create(user=row.user, tier=row.tier, card_on_file=True, channel="payment",
                                           started_on=timezone.localdate())
    elif membership.status == Membership.Status.PAST_DUE:
        membership_reactivate(membership=membership, channel="payment", reason="renewal paid")
