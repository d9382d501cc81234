"""Phrases that name services, categories, technicians and tiers, built from the read models.

Nothing here is hard-coded: a service added in the admin bumps the catalog
version, the next turn builds a new index from the new snapshot, and its name,
slug and synonyms are understood at once. The index is kept per catalog
version, tiers version and technicians' names (not their schedules: a time off
does not rebuild it), so a warm turn costs no query and no rebuild.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from coresync.catalog.selectors import ServiceInfo
from coresync.memberships.selectors import TierInfo

from .text import BASE_VOCABULARY, fold


@dataclass(frozen=True)
class CategoryEntry:
    id: int
    slug: str
    name: str
    description: str
    image: str
    service_ids: tuple[int, ...]


@dataclass
class CatalogIndex:
    version: str
    services: dict[int, ServiceInfo]  # the snapshot's own entries
    categories: dict[int, CategoryEntry]
    technicians: dict[int, str]
    tiers: dict[int, TierInfo]
    # folded phrase -> list of (kind, id); kinds: service, category, technician, tier
    phrases: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    max_words: int = 1
    vocabulary: frozenset[str] = frozenset()
    location_id: int | None = None
    timezone: object = None
    guest_window_days: int = 3
    free_cancellation_hours: int = 24
    key: tuple = ()  # what it was built from: (catalog version, tiers version, technicians' (id, name))
    addons: dict = field(default_factory=dict)  # id -> catalog.selectors.AddOnInfo
    addon_twins: dict = field(default_factory=dict)  # service id -> add-on ids one of its phrases also names ("hot stones")

    def services_in(self, category_id: int) -> list[ServiceInfo]:
        return [self.services[i] for i in self.categories[category_id].service_ids if i in self.services]

    def find(self, folded: str) -> dict[str, list[int]]:
        """Longest-first phrase matches in ``folded`` text: ``{"service": [ids], "category": [...], ...}``."""
        words = folded.split()
        found: dict[str, list[int]] = defaultdict(list)
        taken = [False] * len(words)
        for size in range(min(self.max_words, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                if any(taken[start : start + size]):
                    continue
                hits = self.phrases.get(" ".join(words[start : start + size]))
                if not hits:
                    continue
                kinds = {kind for kind, _ in hits}
                for kind, item_id in hits:
                    if item_id not in found[kind]:
                        found[kind].append(item_id)
                        if kind == "service":
                            found["service_at"].append(start)  # where it was said (word index), beside its id
                        elif kind == "addon":
                            found["addon_at"].append((start, start + size))  # its words, beside its id
                    if kind == "service" and "addon" in kinds and item_id not in found["shared"]:
                        found["shared"].append(item_id)
                for i in range(start, start + size):
                    taken[i] = True
        return dict(found)


def _variants(phrase: str) -> set[str]:
    folded = fold(phrase)
    out = {folded} if folded else set()
    if folded.endswith("s") and len(folded) > 4:
        out.add(folded[:-1])
    elif folded:
        out.add(folded + "s")
    if "-" in folded:
        out.add(folded.replace("-", " "))
        out.add(folded.replace("-", ""))
    return out


def _name_without(name: str, generic: set[str]) -> str:
    """'Deep Tissue Massage (60 min)' -> 'deep tissue' (the words that set it apart)."""
    words = [w for w in re.sub(r"\(.*?\)|\d+\s*min\w*", " ", fold(name)).split() if w not in generic]
    return " ".join(words)


def build_index(snapshot, *, tiers: dict[int, TierInfo], technicians: dict[int, str], key: tuple = ()) -> CatalogIndex:  # noqa: C901
    """A ``CatalogIndex`` from ``catalog.selectors.CatalogSnapshot``, the tiers and the technicians' names (one pass per kind)."""
    location = snapshot.main_location
    services = snapshot.services
    by_category: dict[int, list[int]] = defaultdict(list)
    for s in services.values():
        by_category[s.category_id].append(s.id)
    categories = {
        c.id: CategoryEntry(c.id, c.slug, c.name, c.description, c.image, tuple(by_category.get(c.id, ())))
        for c in snapshot.categories.values()
    }
    phrases: dict[str, list[tuple[str, int]]] = defaultdict(list)

    def add(phrase: str, kind: str, item_id: int) -> None:
        for variant in _variants(phrase):
            if variant and (kind, item_id) not in phrases[variant]:
                phrases[variant].append((kind, item_id))

    generic: set[str] = {"min", "minute", "minutes", "and", "the", "with", "of"}
    for c in snapshot.categories.values():
        for phrase in (c.name, c.slug, *c.synonyms):
            add(phrase, "category", c.id)
            generic |= _variants(phrase)
    for s in snapshot.services.values():
        for phrase in (s.name, s.slug, *s.synonyms):
            add(phrase, "service", s.id)
        distinct = _name_without(s.name, generic)
        if distinct and distinct not in phrases:
            add(distinct, "service", s.id)
        if distinct and " " in distinct:
            add(distinct.replace(" ", ""), "service", s.id)  # "deeptissue", "hotstone"
    for technician_id, name in technicians.items():
        full = fold(name)
        add(full, "technician", technician_id)
        first = full.split()[0] if full else ""
        if len(first) > 2:
            add(first, "technician", technician_id)
    addon_generic = {"treatment", "upgrade", "finish", "ritual", "add", "on", "addon"}
    for addon in getattr(snapshot, "addons", {}).values():
        add(addon.name, "addon", addon.id)
        add(addon.slug, "addon", addon.id)
        distinct = " ".join(w for w in fold(addon.name).split() if w not in addon_generic)
        if distinct:
            add(distinct, "addon", addon.id)
        first = distinct.split()[0] if distinct else ""
        if len(first) > 2 and first not in phrases and first not in ("hot", "cold", "warm"):
            add(first, "addon", addon.id)  # "the eye one"
    twins: dict[int, set[int]] = defaultdict(set)
    for hits in phrases.values():
        addon_ids = [i for kind, i in hits if kind == "addon"]
        for kind, item_id in hits:
            if kind == "service":
                twins[item_id].update(addon_ids)
    for tier in tiers.values():
        add(tier.name, "tier", tier.id)
        add(tier.slug, "tier", tier.id)
    words = {w for phrase in phrases for w in phrase.split() if w.isalpha()}
    return CatalogIndex(
        version=snapshot.version,
        services=services,
        categories=categories,
        technicians=technicians,
        tiers=tiers,
        phrases=dict(phrases),
        max_words=max((len(p.split()) for p in phrases), default=1),
        vocabulary=frozenset(BASE_VOCABULARY | words),
        location_id=location.id if location else None,
        timezone=location.tz if location else None,
        guest_window_days=location.guest_window_days if location else 3,
        free_cancellation_hours=location.free_cancellation_hours if location else 24,
        key=key,
        addons=dict(getattr(snapshot, "addons", {})),
        addon_twins={k: frozenset(v) for k, v in twins.items() if v},
    )


_lock = threading.Lock()
_current: dict[str, CatalogIndex] = {}


def current_index(snapshot=None) -> CatalogIndex:
    """The index of the current catalog snapshot, tiers and technicians' names (rebuilt only when one changes).

    The tiers and schedule versions are read in one cache round trip.
    """
    from coresync.core.snapshots import current_versions
    from coresync.memberships.selectors import TIERS_VERSION_KEY, tiers_snapshot
    from coresync.technicians.selectors import SCHEDULE_VERSION_KEY, schedule_snapshot

    if snapshot is None:
        from coresync.catalog.selectors import catalog_snapshot

        snapshot = catalog_snapshot()
    tiers_version, schedule_version = current_versions(TIERS_VERSION_KEY, SCHEDULE_VERSION_KEY)
    tiers = tiers_snapshot(tiers_version)
    roster = schedule_snapshot(schedule_version).roster
    key = (snapshot.version, tiers.version, roster)
    index = _current.get("index")
    if index is None or index.key != key:
        index = build_index(snapshot, tiers=tiers.tiers, technicians=dict(roster), key=key)
        with _lock:
            _current["index"] = index
    return index
