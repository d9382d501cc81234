"""The membership lifecycle as one transition table; every change leaves a ``MembershipEvent``.

``active`` ⇄ ``past_due`` (a failed renewal, then a paid one), either → ``cancelled``
(final). Stripe's subscription events, the member's own cancel, the admin and
scheduled jobs all go through ``membership_transition``.
"""

from __future__ import annotations

from django.utils import timezone

from coresync.core.errors import Conflict

from .models import Membership, MembershipEvent
from .signals import membership_changed

S = Membership.Status
ALLOWED: dict[str, frozenset[str]] = {
    S.ACTIVE: frozenset({S.PAST_DUE, S.CANCELLED}),
    S.PAST_DUE: frozenset({S.ACTIVE, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}


def membership_record(membership: Membership, *, to: str, from_status: str = "", actor=None, channel: str,
                      label: str = "", reason: str = "") -> MembershipEvent:
    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    event = MembershipEvent.objects.create(
        membership=membership, from_status=from_status, to_status=to, actor=actor if signed_in else None,
        actor_label=label or (actor.email if signed_in else ""), channel=channel, reason=reason[:200],
    )
    membership_changed.send(sender=Membership, membership=membership, event=event)
    return event


def membership_transition(membership: Membership, *, to: str, actor=None, channel: str, label: str = "",
                          reason: str = "") -> MembershipEvent | None:
    """Move a *locked* membership to ``to``; the same status again is a no-op (returns None), an illegal move a 409."""
    previous = membership.status
    if previous == to:
        return None
    if to not in ALLOWED.get(previous, frozenset()):
        raise Conflict(f"A {membership.get_status_display().lower()} membership cannot become {S(to).label.lower()}.",
                       code="invalid_membership_state")
    membership.status = to
    membership.updated_at = timezone.now()
    membership.save(update_fields=["status", "updated_at"])
    return membership_record(membership, to=to, from_status=previous, actor=actor, channel=channel, label=label, reason=reason)
