"""Staff changes that must keep the promises made to guests.

A technician's new weekly schedule or a time off may not leave a booking
without its technician: such a change is refused with 409 ``bookings_affected``
naming the bookings, until a manager reassigns or cancels them. The checks take
the technician's row lock so two edits (or an edit and an approval) run one
after the other. Approved time off removes its slots at once: the schedule
snapshot's version is bumped on commit (``technicians.signals``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from coresync.bookings.models import Booking, BookingStatus
from coresync.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coresync.technicians import services as technician_services
from coresync.technicians.models import ExtraShift, ReviewStatus, Technician, TimeOff, WeeklyShift
from coresync.technicians.services import ShiftBlock

HOLDING = (BookingStatus.CONFIRMED, BookingStatus.PENDING_PAYMENT)


class BookingsAffected(Conflict):
    code = "bookings_affected"
    default_message = "This change would leave bookings without their technician. A manager must reassign or cancel them first."

    def __init__(self, references: list[str]):
        super().__init__(fields={"bookings": references}, extra={"bookings": references})


def technician_of(user) -> Technician:
    """The technician signed in as ``user`` (403 for anyone else)."""
    technician = Technician.objects.select_related("location", "user").filter(user_id=getattr(user, "pk", None)).first()
    if technician is None:
        raise PermissionDenied("This is for the spa's technicians.")
    return technician


def _upcoming(technician: Technician, now: datetime):
    return Booking.objects.filter(technician=technician, status__in=HOLDING, blocked_until__gt=now).order_by("start")


def _covered(start: datetime, until: datetime, tz: ZoneInfo, weekly: dict[int, list[tuple]], extra: list[tuple]) -> bool:
    """Is ``[start, until)`` (buffer included) inside one weekly block of its local day, or inside one extra shift?"""
    local_start, local_until = start.astimezone(tz), until.astimezone(tz)
    if local_start.date() == local_until.date():
        clock_from, clock_to = local_start.time(), local_until.time()
        if any(starts <= clock_from and clock_to <= ends for starts, ends in weekly.get(local_start.weekday(), ())):
            return True
    return any(s <= start and until <= e for s, e in extra)


def orphaned_by_schedule(*, technician: Technician, blocks: list[ShiftBlock], now: datetime | None = None) -> list[str]:
    """References of the technician's upcoming bookings that ``blocks`` as the weekly schedule would leave uncovered."""
    now = now or timezone.now()
    tz = ZoneInfo(technician.location.timezone)
    weekly: dict[int, list[tuple]] = {}
    for block in blocks:
        weekly.setdefault(block.weekday, []).append((block.starts, block.ends))
    upcoming = list(_upcoming(technician, now).values_list("reference", "start", "blocked_until"))
    if not upcoming:
        return []
    extra = list(ExtraShift.objects.filter(technician=technician, ends_at__gt=now).values_list("starts_at", "ends_at"))
    return [ref for ref, start, until in upcoming if not _covered(start, until, tz, weekly, extra)]


def orphaned_by_time_off(*, technician: Technician, starts_at: datetime, ends_at: datetime) -> list[str]:
    return list(
        Booking.objects.filter(technician=technician, status__in=HOLDING, start__lt=ends_at, blocked_until__gt=starts_at)
        .order_by("start").values_list("reference", flat=True)
    )


def _lock(technician: Technician) -> Technician:
    return Technician.objects.select_related("location").select_for_update(of=("self",)).get(pk=technician.pk)


def schedule_replace(*, technician: Technician, shifts, now: datetime | None = None) -> list[ShiftBlock]:
    """Replace the weekly schedule (400 on bad shifts, 409 ``bookings_affected`` when a booking would be orphaned)."""
    blocks = technician_services.clean_shifts(shifts)
    with transaction.atomic():
        locked = _lock(technician)
        orphaned = orphaned_by_schedule(technician=locked, blocks=blocks, now=now)
        if orphaned:
            raise BookingsAffected(orphaned)
        technician_services.weekly_shifts_replace(technician=locked, blocks=blocks)
    return blocks


def schedule_of(technician: Technician) -> list[dict]:
    return [
        {"weekday": s.weekday, "start": s.starts.strftime("%H:%M"), "end": s.ends.strftime("%H:%M")}
        for s in WeeklyShift.objects.filter(technician=technician).order_by("weekday", "starts")
    ]


def time_off_request(
    *, technician: Technician, starts_at: datetime, ends_at: datetime, reason: str = "", actor=None, now: datetime | None = None
) -> TimeOff:
    """A technician asks for time off: ``pending`` until a manager approves (a manager's own entry is approved at once).

    Refused (409 ``bookings_affected``) while bookings fall inside it.
    """
    technician_services.clean_time_off(starts_at=starts_at, ends_at=ends_at, now=now)
    by_manager = getattr(actor, "is_manager", False)
    with transaction.atomic():
        locked = _lock(technician)
        orphaned = orphaned_by_time_off(technician=locked, starts_at=starts_at, ends_at=ends_at)
        if orphaned:
            raise BookingsAffected(orphaned)
        status = ReviewStatus.APPROVED if by_manager else ReviewStatus.PENDING
        time_off = technician_services.time_off_insert(
            technician=locked, starts_at=starts_at, ends_at=ends_at, reason=reason, status=status
        )
        if by_manager:
            technician_services.time_off_mark(time_off=time_off, actor=actor, status=status)
    return time_off


def time_off_review(*, time_off_id: int, actor, approve: bool, reason: str = "") -> TimeOff:
    """A manager approves (slots vanish at once) or rejects a pending request; approval re-checks the bookings."""
    if not getattr(actor, "is_manager", False):
        raise PermissionDenied("Only a manager reviews time off.")
    with transaction.atomic():
        time_off = TimeOff.objects.select_related("technician").filter(pk=time_off_id).first()
        if time_off is None:
            raise NotFound("No such time off.")
        _lock(time_off.technician)
        time_off = TimeOff.objects.select_for_update().get(pk=time_off_id)
        to = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
        if time_off.status == to:
            return time_off
        if time_off.status != ReviewStatus.PENDING:
            raise Conflict("This time off was already reviewed.", code="time_off_reviewed")
        if approve:
            orphaned = orphaned_by_time_off(technician=time_off.technician, starts_at=time_off.starts_at, ends_at=time_off.ends_at)
            if orphaned:
                raise BookingsAffected(orphaned)
        return technician_services.time_off_mark(time_off=time_off, actor=actor, status=to, reason=reason)


def my_bookings(*, technician: Technician, date_from, date_to):
    """The technician's bookings between two local dates (inclusive), add-ons and room loaded: two queries."""
    tz = ZoneInfo(technician.location.timezone)
    start = datetime.combine(date_from, datetime.min.time(), tz)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tz)
    return (
        Booking.objects.filter(technician=technician, start__gte=start, start__lt=end)
        .exclude(status__in=(BookingStatus.EXPIRED,))
        .select_related("service", "room")
        .prefetch_related("booking_addons")
        .order_by("start")
    )


MAX_EXTRA_SHIFT = timedelta(hours=16)


def extra_shift_add(*, technician: Technician, starts_at: datetime, ends_at: datetime, note: str = "", now: datetime | None = None) -> ExtraShift:
    """A one-off extra shift (slots open at once: the schedule snapshot is bumped on commit by ``technicians.signals``).

    400 when it ends before it starts, starts in the past, runs past 16 hours or overlaps another extra shift.
    """
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise ValidationFailed("A shift must end after it starts.", fields={"end": ["Must be after the start."]})
    if starts_at < now:
        raise ValidationFailed("An extra shift cannot start in the past.", fields={"date": ["Not in the past."]})
    if ends_at - starts_at > MAX_EXTRA_SHIFT:
        raise ValidationFailed("A shift lasts at most 16 hours.", fields={"end": ["At most 16 hours."]})
    with transaction.atomic():
        locked = _lock(technician)
        if ExtraShift.objects.filter(technician=locked, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
            raise ValidationFailed("This overlaps another extra shift.", fields={"start": ["Overlaps another extra shift."]})
        return ExtraShift.objects.create(technician=locked, starts_at=starts_at, ends_at=ends_at, note=note[:200])


def extra_shift_remove(*, technician: Technician, extra_shift_id: int, now: datetime | None = None) -> None:
    """Remove one of the technician's extra shifts (409 ``bookings_affected`` when a booking relies on it)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(technician)
        shift = ExtraShift.objects.filter(pk=extra_shift_id, technician=locked).first()
        if shift is None:
            raise NotFound("No such extra shift.")
        tz = ZoneInfo(locked.location.timezone)
        weekly: dict[int, list[tuple]] = {}
        for block in WeeklyShift.objects.filter(technician=locked):
            weekly.setdefault(block.weekday, []).append((block.starts, block.ends))
        extra = list(ExtraShift.objects.filter(technician=locked, ends_at__gt=now).exclude(pk=shift.pk).values_list("starts_at", "ends_at"))
        inside = _upcoming(locked, now).filter(start__lt=shift.ends_at, blocked_until__gt=shift.starts_at)
        orphaned = [ref for ref, start, until in inside.values_list("reference", "start", "blocked_until")
                    if not _covered(start, until, tz, weekly, extra)]
        if orphaned:
            raise BookingsAffected(orphaned)
        shift.delete()
