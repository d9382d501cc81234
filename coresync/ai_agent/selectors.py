"""Reads for the concierge: FAQ facts (cached), the caller's own bookings, conversations for managers."""

from __future__ import annotations

import re

from django.core.cache import cache
from django.db.models import Q, QuerySet

from coresync.catalog.selectors import LocationInfo, catalog_snapshot

from .models import Conversation, FaqEntry

FAQ_ENTRIES_KEY = "ai:faq:entries"


def location_facts(snapshot=None) -> LocationInfo | None:
    """The location's editable facts (address, hours, parking, policies…), from the catalog snapshot.

    Pass the turn's ``snapshot`` to avoid reading the catalog version again; admin
    edits change the version, so answers follow them at once.
    """
    return (snapshot or catalog_snapshot()).main_location


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
        query |= Q(customer_phone=digits)  # through the phone's blind index (its last ten digits)
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
    """A customer account whose phone number matches the caller's (phone callers are guests otherwise).

    Never a staff, technician or manager account: caller ID is easy to forge, and a
    number must not carry anyone's powers. It greets and prices for the caller's
    tier; it proves nothing (cancelling or moving asks what the caller knows).
    """
    from django.contrib.auth import get_user_model

    digits = phone_digits(phone)
    if len(digits) < 10:
        return None
    User = get_user_model()
    candidates = User.objects.filter(
        is_active=True, is_staff=False, is_superuser=False, role=User.Role.CUSTOMER, phone=digits  # blind index
    )[:20]
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
