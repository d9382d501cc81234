"""``membership_created(membership)``: sent after commit when a membership starts; ``connect()``: tier saves bump the tiers read model."""

from django.dispatch import Signal

membership_created = Signal()
# Sent INSIDE the transaction of every recorded membership change (``transitions.membership_record``), with its event.
membership_changed = Signal()


def connect() -> None:
    """Bump the tiers snapshot version after any change to a tier."""
    from django.db.models.signals import post_delete, post_save

    from .models import MembershipTier
    from .selectors import tiers_invalidate_on_commit

    post_save.connect(tiers_invalidate_on_commit, sender=MembershipTier, dispatch_uid="tiers-version-save")
    post_delete.connect(tiers_invalidate_on_commit, sender=MembershipTier, dispatch_uid="tiers-version-delete")
