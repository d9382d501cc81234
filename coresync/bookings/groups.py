"""Group bookings (SPEC §10.7): two to six people at one start, booked all or nothing.

Every person gets their own ``Booking`` (own service, add-ons, contact and price)
on a different technician; a room that holds several people (``Room.capacity``,
the couples suite) takes more than one person of the party, other rooms one.
The bookings share a ``BookingGroup``. Placement reuses the single booking's
checks (``services._check_start``) inside ONE transaction, and the database
remains the guarantee: PostgreSQL's exclusion constraints refuse any overlap on a
technician, and on a room between different parties.

Who pays what: the organiser is the signed-in customer (else ``guest``, else the
first person). The first person of the party is the organiser themself and gets
the organiser's membership price; everyone else pays the non-member price (a
membership is personal). The booking window is the organiser's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from coresync.catalog.selectors import CatalogSnapshot, ServiceInfo, catalog_snapshot, epoch_minutes
from coresync.core.errors import ApplicationError, IdempotencyKeyReused, InvalidBookingState, SlotUnavailable, ValidationFailed
from coresync.core.transactions import on_commit

from . import signals
from .availability import build_grid, overlap_mask, technician_masks
from .models import Booking, BookingAddOn, BookingGroup, BookingStatus, Channel, EventKind, IdempotencyKey
from .selectors import addon_infos, booking_window_for, local_clock, read_models, search_plan, service_info
from .services import (
    MAX_ATTEMPTS,
    GuestDetails,
    _announce,
    _booking_insert,
    _booking_move,
    _channel_of,
    _check_changeable,
    _check_start,
    _is_overlap,
    _Placement,
    _prepare,
    _Request,
    booking_cancel,
    booking_quote,
    booking_reschedule,
    clean_guest,
    clean_text,
)
from .transitions import booking_record

MIN_PARTY, MAX_PARTY = 2, 6
_CHANGEABLE = (BookingStatus.CONFIRMED, BookingStatus.PENDING_PAYMENT)


@dataclass(frozen=True)
class PartyMember:
    """One person of a party; a missing ``service`` is the group's, a missing e-mail or phone the organiser's."""

    name: str
    email: str = ""
    phone: str = ""
    service: str | None = None
    addons: Sequence[str] = ()


@dataclass
class GroupBooking:
    group: BookingGroup
    bookings: list[Booking]


def check_party_size(people: int) -> None:
    if not MIN_PARTY <= people <= MAX_PARTY:
        raise ValidationFailed(
            f"A group booking is for {MIN_PARTY} to {MAX_PARTY} people.", code="invalid_party_size",
            fields={"party": [f"Between {MIN_PARTY} and {MAX_PARTY} people."]},
        )


# --- placement -----------------------------------------------------------------------------------


def _assign_technicians(options: list[list[int]], used: frozenset[int] = frozenset()) -> list[int] | None:
    """A different technician for each person, each from their own (ordered) list; None when impossible."""
    if not options:
        return []
    for technician in options[0]:
        if technician not in used:
            rest = _assign_technicians(options[1:], used | {technician})
            if rest is not None:
                return [technician, *rest]
    return None


def _assign_rooms(options: list[list[int]], capacity: dict[int, int]) -> list[int] | None:
    """A room for each person: a room holds up to its capacity of the party; a room the party already has comes first."""
    seats: dict[int, int] = {}

    def place(i: int) -> list[int] | None:
        if i == len(options):
            return []
        for room in sorted(options[i], key=lambda r: r not in seats):  # stable: otherwise the engine's order
            taken = seats.get(room, 0)
            if taken >= capacity.get(room, 1):
                continue
            seats[room] = taken + 1
            rest = place(i + 1)
            if rest is not None:
                return [room, *rest]
            seats[room] = taken
            if not taken:
                del seats[room]
        return None

    return place(0)


@dataclass(frozen=True)
class _Seat:
    """What one person needs: a service with its add-ons, and the technician to keep if free (a move)."""

    info: ServiceInfo
    addons: tuple
    keep_technician: int | None = None


def _place_party(
    seats: list[_Seat], *, snapshot: CatalogSnapshot, start: datetime, viewer, now: datetime, staff: bool,
    exclude: tuple[int, ...] = (),
) -> list[_Placement]:
    """One placement per person at ``start`` (one technician, one room each). Must run inside the write transaction.

    The single booking's check runs once per distinct service and add-ons (so queries grow with the
    number of different treatments, never worse than with people); then technicians and rooms are matched.
    Raises ``SlotUnavailable`` when the party does not fit.
    """
    checked: dict[tuple, _Placement] = {}
    for seat in seats:
        key = (seat.info.id, tuple(a.id for a in seat.addons))
        if key not in checked:
            checked[key] = _check_start(
                snapshot=snapshot, service=seat.info, addons=list(seat.addons), start=start, viewer=viewer,
                technician_id=None, now=now, exclude_booking_id=exclude or None, staff=staff,
            )
    placements = [checked[(s.info.id, tuple(a.id for a in s.addons))] for s in seats]
    options = []
    for seat, placement in zip(seats, placements, strict=True):
        ids = placement.technician_ids
        if seat.keep_technician in ids:  # a move keeps each person's technician when free
            ids = [seat.keep_technician, *(t for t in ids if t != seat.keep_technician)]
        options.append(ids)
    technicians = _assign_technicians(options)
    capacity = {room_id: room.capacity for room_id, room in snapshot.rooms.items()}
    rooms = _assign_rooms([p.room_ids for p in placements], capacity)
    if technicians is None or rooms is None:
        raise SlotUnavailable("There is no time for everyone of the party together then.")
    return [
        replace(p, technician_ids=[technician], room_ids=[room])
        for p, technician, room in zip(placements, technicians, rooms, strict=True)
    ]


# --- create --------------------------------------------------------------------------------------


def _member_contact(member: PartyMember, organiser: GuestDetails, position: int) -> GuestDetails:
    try:
        return clean_guest(GuestDetails(
            name=member.name, email=member.email or organiser.email, phone=member.phone or organiser.phone,
        ))  # fmt: skip
    except ValidationFailed as error:
        raise ValidationFailed(
            error.message, fields={key.replace("guest.", f"party.{position}."): value for key, value in error.fields.items()}
        ) from None


def _prepare_party(*, service, start, party, customer, guest, channel, notes, ai_session_id, atlas_call_id, now):
    party = list(party)
    check_party_size(len(party))
    signed_in = customer is not None and getattr(customer, "is_authenticated", False)
    if not signed_in and guest is None:  # the first person books for everyone
        first = party[0]
        guest = GuestDetails(name=first.name, email=first.email, phone=first.phone)
    first_service = party[0].service or service
    organiser = _prepare(
        service=first_service, start=start, customer=customer, guest=guest, technician=None, addons=party[0].addons,
        notes=notes, channel=channel, ai_session_id=ai_session_id, atlas_call_id=atlas_call_id, now=now,
    )  # validates the organiser, the channel and the notes; prices the organiser's tier
    snapshot = organiser.snapshot
    requests: list[_Request] = []
    for position, member in enumerate(party):
        name = clean_text(member.name, field=f"party.{position}.name", max_length=150, required=True)
        contact = _member_contact(replace(member, name=name), organiser.contact, position)
        if position == 0:
            requests.append(replace(organiser, contact=contact))
            continue
        info = service_info(snapshot, member.service or service)
        addons = addon_infos(snapshot, info, member.addons)
        quote = booking_quote(service=info, addons=[a.slug for a in addons], tier=None)  # a membership is personal
        requests.append(replace(organiser, info=info, addon_list=addons, quote=quote, contact=contact))
    return organiser, requests


def booking_create_group(
    *,
    service: str | None,
    start: datetime,
    party: Sequence[PartyMember],
    customer=None,
    guest: GuestDetails | None = None,
    notes: str = "",
    channel: str = Channel.WEB,
    ai_session_id: str = "",
    atlas_call_id: str = "",
    now: datetime | None = None,
    in_transaction: Callable[[GroupBooking], None] | None = None,
) -> GroupBooking:
    """Book 2–6 people at ``start``, each on a different technician, all or nothing in one transaction.

    Raises ``SlotUnavailable`` (409) if anyone cannot be placed, ``OutsideBookingWindow`` (403) past the
    organiser's window, ``ValidationFailed`` (400) for bad input or a party of 1 or more than 6.
    ``in_transaction(result)`` runs inside the transaction (the idempotency key is written there).
    """
    organiser, requests = _prepare_party(
        service=service, start=start, party=party, customer=customer, guest=guest, channel=channel, notes=notes,
        ai_session_id=ai_session_id, atlas_call_id=atlas_call_id, now=now,
    )
    seats = [_Seat(info=r.info, addons=tuple(r.addon_list)) for r in requests]
    for _attempt in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                placements = _place_party(
                    seats, snapshot=organiser.snapshot, start=organiser.start, viewer=organiser.customer,
                    now=organiser.now, staff=channel == Channel.ADMIN,
                )
                group = BookingGroup.objects.create(
                    customer=organiser.customer, organiser_name=organiser.contact.name, organiser_email=organiser.contact.email,
                    organiser_phone=organiser.contact.phone, channel=channel, size=len(requests),
                )  # fmt: skip
                bookings = []
                for request, placement in zip(requests, placements, strict=True):
                    booking = _booking_insert(request=replace(request, group_id=group.pk), placement=placement)
                    booking.group = group
                    bookings.append(booking)
                result = GroupBooking(group=group, bookings=bookings)
                if in_transaction is not None:
                    in_transaction(result)
        except (IntegrityError, OperationalError) as error:
            if not _is_overlap(error):
                raise
            continue  # another party committed first: look again
        for booking in bookings:
            _announce(booking)
        return result
    raise SlotUnavailable()


def booking_create_group_idempotent(
    *, owner: str, key: str, payload: dict, render: Callable[[GroupBooking], dict], **create_kwargs
) -> tuple[int, dict, bool]:
    """``booking_create_group`` under an ``Idempotency-Key`` (as ``services.booking_create_idempotent``)."""
    key = clean_text(key, field="Idempotency-Key", max_length=200, required=True)
    request_hash = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    rendered: dict = {}

    def store_key(result: GroupBooking) -> None:
        rendered["body"] = render(result)
        IdempotencyKey.objects.create(
            owner=owner, key=key, request_hash=request_hash, booking=result.bookings[0], response_status=201,
            response_body=rendered["body"],
        )  # fmt: skip

    try:
        booking_create_group(**create_kwargs, in_transaction=store_key)
    except (ApplicationError, IntegrityError):
        stored = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if stored is None:
            raise
        if stored.request_hash != request_hash:
            raise IdempotencyKeyReused() from None
        return stored.response_status, stored.response_body, True
    return 201, rendered["body"], False


# --- cancel and move -----------------------------------------------------------------------------


def group_members(booking: Booking) -> list[Booking]:
    """The bookings of ``booking``'s party that can still change (the booking alone when it has no group)."""
    if booking.group_id is None:
        return [booking]
    return list(
        Booking.objects.select_related("location", "group").filter(group_id=booking.group_id, status__in=_CHANGEABLE).order_by("id")
    )


def booking_cancel_group(
    *, booking: Booking, actor=None, reason: str = "", now: datetime | None = None, channel: str | None = None
) -> list[Booking]:
    """Cancel every active booking of ``booking``'s party, all or nothing (one late member stops them all)."""
    if booking.group_id is None:
        return [booking_cancel(booking=booking, actor=actor, reason=reason, now=now, channel=channel)]
    with transaction.atomic():
        members = group_members(booking)
        if not members:  # nothing left to cancel: say why, as a single cancel would
            return [booking_cancel(booking=booking, actor=actor, reason=reason, now=now, channel=channel)]
        return [booking_cancel(booking=m, actor=actor, reason=reason, now=now, channel=channel) for m in members]


def booking_reschedule_group(
    *, booking: Booking, start: datetime, actor=None, now: datetime | None = None, channel: str | None = None
) -> list[Booking]:
    """Move every active booking of ``booking``'s party to ``start`` together, all or nothing.

    Each person keeps their technician when free; rooms are placed as for a new group.
    """
    if booking.group_id is None:
        return [booking_reschedule(booking=booking, start=start, actor=actor, now=now, channel=channel)]
    now = now or timezone.now()
    snapshot = catalog_snapshot()
    staff = actor is not None and getattr(actor, "is_staff", False)
    for _attempt in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                members = list(
                    Booking.objects.select_related("location", "group").select_for_update(of=("self",))
                    .filter(group_id=booking.group_id, status__in=_CHANGEABLE).order_by("id")
                )  # fmt: skip
                if not members:
                    _check_changeable(booking, actor=actor, now=now)  # raises: nothing to move
                moved = _move_members(members, start=start, snapshot=snapshot, actor=actor, now=now, staff=staff, channel=channel)
            for member, previous in moved:
                on_commit(signals.booking_rescheduled.send, sender=Booking, booking=member, previous_start=previous)
            return [member for member, _previous in moved]
        except (IntegrityError, OperationalError) as error:
            if not _is_overlap(error):
                raise
    raise SlotUnavailable()


def _move_members(members, *, start, snapshot: CatalogSnapshot, actor, now, staff: bool, channel) -> list[tuple[Booking, datetime]]:
    """Check and move locked ``members``; inside the transaction. Returns each booking with its previous start."""
    addons: dict[int, list] = {m.pk: [] for m in members}
    for booking_id, addon_id in BookingAddOn.objects.filter(booking__in=members).values_list("booking_id", "addon_id"):
        if addon_id in snapshot.addons:
            addons[booking_id].append(snapshot.addons[addon_id])
    seats = []
    for member in members:
        _check_changeable(member, actor=actor, now=now)
        info = snapshot.services.get(member.service_id)
        if info is None:
            raise InvalidBookingState("A service of this group is no longer offered; please call the spa.")
        seats.append(_Seat(info=info, addons=tuple(addons[member.pk]), keep_technician=member.technician_id))
    placements = _place_party(
        seats, snapshot=snapshot, start=start, viewer=members[0].customer, now=now, staff=staff,
        exclude=tuple(m.pk for m in members),
    )
    moved = []
    for member, placement in zip(members, placements, strict=True):
        previous = _booking_move(member, placement)
        booking_record(member, kind=EventKind.RESCHEDULED, actor=actor, channel=_channel_of(actor, channel), data={
            "from": previous.isoformat(), "to": member.start.isoformat(), "technician": member.technician_id,
            "room": member.room_id, "group": str(member.group.public_id),
        })  # fmt: skip
        moved.append((member, previous))
    return moved


# --- availability for N people -------------------------------------------------------------------


def group_availability(
    *, service: str | ServiceInfo, day: date, people: int, viewer=None, addons: Sequence[str] = (), now: datetime | None = None
) -> list[datetime]:
    """Starts on local ``day`` at which ``people`` can all have ``service`` together (aware, local time).

    A start is offered only when that many different technicians are free and the free rooms hold that
    many people (a couples suite counts its capacity) — what ``booking_create_group`` would accept.
    Two queries at most: the bookings of the day (and the caller's membership when signed in).
    """
    check_party_size(people)
    now = now or timezone.now()
    models = read_models()
    snapshot = models.catalog
    info = service if isinstance(service, ServiceInfo) else service_info(snapshot, service)
    addon_list = addon_infos(snapshot, info, addons)
    location = snapshot.locations[info.location_id]
    clock = local_clock(location.tz)
    window = booking_window_for(viewer=viewer, location=location, now=now, tiers=models.tiers)
    if day < clock.today(epoch_minutes(now)) or day > window.ends:
        return []
    plan = search_plan(
        snapshot=snapshot, schedule=models.schedule, service=info, addons=addon_list, days=[day], technician_id=None, now=now
    )
    grid = build_grid(plan.query, plan.clock)
    if not grid.starts:
        return []
    starts, block = grid.array, plan.query.block
    offered = grid.full & ~overlap_mask(starts, plan.query.closed, block) if plan.query.closed else grid.full
    technicians = list(technician_masks(plan.query, grid, plan.clock, plan.technicians).values())
    rooms = [(snapshot.rooms[r.id].capacity, grid.full & ~overlap_mask(starts, r.busy, block)) for r in plan.rooms]
    found = []
    for index, minute in enumerate(grid.starts):
        bit = 1 << index
        if not offered & bit:
            continue
        if sum(1 for mask in technicians if mask & bit) >= people and sum(c for c, mask in rooms if mask & bit) >= people:
            found.append(datetime.fromtimestamp(minute * 60, location.tz))
    return found
