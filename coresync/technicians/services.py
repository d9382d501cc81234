"""Writes about technicians that need nothing above this floor: hours (work logs) and their review, payroll arithmetic.

Schedule and time-off changes must first be checked against the bookings they
would orphan; that check lives above the bookings (``coresync.staff.services``),
which then calls the plain writers here (``weekly_shifts_replace``,
``time_off_insert``, ``time_off_review``).
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from coresync.audit.changes import gathered, record_change
from coresync.audit.models import ChangeAction
from coresync.core.errors import Conflict, PermissionDenied, ValidationFailed

from .models import ReviewStatus, Technician, TimeOff, WeeklyShift, WorkLog

MAX_HOURS = Decimal("16")
CENTS = Decimal("0.01")


class WorkLogExists(Conflict):
    code = "worklog_exists"
    default_message = "You have already logged hours for that date; edit that entry instead."


class WorkLogLocked(Conflict):
    code = "worklog_locked"
    default_message = "Only hours still waiting for approval can be changed."


def _history(actor, action: str, **detail) -> dict:
    entry = {"at": timezone.now().isoformat(), "by": getattr(actor, "email", "") or "system", "action": action}
    entry.update({k: str(v) for k, v in detail.items()})
    return entry


def clean_hours(value) -> Decimal:
    """``value`` as hours: a decimal with at most two places, 0 < hours ≤ 16."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed("Hours must be a number such as 7.5.", fields={"hours": ["Enter a number such as 7.5."]}) from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        raise ValidationFailed("Hours must be more than 0 and at most 16.", fields={"hours": ["More than 0 and at most 16."]})
    if hours != hours.quantize(CENTS):
        raise ValidationFailed("Hours take at most two decimals.", fields={"hours": ["At most two decimals."]})
    return hours.quantize(CENTS)


def _check_date(day: date, today: date) -> None:
    if day > today:
        raise ValidationFailed("Hours cannot be logged for a future date.", fields={"date": ["Not in the future."]})


def worklog_create(*, technician: Technician, day: date, hours, note: str = "", actor=None, today: date | None = None) -> WorkLog:
    """Log ``hours`` for ``day`` (not in the future, one per date: 409 ``worklog_exists`` otherwise); waits for approval."""
    today = today or timezone.localdate()
    hours = clean_hours(hours)
    _check_date(day, today)
    if actor is not None and not getattr(actor, "is_manager", False) and actor.pk != technician.user_id:
        raise PermissionDenied("You can log only your own hours.")
    try:
        with transaction.atomic():
            return WorkLog.objects.create(
                technician=technician, date=day, hours=hours, note=note[:300],
                history=[_history(actor, "logged", hours=hours)],
            )
    except IntegrityError:
        raise WorkLogExists(fields={"date": ["Already logged."]}) from None


def worklog_update(*, worklog: WorkLog, actor, hours=None, note: str | None = None) -> WorkLog:
    """Change a pending log's hours or note (409 ``worklog_locked`` once reviewed)."""
    with transaction.atomic():
        worklog = WorkLog.objects.select_for_update().get(pk=worklog.pk)
        if worklog.status != ReviewStatus.PENDING:
            raise WorkLogLocked()
        if hours is not None:
            worklog.hours = clean_hours(hours)
        if note is not None:
            worklog.note = note[:300]
        worklog.history.append(_history(actor, "edited", hours=worklog.hours))
        worklog.save(update_fields=["hours", "note", "history", "updated_at"])
    return worklog


def worklog_review(*, worklog: WorkLog, actor, approve: bool, reason: str = "") -> WorkLog:
    """A manager approves or rejects a pending log (a reason is required to reject); recorded in its history."""
    if not getattr(actor, "is_manager", False):
        raise PermissionDenied("Only a manager reviews hours.")
    reason = (reason or "").strip()[:200]
    if not approve and not reason:
        raise ValidationFailed("Say why the hours are rejected.", fields={"reason": ["Required to reject."]})
    to = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
    with transaction.atomic():
        worklog = WorkLog.objects.select_for_update().get(pk=worklog.pk)
        if worklog.status == to:
            return worklog  # pressed twice: nothing changes
        if worklog.status != ReviewStatus.PENDING:
            raise WorkLogLocked("These hours were already reviewed.")
        worklog.status, worklog.reviewed_by, worklog.reviewed_at, worklog.reason = to, actor, timezone.now(), reason
        worklog.history.append(_history(actor, to, reason=reason))
        worklog.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason", "history", "updated_at"])
    return worklog


# --- Weeks and payroll --------------------------------------------------------------


def parse_week(text: str) -> date:
    """``"2026-W49"`` → the Monday of that ISO week (400 on anything else)."""
    try:
        year, week = str(text).strip().upper().split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except (ValueError, TypeError):
        raise ValidationFailed("The week must look like 2026-W49.", fields={"week": ["Use YYYY-Www."]}) from None


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_hours(*, technician_id: int, monday: date, statuses=(ReviewStatus.PENDING, ReviewStatus.APPROVED)) -> Decimal:
    total = WorkLog.objects.filter(
        technician_id=technician_id, date__gte=monday, date__lt=monday + timedelta(days=7), status__in=statuses
    ).aggregate(total=Sum("hours"))["total"]
    return (total or Decimal("0")).quantize(CENTS)


@dataclass(frozen=True)
class PayrollRow:
    technician_id: int
    name: str
    hours: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Payroll:
    week: str
    rows: list[PayrollRow]

    @property
    def total_hours(self) -> Decimal:
        return sum((r.hours for r in self.rows), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal("0.00"))


def payroll_for_week(*, monday: date) -> Payroll:
    """Approved hours × hourly rate per technician for the ISO week starting ``monday`` (one query; Decimal, half-up cents)."""
    sums = (
        WorkLog.objects.filter(date__gte=monday, date__lt=monday + timedelta(days=7), status=ReviewStatus.APPROVED)
        .values("technician_id", "technician__display_name", "technician__hourly_rate")
        .annotate(hours=Sum("hours"))
        .order_by("technician__display_name", "technician_id")
    )
    rows = [
        PayrollRow(
            technician_id=s["technician_id"], name=s["technician__display_name"], hours=s["hours"].quantize(CENTS),
            rate=s["technician__hourly_rate"],
            amount=(s["hours"] * s["technician__hourly_rate"]).quantize(CENTS, rounding=ROUND_HALF_UP),
        )
        for s in sums
    ]
    return Payroll(week=week_label(monday), rows=rows)


def payroll_csv(payroll: Payroll) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["week", "technician_id", "technician", "approved_hours", "hourly_rate", "amount"])
    for row in payroll.rows:
        # a name starting with = + - @ would be a formula in a spreadsheet
        name = "'" + row.name if row.name[:1] in "=+-@" else row.name
        writer.writerow([payroll.week, row.technician_id, name, row.hours, row.rate, row.amount])
    writer.writerow([payroll.week, "", "TOTAL", payroll.total_hours, "", payroll.total])
    return out.getvalue()


# --- Schedules and time off (plain writers; the orphan check is the caller's) ----------


@dataclass(frozen=True)
class ShiftBlock:
    weekday: int
    starts: time
    ends: time


def clean_shifts(items) -> list[ShiftBlock]:
    """``[{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]`` → sorted blocks; 400 on a bad day, a bad time, an end
    not after its start, or two blocks overlapping on a day."""
    if not isinstance(items, list) or len(items) > 50:
        raise ValidationFailed("Send a list of weekly shifts.", fields={"shifts": ["A list of at most 50 shifts."]})
    blocks: list[ShiftBlock] = []
    for index, item in enumerate(items):
        try:
            weekday = int(item["weekday"])
            starts = time.fromisoformat(str(item["start"]))
            ends = time.fromisoformat(str(item["end"]))
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed("Each shift needs weekday 0-6, start and end as HH:MM.", fields={str(index): ["weekday, start, end"]}) from None
        if not 0 <= weekday <= 6 or isinstance(item["weekday"], bool):
            raise ValidationFailed("weekday is 0 (Monday) to 6 (Sunday).", fields={str(index): ["weekday 0-6"]})
        if ends <= starts:
            raise ValidationFailed("A shift must end after it starts.", fields={str(index): ["end must be after start"]})
        blocks.append(ShiftBlock(weekday, starts.replace(second=0, microsecond=0), ends.replace(second=0, microsecond=0)))
    blocks.sort(key=lambda b: (b.weekday, b.starts))
    for before, after in itertools.pairwise(blocks):
        if before.weekday == after.weekday and after.starts < before.ends:
            raise ValidationFailed("Two shifts overlap on the same day.", fields={"shifts": ["overlapping shifts"]})
    return blocks


def weekly_shifts_replace(*, technician: Technician, blocks: list[ShiftBlock]) -> None:
    """Replace the technician's weekly shifts (the caller has checked no booking is orphaned, inside its transaction)."""
    with gathered() as removed:  # the rows it replaces: one change record for the whole week, not one per row
        WeeklyShift.objects.filter(technician=technician).delete()
    WeeklyShift.objects.bulk_create(WeeklyShift(technician=technician, weekday=b.weekday, starts=b.starts, ends=b.ends) for b in blocks)
    old = sorted(f"{s.weekday} {s.starts:%H:%M}-{s.ends:%H:%M}" for s, _, _ in removed)
    new = sorted(f"{b.weekday} {b.starts:%H:%M}-{b.ends:%H:%M}" for b in blocks)
    if old != new:
        record_change(Technician, technician.pk, action=ChangeAction.UPDATE, changes={"weekly_shifts": {"old": old, "new": new}})
    from .selectors import schedule_invalidate_on_commit

    schedule_invalidate_on_commit()  # bulk_create sends no post_save


def clean_time_off(*, starts_at: datetime, ends_at: datetime, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise ValidationFailed("Time off must end after it starts.", fields={"end": ["Must be after start."]})
    if starts_at < now:
        raise ValidationFailed("Time off cannot start in the past.", fields={"start": ["Not in the past."]})
    if ends_at - starts_at > timedelta(days=60):
        raise ValidationFailed("Ask for at most 60 days at a time.", fields={"end": ["At most 60 days."]})


def time_off_insert(*, technician: Technician, starts_at: datetime, ends_at: datetime, reason: str, status: str) -> TimeOff:
    return TimeOff.objects.create(technician=technician, starts_at=starts_at, ends_at=ends_at, reason=reason[:200], status=status)


def time_off_mark(*, time_off: TimeOff, actor, status: str, reason: str = "") -> TimeOff:
    """Record the manager's decision on a locked time-off row (the caller has checked the bookings)."""
    time_off.status, time_off.reviewed_by, time_off.reviewed_at = status, actor, timezone.now()
    time_off.review_reason = reason[:200]
    time_off.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "updated_at"])  # post_save bumps the schedule
    return time_off
