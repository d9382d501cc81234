"""Writes for bookings: quote, create, cancel, reschedule, expire holds.

The API, the concierge (chat and phone), the admin and the scheduled jobs all
call these functions. Each public function validates, then checks
availability *inside* the write transaction, then calls a private ``_insert``
/ ``_move`` that only mutates. Overlap is finally impossible because of the
database: PostgreSQL's exclusion constraints reject it, and on SQLite the
transaction is ``BEGIN IMMEDIATE`` so check and insert cannot interleave.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from coresync.catalog.selectors import CatalogSnapshot, ServiceInfo, catalog_snapshot, epoch_minutes
from coresync.core.errors import (
    ApplicationError,
    CancellationWindowClosed,
    IdempotencyKeyReused,
    InvalidBookingState,
    OutsideBookingWindow,
    SlotUnavailable,
    ValidationFailed,
)
from coresync.core.transactions import on_commit
from coresync.memberships.selectors import TierInfo

from . import signals
from .availability import build_grid, free_rooms_for_start, technician_order_for_start
from .models import Booking, BookingAddOn, BookingStatus, Channel, EventChannel, EventKind, IdempotencyKey
from .pricing import Quote, quote_for
from .selectors import addon_infos, booking_window_for, local_clock, search_plan, service_info, viewer_tier
from .transitions import booking_record, booking_transition

MAX_NOTES = 2000
MAX_ATTEMPTS = 3
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{7,24}$")
# Failures after which the whole attempt is simply tried again: an overlap committed by
# someone else first (exclusion constraints), or the rare clash of a random reference
# (30^6 codes: about 1 in 7,000 inserts once there are 100,000 bookings).
_RETRYABLE_CONSTRAINTS = (
    "booking_no_technician_overlap",
    "booking_no_room_overlap",
    "bookings_booking_reference_key",  # PostgreSQL's name for the unique reference
    "bookings_booking.reference",  # SQLite: "UNIQUE constraint failed: bookings_booking.reference"
)


@dataclass(frozen=True)
class GuestDetails:
    name: str
    email: str
    phone: str = ""


def clean_text(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if _CONTROL.search(value):
        raise ValidationFailed(fields={field: ["Control characters are not allowed."]})
    if len(value) > max_length:
        raise ValidationFailed(fields={field: [f"At most {max_length} characters."]})
    if required and not value:
        raise ValidationFailed(fields={field: ["This field is required."]})
    return value


def clean_guest(guest: GuestDetails) -> GuestDetails:
    name = clean_text(guest.name, field="guest.name", max_length=150, required=True)
    email = clean_text(guest.email, field="guest.email", max_length=254, required=True).lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(fields={"guest.email": ["Enter a valid e-mail address."]}) from None
    phone = clean_text(guest.phone, field="guest.phone", max_length=32)
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 7):
        raise ValidationFailed(fields={"guest.phone": ["Enter a valid phone number."]})
    return GuestDetails(name=name, email=email, phone=phone)


def booking_quote(*, service: str | ServiceInfo, addons: Sequence[str] = (), tier: TierInfo | None = None) -> Quote:
    """The price a caller of ``tier`` (None: non-member) pays for a service and its add-ons."""
    snapshot = catalog_snapshot()
    info = service if isinstance(service, ServiceInfo) else service_info(snapshot, service)
    return quote_for(
        snapshot=snapshot,
        location=snapshot.locations[info.location_id],
        service=info,
        addons=addon_infos(snapshot, info, addons),
        tier=tier,
    )


@dataclass
class _Placement:
    """A checked start: who and where, in preference order."""

    start: datetime
    end: datetime
    blocked_until: datetime
    technician_ids: list[int]
    room_ids: list[int]


def _as_aware(start: datetime, tz) -> datetime:
    if timezone.is_naive(start):
        return start.replace(tzinfo=tz)
    return start


def _check_start(
    *,
    snapshot: CatalogSnapshot,
    service: ServiceInfo,
    addons,
    start: datetime,
    viewer,
    technician_id: int | None,
    now: datetime,
    exclude_booking_id: int | None = None,
    staff: bool = False,
) -> _Placement:
    """Validate ``start`` against the rules and today's bookings; must run inside the write transaction."""
    location = snapshot.locations[service.location_id]
    start = _as_aware(start, location.tz)
    clock = local_clock(location.tz)
    start_minute = epoch_minutes(start)
    if start.second or start.microsecond:
        raise ValidationFailed("Start times are whole minutes.", code="invalid_start", fields={"start": ["Not on the slot grid."]})
    if start <= now:
        raise ValidationFailed("That time has already passed.", code="start_in_past", fields={"start": ["In the past."]})
    local_day = start.astimezone(location.tz).date()
    window = booking_window_for(viewer=viewer, location=location, now=now)
    if local_day > window.ends and not staff:
        raise OutsideBookingWindow(
            f"You can book up to {window.days} days ahead (until {window.ends.isoformat()}).",
            extra={"window_ends": window.ends.isoformat()},
        )
    plan = search_plan(
        snapshot=snapshot, service=service, addons=addons, days=[local_day], technician_id=technician_id,
        now=now, exclude_booking_id=exclude_booking_id, ignore_lead_time=staff,
    )
    unconstrained = build_grid(replace(plan.query, earliest=0, closed=()), clock)
    if start_minute not in set(unconstrained.starts):
        raise ValidationFailed(
            f"Start times are every {location.slot_step} minutes, and the service must end within opening hours.",
            code="invalid_start",
            fields={"start": ["Not a bookable start time."]},
        )
    if start_minute < plan.query.earliest:
        raise ValidationFailed(
            f"Bookings start at least {location.lead_minutes // 60} hours from now.",
            code="start_too_soon",
            fields={"start": ["Too soon."]},
        )
    technician_ids = technician_order_for_start(start_minute, plan.query, clock, plan.technicians)
    room_ids = free_rooms_for_start(start_minute, plan.query.block, plan.rooms)
    if not technician_ids or not room_ids:
        raise SlotUnavailable()  # taken by a committed booking: answered without queueing for a lock
    _lock_span(location.id, start_minute, plan.query.block)
    return _Placement(
        start=start,
        end=start + timedelta(minutes=plan.query.need),
        blocked_until=start + timedelta(minutes=plan.query.block),
        technician_ids=technician_ids,
        room_ids=room_ids,
    )


LOCK_CELL_MINUTES = 15


def _lock_span(location_id: int, start_minute: int, minutes: int) -> None:
    """On PostgreSQL, queue writers whose blocked time ``[start, start + minutes)`` overlaps, until commit.

    Taken after the check has found a technician and a room, just before the
    insert. The location's time is cut into 15-minute cells; a writer locks every
    cell its booking would block (transaction advisory locks, ascending, one
    statement, so writers never deadlock on them). Two bookings can clash on a
    technician or a room only if their times overlap, and overlapping times share
    a cell, so overlapping inserts never wait on each other's uncommitted rows in
    the exclusion constraints (where they used to deadlock between the technician
    and the room constraint): the later one gets the lock after the earlier one
    commits, and the constraint refuses it at once if the earlier one took its
    technician or room; ``booking_create`` then looks again and answers 409.
    A request for a time already taken by a committed booking answers 409 from
    the check without queueing at all, and writers at other times of the day
    never wait for each other (the old lock per location-day made a whole day's
    writers queue). The exclusion constraints remain the guarantee.
    (SQLite needs nothing: its write transactions are already serial.)
    """
    if connection.vendor != "postgresql":
        return
    first, last = start_minute // LOCK_CELL_MINUTES, (start_minute + max(minutes, 1) - 1) // LOCK_CELL_MINUTES
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, cell)) FROM (SELECT generate_series(%s, %s) AS cell ORDER BY 1) AS cells",
            [location_id, first, last],
        )


def _is_overlap(error: IntegrityError | OperationalError) -> bool:
    """An exclusion constraint refused an overlap, or PostgreSQL broke a deadlock between concurrent inserts
    checking one (SQLSTATE 40P01; it happens when several transactions insert conflicting rows at once).
    Either way the transaction rolled back and the caller looks again."""
    if isinstance(error, OperationalError):
        return getattr(error.__cause__, "sqlstate", None) == "40P01"
    return any(name in str(error) for name in _RETRYABLE_CONSTRAINTS)


@dataclass
class _Request:
    """A validated booking request: everything but the placement, which is checked inside the transaction."""

    info: ServiceInfo
    addon_list: list
    start: datetime
    contact: GuestDetails
    customer: object
    technician: int | None
    quote: Quote
    notes: str
    channel: str
    ai_session_id: str
    atlas_call_id: str
    now: datetime
    snapshot: CatalogSnapshot
    group_id: int | None = None  # set by ``groups.booking_create_group``: the booking's party


def _prepare(*, service, start, customer, guest, technician, addons, notes, channel, ai_session_id, atlas_call_id, now) -> _Request:
    now = now or timezone.now()
    snapshot = catalog_snapshot()
    info = service if isinstance(service, ServiceInfo) else service_info(snapshot, service)
    addon_list = addon_infos(snapshot, info, addons)
    notes = clean_text(notes, field="notes", max_length=MAX_NOTES)
    signed_in = customer is not None and getattr(customer, "is_authenticated", False)
    if signed_in:
        phone = customer.phone or (guest.phone if guest else "")
        contact = GuestDetails(name=customer.name or customer.email, email=customer.email, phone=phone)
    elif guest is None:
        raise ValidationFailed("Tell us who the booking is for.", fields={"guest": ["Name and e-mail are required."]})
    else:
        contact = clean_guest(guest)
    if channel not in Channel.values:
        raise ValidationFailed(fields={"channel": ["Unknown channel."]})
    customer = customer if signed_in else None
    tier = viewer_tier(customer)
    quote = quote_for(snapshot=snapshot, location=snapshot.locations[info.location_id], service=info, addons=addon_list, tier=tier)
    return _Request(
        info=info, addon_list=addon_list, start=start, contact=contact, customer=customer, technician=technician,
        quote=quote, notes=notes, channel=channel, ai_session_id=ai_session_id, atlas_call_id=atlas_call_id,
        now=now, snapshot=snapshot,
    )


def _place_and_insert(request: _Request) -> Booking:
    """Check the start and insert the booking. Must run inside the write transaction."""
    placement = _check_start(
        snapshot=request.snapshot, service=request.info, addons=request.addon_list, start=request.start,
        viewer=request.customer, technician_id=request.technician, now=request.now, staff=request.channel == Channel.ADMIN,
    )
    return _booking_insert(request=request, placement=placement)


def _announce(booking: Booking) -> None:
    if booking.status == BookingStatus.CONFIRMED:
        on_commit(signals.booking_confirmed.send, sender=Booking, booking=booking)


def booking_create(
    *,
    service: str | ServiceInfo,
    start: datetime,
    customer=None,
    guest: GuestDetails | None = None,
    technician: int | None = None,
    addons: Sequence[str] = (),
    notes: str = "",
    channel: str = Channel.WEB,
    ai_session_id: str = "",
    atlas_call_id: str = "",
    now: datetime | None = None,
    in_transaction: Callable[[Booking], None] | None = None,
) -> Booking:
    """Book ``service`` at ``start`` for a signed-in ``customer`` or a ``guest``.

    ``in_transaction(booking)``, if given, runs inside the booking's transaction,
    so whatever it writes commits or rolls back with the booking.

    Raises ``SlotUnavailable`` (409) when the time is taken, ``OutsideBookingWindow``
    (403) past the caller's window, ``ValidationFailed`` (400) for bad input.
    """
    request = _prepare(
        service=service, start=start, customer=customer, guest=guest, technician=technician, addons=addons,
        notes=notes, channel=channel, ai_session_id=ai_session_id, atlas_call_id=atlas_call_id, now=now,
    )
    for _attempt in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                booking = _place_and_insert(request)
                if in_transaction is not None:
                    in_transaction(booking)
        except (IntegrityError, OperationalError) as error:
            if not _is_overlap(error):
                raise
            continue  # someone committed an overlapping booking first: look again
        _announce(booking)
        return booking
    raise SlotUnavailable()


def _booking_insert(*, request: _Request, placement: _Placement) -> Booking:
    """Insert the booking on the first technician and room of ``placement``.

    Must run inside the transaction in which ``placement`` was checked.
    """
    quote, contact, now = request.quote, request.contact, request.now
    online = settings.BOOKING_PAYMENT_MODE == "online" and request.channel != Channel.ADMIN
    booking = Booking.objects.create(
        location_id=request.info.location_id,
        customer=request.customer,
        customer_name=contact.name,
        customer_email=contact.email,
        customer_phone=contact.phone,
        service_id=request.info.id,
        technician_id=placement.technician_ids[0],
        room_id=placement.room_ids[0],
        start=placement.start,
        end=placement.end,
        blocked_until=placement.blocked_until,
        status=BookingStatus.PENDING_PAYMENT if online else BookingStatus.CONFIRMED,
        hold_expires_at=now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES) if online else None,
        channel=request.channel,
        notes=request.notes,
        price_column=quote.price_column,
        tier_name=quote.tier_name,
        currency=quote.currency,
        subtotal=quote.subtotal,
        discount=quote.discount,
        tax=quote.tax,
        total=quote.total,
        price_lines=[line.as_dict() for line in quote.lines],
        ai_session_id=request.ai_session_id,
        atlas_call_id=request.atlas_call_id,
        group_id=request.group_id,
    )
    created = BookingAddOn.objects.bulk_create(
        BookingAddOn(booking=booking, addon_id=a.id, name=a.name, extra_minutes=a.extra_minutes,
                     amount=quote.item_amounts[("addon", a.id)])
        for a in request.addon_list
    ) if request.addon_list else []
    booking_record(booking, kind=EventKind.CREATED, actor=request.customer, channel=request.channel, label=contact.email,
                   to_status=booking.status, persist=False)
    # Callers render the new booking at once: hand them its add-ons without another query.
    lines = booking.booking_addons.all()
    lines._result_cache, lines._prefetch_done = created, True
    booking._prefetched_objects_cache = {"booking_addons": lines}
    return booking


def booking_create_idempotent(
    *, owner: str, key: str, payload: dict, render: Callable[[Booking], dict], **create_kwargs
) -> tuple[int, dict, bool]:
    """``booking_create`` under an ``Idempotency-Key``: a repeated key returns the first answer.

    Returns ``(status, body, replayed)``. The key row is written in the booking's
    own transaction, so a key never exists without its booking. The happy path
    costs one extra query (the key insert); a repeat is detected when the key
    insert collides or when the repeat fails (its slot is, after all, taken by
    the first attempt), and answered from the stored row.
    """
    key = clean_text(key, field="Idempotency-Key", max_length=200, required=True)
    request_hash = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def replay_if_stored() -> tuple[int, dict, bool] | None:
        stored = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if stored is None:
            return None
        if stored.request_hash != request_hash:
            raise IdempotencyKeyReused()
        return stored.response_status, stored.response_body, True

    rendered: dict = {}

    def store_key(booking: Booking) -> None:
        rendered["body"] = render(booking)
        IdempotencyKey.objects.create(
            owner=owner, key=key, request_hash=request_hash, booking=booking, response_status=201, response_body=rendered["body"]
        )

    try:
        booking_create(**create_kwargs, in_transaction=store_key)
    except (ApplicationError, IntegrityError):
        # A repeat fails one way or the other: its slot is taken by the first attempt (409),
        # or its key insert collides with the first attempt's row (IntegrityError).
        replayed = replay_if_stored()
        if replayed is None:
            raise
        return replayed
    return 201, rendered["body"], False


def booking_change_deadline(booking: Booking) -> datetime:
    """The last moment a guest may cancel or move ``booking`` online, free of charge."""
    return booking.start - timedelta(hours=booking.location.free_cancellation_hours)


def booking_changeable(booking: Booking, *, actor=None, now: datetime | None = None) -> bool:
    """Whether ``booking_cancel`` / ``booking_reschedule`` would accept a change by ``actor`` now."""
    try:
        _check_changeable(booking, actor=actor, now=now or timezone.now())
    except ApplicationError:
        return False
    return True


def _check_changeable(booking: Booking, *, actor, now: datetime) -> None:
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.PENDING_PAYMENT):
        raise InvalidBookingState(f"This booking is {booking.get_status_display().lower()}.")
    if booking.start <= now:
        raise InvalidBookingState("This booking has already started.")
    staff = actor is not None and getattr(actor, "is_staff", False)
    hours = booking.location.free_cancellation_hours
    if not staff and now > booking_change_deadline(booking):
        raise CancellationWindowClosed(
            f"Bookings can be changed online until {hours} hours before the start. Please call the spa."
        )


def _channel_of(actor, channel: str | None) -> str:
    """The channel a change came through: given by the caller, else the admin for staff and the web for anyone else."""
    if channel:
        return channel
    return EventChannel.ADMIN if actor is not None and getattr(actor, "is_staff", False) else EventChannel.WEB


def booking_cancel(
    *, booking: Booking, actor=None, reason: str = "", now: datetime | None = None, channel: str | None = None
) -> Booking:
    """Cancel a booking (free until 24 h before the start; staff may cancel later)."""
    now = now or timezone.now()
    reason = clean_text(reason, field="reason", max_length=200)
    with transaction.atomic():
        booking = Booking.objects.select_related("location").select_for_update(of=("self",)).get(pk=booking.pk)
        _check_changeable(booking, actor=actor, now=now)
        booking_transition(
            booking, to=BookingStatus.CANCELLED, actor=actor, channel=_channel_of(actor, channel), reason=reason, now=now,
            extra_fields={"cancelled_at": now, "cancellation_reason": reason, "ics_sequence": booking.ics_sequence + 1},
        )
    on_commit(signals.booking_cancelled.send, sender=Booking, booking=booking)
    return booking


def booking_reschedule(
    *, booking: Booking, start: datetime, actor=None, technician: int | None = None, now: datetime | None = None,
    channel: str | None = None,
) -> Booking:
    """Move a booking to a new start (same rules as a new booking; the current technician is kept when free)."""
    now = now or timezone.now()
    snapshot = catalog_snapshot()
    for _attempt in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                current = Booking.objects.select_related("location").select_for_update(of=("self",)).get(pk=booking.pk)
                _check_changeable(current, actor=actor, now=now)
                info = snapshot.services.get(current.service_id)
                if info is None:
                    raise InvalidBookingState("This service is no longer offered; please call the spa.")
                addons = [snapshot.addons[a] for a in current.booking_addons.values_list("addon_id", flat=True) if a in snapshot.addons]
                placement = _check_start(
                    snapshot=snapshot, service=info, addons=addons, start=start,
                    viewer=current.customer, technician_id=technician, now=now,
                    exclude_booking_id=current.pk, staff=actor is not None and getattr(actor, "is_staff", False),
                )
                if technician is None and current.technician_id in placement.technician_ids:
                    placement.technician_ids.insert(0, current.technician_id)
                previous_start = _booking_move(current, placement)
                booking_record(current, kind=EventKind.RESCHEDULED, actor=actor, channel=_channel_of(actor, channel), data={
                    "from": previous_start.isoformat(), "to": current.start.isoformat(), "technician": current.technician_id,
                    "room": current.room_id,
                })
            on_commit(signals.booking_rescheduled.send, sender=Booking, booking=current, previous_start=previous_start)
            return current
        except (IntegrityError, OperationalError) as error:
            if not _is_overlap(error):
                raise
    raise SlotUnavailable()


def _booking_move(booking: Booking, placement: _Placement) -> datetime:
    """Apply a checked placement to a locked booking; returns the previous start."""
    previous = booking.start
    booking.rescheduled_from = previous
    booking.start, booking.end, booking.blocked_until = placement.start, placement.end, placement.blocked_until
    booking.technician_id = placement.technician_ids[0]
    booking.room_id = placement.room_ids[0]
    booking.ics_sequence += 1
    booking.save(
        update_fields=["start", "end", "blocked_until", "technician", "room", "rescheduled_from", "ics_sequence", "updated_at"]
    )
    return previous


def _transition_each(queryset, *, to: str, label: str, now: datetime) -> int:
    """Move each booking of ``queryset`` to ``to``, one short transaction per booking (rows another writer holds are skipped)."""
    moved = 0
    for pk in list(queryset.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            booking = queryset.select_for_update(skip_locked=True).filter(pk=pk).first()
            if booking is None:
                continue  # changed or locked meanwhile: the next run looks again
            booking_transition(booking, to=to, channel=EventChannel.SYSTEM, label=label, now=now)
        moved += 1
    return moved


def bookings_expire_holds(*, now: datetime | None = None) -> int:
    """Release ``pending_payment`` holds whose 15 minutes are up. Idempotent; returns how many expired."""
    now = now or timezone.now()
    due = Booking.objects.filter(status=BookingStatus.PENDING_PAYMENT, hold_expires_at__lte=now)
    return _transition_each(due, to=BookingStatus.EXPIRED, label="hold expiry", now=now)


def bookings_complete_past(*, now: datetime | None = None, grace: timedelta = timedelta(hours=2)) -> int:
    """Mark confirmed bookings that ended more than ``grace`` ago as completed. Idempotent."""
    now = now or timezone.now()
    due = Booking.objects.filter(status=BookingStatus.CONFIRMED, end__lte=now - grace)
    return _transition_each(due, to=BookingStatus.COMPLETED, label="auto-complete", now=now)


def _booking_close(*, booking: Booking, to: str, actor, channel: str | None, reason: str, now: datetime | None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if booking.start > now:
            raise InvalidBookingState("This booking has not started yet.")
        booking_transition(booking, to=to, actor=actor, channel=_channel_of(actor, channel), reason=reason, now=now)
    return booking


def booking_complete(*, booking: Booking, actor=None, channel: str | None = None, reason: str = "", now: datetime | None = None) -> Booking:
    """The guest came and was served (front desk, technician's portal)."""
    return _booking_close(booking=booking, to=BookingStatus.COMPLETED, actor=actor, channel=channel, reason=reason, now=now)


def booking_mark_no_show(
    *, booking: Booking, actor=None, channel: str | None = None, reason: str = "", now: datetime | None = None
) -> Booking:
    """The guest did not come. (The no-show fee, when payments are on, follows from the recorded event.)"""
    return _booking_close(booking=booking, to=BookingStatus.NO_SHOW, actor=actor, channel=channel, reason=reason, now=now)


def booking_confirm(*, booking: Booking, actor=None, channel: str = EventChannel.PAYMENT, reason: str = "") -> Booking:
    """A held booking is paid: ``pending_payment`` → ``confirmed`` (idempotent: a confirmed booking stays as it is)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if booking.status == BookingStatus.CONFIRMED:
            return booking
        booking_transition(booking, to=BookingStatus.CONFIRMED, actor=actor, channel=channel, reason=reason,
                           extra_fields={"hold_expires_at": None})
    _announce(booking)
    return booking
