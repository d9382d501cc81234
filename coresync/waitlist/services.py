"""The waitlist: join, leave, and the offer chain (freed slot → first match → hold → accept, or expire → next).

Race-free by construction: an offer is made inside a transaction that locks the
waiting entries it considers (``select_for_update(skip_locked=True)``, so two
handlers never pick the same entry), and two partial unique constraints allow
one open offer per entry and one per (technician, start). Every step is
idempotent: a freed slot is an outbox message keyed by the booking event that
freed it; a repeated run finds the offer already made.

The hold: while an offer is open, the slot is ours to give to its guest (no
other waitlist entry gets it); accepting books it through ``booking_create``
(same rules as any booking: window, overlap). A booking made meanwhile by
someone else through the site wins, and the guest is told the time was taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from coresync.bookings.selectors import availability_for, booking_window_for
from coresync.bookings.services import GuestDetails, booking_create, clean_guest
from coresync.catalog.selectors import catalog_snapshot
from coresync.core.errors import Conflict, NotFound, OutsideBookingWindow, PermissionDenied, SlotUnavailable, ValidationFailed
from coresync.outbox.services import outbox_enqueue

from .models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer

SIGNING_SALT = "coresync.waitlist.offer"
MAX_DAYS = 90


@dataclass(frozen=True)
class FreedSlot:
    location_id: int
    technician_id: int
    start: datetime
    end: datetime  # until when the technician is free (the freed booking's blocked_until)


def _service_info(slug: str):
    info = catalog_snapshot().services_by_slug.get(slug) if isinstance(slug, str) else None
    if info is None:
        raise ValidationFailed("Unknown service.", fields={"service": ["Unknown service."]})
    return info


def waitlist_join(
    *, service: str, date_from: date, date_to: date, time_from: time | None = None, time_to: time | None = None,
    customer=None, guest: GuestDetails | None = None, now: datetime | None = None,
) -> WaitlistEntry:
    """Put a signed-in customer or a guest on the waitlist. 400 on a bad range, 403 past the caller's booking window."""
    now = now or timezone.now()
    info = _service_info(service)
    location = catalog_snapshot().locations[info.location_id]
    today = now.astimezone(location.tz).date()
    if date_to < date_from:
        raise ValidationFailed("date_to is before date_from.", fields={"date_to": ["Must not be before date_from."]})
    if date_from < today:
        raise ValidationFailed("The range starts in the past.", fields={"date_from": ["Today or later."]})
    if (date_to - date_from).days > MAX_DAYS:
        raise ValidationFailed("Ask for at most 90 days.", fields={"date_to": ["At most 90 days after date_from."]})
    if (time_from is None) != (time_to is None) or (time_from and time_to <= time_from):
        raise ValidationFailed("Give both times, the second after the first.", fields={"time_to": ["After time_from."]})
    window = booking_window_for(viewer=customer, location=location, now=now)
    if date_to > window.ends:
        raise OutsideBookingWindow(f"You can book and wait for times up to {window.ends.isoformat()}.",
                                   fields={"date_to": [f"On or before {window.ends.isoformat()}."]})
    if customer is not None and getattr(customer, "is_authenticated", False):
        name, email, phone = customer.name or customer.email, customer.email, customer.phone
    elif guest is not None:
        contact = clean_guest(guest)
        name, email, phone = contact.name, contact.email, contact.phone
        customer = None
    else:
        raise ValidationFailed("Tell us who you are.", fields={"guest": ["name and email are required."]})
    return WaitlistEntry.objects.create(
        location_id=info.location_id, service_id=info.id, customer=customer, name=name, email=email, phone=phone,
        date_from=date_from, date_to=date_to, time_from=time_from, time_to=time_to,
    )


def entry_token(entry: WaitlistEntry) -> str:
    return signing.dumps({"entry": entry.pk}, salt=SIGNING_SALT + ".entry")


def waitlist_leave(*, entry_id: int, user=None, token: str = "") -> WaitlistEntry:
    """Leave the waitlist (the entry's owner, a manager, or whoever holds the token given at joining). Idempotent."""
    entry = WaitlistEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("No such waitlist entry.")
    allowed = getattr(user, "is_manager", False) or (entry.customer_id and entry.customer_id == getattr(user, "pk", None))
    if not allowed and token:
        try:
            allowed = signing.loads(token, salt=SIGNING_SALT + ".entry").get("entry") == entry.pk
        except signing.BadSignature:
            allowed = False
    if not allowed:
        raise PermissionDenied("This is not your waitlist entry.")
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status in (EntryStatus.WAITING, EntryStatus.OFFERED):
            opened = list(entry.offers.filter(status=OfferStatus.OPEN))
            entry.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.WITHDRAWN)
            entry.status = EntryStatus.CANCELLED
            entry.save(update_fields=["status", "updated_at"])
            for offer in opened:  # the held time goes to the next in line
                _enqueue_freed(FreedSlot(entry.location_id, offer.technician_id, offer.start, offer.start), f"withdrawn:{offer.pk}")
    return entry


# --- The chain --------------------------------------------------------------------------


def _enqueue_freed(slot: FreedSlot, cause: str) -> None:
    outbox_enqueue(
        kind="waitlist.slot_freed", dedupe_key=f"waitlist:freed:{cause}",
        payload={"location_id": slot.location_id, "technician_id": slot.technician_id,
                 "start": slot.start.isoformat(), "end": slot.end.isoformat()},
    )


def slot_freed_enqueue(*, booking, start: datetime, cause: str) -> None:
    """Called in the transaction that frees ``booking``'s time at ``start`` (cancel, move, expired hold)."""
    _enqueue_freed(FreedSlot(booking.location_id, booking.technician_id, start, start + (booking.blocked_until - booking.start)), cause)


def _candidates(slot: FreedSlot, local_day: date, local_clock: time):
    entries = WaitlistEntry.objects.filter(
        location_id=slot.location_id, status=EntryStatus.WAITING, date_from__lte=local_day, date_to__gte=local_day,
    ).exclude(offers__technician_id=slot.technician_id, offers__start=slot.start)
    return [
        e for e in entries.select_for_update(skip_locked=True).order_by("created_at", "id")[:50]
        if e.time_from is None or e.time_from <= local_clock < e.time_to
    ]


def _fits(entry: WaitlistEntry, slot: FreedSlot, now: datetime) -> bool:
    """Is ``slot.start`` a start the engine offers this entry's service at, on the freed technician, in the guest's window?"""
    info = catalog_snapshot().services.get(entry.service_id)
    if info is None:
        return False
    location = catalog_snapshot().locations[info.location_id]
    day = slot.start.astimezone(location.tz).date()
    found = availability_for(service=info, date_from=day, date_to=day, viewer=entry.customer, technician_id=slot.technician_id, now=now)
    return any(s.start == slot.start for s in found.slots)


def waitlist_offer(slot: FreedSlot, *, now: datetime | None = None) -> WaitlistOffer | None:
    """Offer ``slot`` to the first waiting entry it suits (None when nobody fits or the slot is already on offer)."""
    now = now or timezone.now()
    location = catalog_snapshot().locations.get(slot.location_id)
    if location is None or slot.start <= now:
        return None
    local = slot.start.astimezone(location.tz)
    if WaitlistOffer.objects.filter(technician_id=slot.technician_id, start=slot.start, status=OfferStatus.OPEN).exists():
        return None
    try:
        with transaction.atomic():
            for entry in _candidates(slot, local.date(), local.time()):
                if not _fits(entry, slot, now):
                    continue
                offer = WaitlistOffer.objects.create(
                    entry=entry, technician_id=slot.technician_id, start=slot.start,
                    expires_at=now + timedelta(minutes=settings.WAITLIST_HOLD_MINUTES),
                )
                entry.status = EntryStatus.OFFERED
                entry.save(update_fields=["status", "updated_at"])
                outbox_enqueue(kind="waitlist.offer_email", dedupe_key=f"waitlist:offer-email:{offer.pk}", payload={"offer_id": offer.pk})
                return offer
    except IntegrityError:
        return None  # another worker offered this slot (or to this entry) first: the database said no
    return None


def offers_expire(*, now: datetime | None = None) -> int:
    """Offers past their hold: the entry waits again (not for that slot), and the slot goes to the next in line."""
    now = now or timezone.now()
    expired = 0
    for offer_id in list(WaitlistOffer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now).values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            offer = WaitlistOffer.objects.select_for_update(skip_locked=True, of=("self",)).select_related("entry").filter(
                pk=offer_id, status=OfferStatus.OPEN).first()
            if offer is None:
                continue
            offer.status = OfferStatus.EXPIRED
            offer.save(update_fields=["status", "updated_at"])
            WaitlistEntry.objects.filter(pk=offer.entry_id, status=EntryStatus.OFFERED).update(status=EntryStatus.WAITING)
            _enqueue_freed(FreedSlot(offer.entry.location_id, offer.technician_id, offer.start, offer.start), f"expired:{offer.pk}")
        expired += 1
    return expired


# --- Accepting --------------------------------------------------------------------------


def offer_token(offer: WaitlistOffer) -> str:
    return signing.dumps({"offer": offer.pk}, salt=SIGNING_SALT)


def offer_from_token(token: str) -> WaitlistOffer:
    try:
        offer_id = signing.loads(token, salt=SIGNING_SALT, max_age=timedelta(days=2)).get("offer")
    except signing.BadSignature:
        raise NotFound("This link is not valid.") from None
    offer = WaitlistOffer.objects.select_related("entry", "booking").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound("This offer no longer exists.")
    return offer


class OfferClosed(Conflict):
    code = "offer_closed"
    default_message = "This offer has closed: its hold ran out or the time was given to someone else."


def offer_accept(*, offer: WaitlistOffer, now: datetime | None = None) -> WaitlistOffer:
    """Book the offered time for the entry's guest. Idempotent: a second click returns the same booking.

    409 ``offer_closed`` when the hold ran out, or when the time was booked by someone else meanwhile (the guest
    then waits again).
    """
    now = now or timezone.now()
    taken = False
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_for_update(of=("self",)).select_related("entry", "entry__customer", "booking").get(pk=offer.pk)
        )
        if offer.status == OfferStatus.ACCEPTED:
            return offer
        if offer.status != OfferStatus.OPEN or offer.expires_at <= now:
            raise OfferClosed()
        entry = offer.entry
        guest = None if entry.customer_id else GuestDetails(name=entry.name, email=entry.email, phone=entry.phone)
        try:
            booking = booking_create(
                service=catalog_snapshot().services[entry.service_id], start=offer.start, customer=entry.customer,
                guest=guest, technician=offer.technician_id, channel="web", notes="From the waitlist", now=now,
            )
        except SlotUnavailable:
            taken = True
            offer.status = OfferStatus.TAKEN
            offer.save(update_fields=["status", "updated_at"])
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.WAITING)
        else:
            offer.status, offer.booking = OfferStatus.ACCEPTED, booking
            offer.save(update_fields=["status", "booking", "updated_at"])
            entry.status, entry.booking = EntryStatus.BOOKED, booking
            entry.save(update_fields=["status", "booking", "updated_at"])
    if taken:
        raise OfferClosed("Sorry, that time was just taken. You are still on the waitlist.")
    return offer
