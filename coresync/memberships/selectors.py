"""Reads for memberships: the tiers (an in-memory read model) and a person's current tier.

Availability, quotes and the concierge read the tiers (discount, price column,
booking window) on every request; like the catalog they are built once per
*tiers version* and kept in process memory (``core.snapshots``), the version
bumped by any save or delete of a tier (``memberships.signals``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from coresync.core.snapshots import VersionedSnapshot

TIERS_VERSION_KEY = "memberships:tiers-version"


@dataclass(frozen=True)
class TierInfo:
    id: int
    slug: str
    name: str
    price_column: str
    discount_percent: Decimal
    window_days: int


@dataclass
class TierSnapshot:
    version: str
    tiers: dict[int, TierInfo]  # in the tiers' own order (position, monthly price)
    by_slug: dict[str, TierInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_slug = {t.slug: t for t in self.tiers.values()}


def _load_tiers(version: str) -> TierSnapshot:
    """One query."""
    from coresync.memberships.models import MembershipTier

    tiers = {
        t.id: TierInfo(
            id=t.id, slug=t.slug, name=t.name, price_column=t.price_column,
            discount_percent=t.discount_percent, window_days=t.booking_window_days,
        )
        for t in MembershipTier.objects.all()
    }
    return TierSnapshot(version=version, tiers=tiers)


_snapshot: VersionedSnapshot[TierSnapshot] = VersionedSnapshot(
    TIERS_VERSION_KEY, _load_tiers, max_age=lambda: settings.CATALOG_CACHE_SECONDS
)


def tiers_version() -> str:
    return _snapshot.version()


def tiers_snapshot(version: str | None = None) -> TierSnapshot:
    """The current tiers; zero queries when warm (one cache read unless ``version`` is given)."""
    return _snapshot.get(version)


def tiers_invalidate() -> None:
    _snapshot.invalidate()


def tiers_invalidate_on_commit(**_signal_kwargs) -> None:
    _snapshot.invalidate_on_commit()


TIER_ID_ATTRIBUTE = "_coresync_tier_id"  # set by the first read, or by the token authentication that read it with the token


def membership_tier_id_for(user) -> int | None:
    """The id of ``user``'s active membership tier, or None (one query, remembered on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, TIER_ID_ATTRIBUTE):
        from coresync.memberships.models import Membership

        tier_id = Membership.objects.filter(user_id=user.pk, status=Membership.Status.ACTIVE).values_list("tier_id", flat=True).first()
        setattr(user, TIER_ID_ATTRIBUTE, tier_id)
    return getattr(user, TIER_ID_ATTRIBUTE)


def membership_tier_for(user, *, tiers: TierSnapshot | None = None) -> TierInfo | None:
    """``user``'s active membership tier (one query the first time for this user object), or None."""
    tier_id = membership_tier_id_for(user)
    if tier_id is None:
        return None
    return (tiers or tiers_snapshot()).tiers.get(tier_id)
