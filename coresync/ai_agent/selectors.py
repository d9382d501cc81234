"""Reads for the concierge: FAQ facts (cached), the caller's own bookings, conversations for managers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q, QuerySet

from .models import Conversation, FaqEntry

FAQ_ENTRIES_KEY = "ai:faq:entries"


@dataclass(frozen=True)
class LocationFacts:
    name: str
    address: str
    phone: str
    email: str
    map_url: str
    directions: str
    parking: str
    what_to_bring: str
    cancellation_policy: str
    free_cancellation_hours: int
    hours: tuple[tuple[int, str, str], ...]  # (weekday, "09:00", "21:00")


_facts_memo: dict[str, LocationFacts | None] = {}  # {catalog version: facts}, one version at a time


def location_facts(version: str | None = None) -> LocationFacts | None:
    """The location's editable facts, cached per catalog version (edits in the admin bump it).

    Pass the catalog ``version`` the turn already read to skip reading it again;
    facts are kept in this process per version, then in the shared cache.
    """
    from coresync.catalog.selectors import catalog_version

    global _facts_memo
    version = version or catalog_version()
    memo = _facts_memo
    if version in memo:
        return memo[version]
    key = f"ai:faq:location:{version}"
    facts = cache.get(key)
    if facts is None:
        facts = _load_location_facts()
        cache.set(key, facts or False, timeout=3600)
    _facts_memo = {version: facts or None}
    return facts or None


def _load_location_facts() -> LocationFacts | None:
    from coresync.catalog.models import Location

    location = Location.objects.prefetch_related("opening_hours").order_by("id").first()
    if location is None:
        return None
    return LocationFacts(
        name=location.name,
        address=location.address,
        phone=location.phone,
        email=location.email,
        map_url=location.map_url,
        directions=location.directions,
        parking=location.parking,
        what_to_bring=location.what_to_bring,
        cancellation_policy=location.cancellation_policy,
        free_cancellation_hours=location.free_cancellation_hours,
        hours=tuple((h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in location.opening_hours.all()),
    )


def faq_entries() -> list[tuple[tuple[str, ...], str, str]]:
    """Active FAQ entries as ``(keywords, question, answer)``, cached until an entry changes."""
    entries = cache.get(FAQ_ENTRIES_KEY)
    if entries is None:
        entries = [(tuple(e.keyword_list), e.question, e.answer) for e in FaqEntry.objects.filter(active=True)]
        cache.set(FAQ_ENTRIES_KEY, entries, timeout=3600)
    return entries


def faq_match(folded: str, entries: list | None = None) -> tuple[str, str] | None:
    """The first FAQ entry (by position) with a keyword in the folded message: ``(question, answer)``.

    ``entries`` are the FAQ entries when already read this turn (see ``services.chat_turn``).
    """
    padded = f" {folded} "
    for keywords, question, answer in entries if entries is not None else faq_entries():
        for keyword in keywords:
            if re.search(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])", padded):
                return question, answer
    return None


def phone_digits(number: str) -> str:
    """The last ten digits: enough to compare '+1 (212) 555-0100' with '2125550100'."""
    return re.sub(r"\D", "", number or "")[-10:]


def upcoming_bookings_for(*, user=None, phone: str = "", now, limit: int = 5) -> list:
    """The caller's own upcoming active bookings: by account, or by the phone number they call from."""
    from coresync.bookings.models import ACTIVE_Q, Booking

    query = Q()
    if user is not None:
        query |= Q(customer_id=user.pk)
    digits = phone_digits(phone)
    if len(digits) >= 7:
        query |= Q(customer_phone__endswith=digits[-4:])
    if not query:
        return []
    rows = Booking.objects.select_related("service", "technician", "location").filter(ACTIVE_Q, query, start__gt=now)
    found = [b for b in rows.order_by("start")[: limit * 3] if _owned(b, user=user, digits=digits)]
    return found[:limit]


def _owned(booking, *, user, digits: str) -> bool:
    if user is not None and booking.customer_id == user.pk:
        return True
    return bool(digits) and phone_digits(booking.customer_phone) == digits


def booking_by_reference(reference: str):
    from coresync.bookings.models import Booking

    return Booking.objects.select_related("service", "technician", "location").filter(reference=reference.upper()[:12]).first()


def user_by_phone(phone: str):
    """A customer account whose phone number matches the caller's (phone callers are guests otherwise)."""
    from django.contrib.auth import get_user_model

    digits = phone_digits(phone)
    if len(digits) < 10:
        return None
    candidates = get_user_model().objects.filter(is_active=True, phone__endswith=digits[-4:])[:20]
    matches = [u for u in candidates if phone_digits(u.phone) == digits]
    return matches[0] if len(matches) == 1 else None


def conversations_for_manager(*, channel: str = "", outcome: str = "", handoff: bool | None = None) -> QuerySet[Conversation]:
    rows = Conversation.objects.select_related("customer", "booking")
    if channel:
        rows = rows.filter(channel=channel)
    if outcome:
        rows = rows.filter(outcome=outcome)
    if handoff is not None:
        rows = rows.filter(handoff=handoff)
    return rows.order_by("-updated_at")
