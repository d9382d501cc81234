"""``/portal/``: the technicians' mobile-first home (server-rendered; the same services as ``/api/v1/technicians/me/``).

Every page costs at most five queries (the signed-in user included). A
technician sees and changes only their own day; a manager may look at any
technician's pages (``?technician=<id>``) but changes nothing here; anyone else
is sent to sign in (anonymous) or gets 403 (customers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coresync.bookings import services as booking_services
from coresync.bookings.models import Booking, BookingStatus, EventChannel
from coresync.core.errors import ApplicationError
from coresync.core.ratelimit import rate_limited
from coresync.technicians import services as technician_services
from coresync.technicians.models import ExtraShift, ReviewStatus, Technician, TimeOff, WorkLog

from . import services
from .api.serializers import first_name
from .forms import ExtraShiftForm, TimeOffForm, WeeklyScheduleForm, WorkLogForm

COUNTED = (ReviewStatus.PENDING, ReviewStatus.APPROVED)


@dataclass(frozen=True)
class Viewer:
    technician: Technician
    tz: ZoneInfo
    can_edit: bool  # the technician themselves; a manager only looks

    @property
    def now(self) -> datetime:
        return timezone.now().astimezone(self.tz)


def _technicians():
    """Technicians with their location and this week's logged hours (pending + approved) in the same query."""
    monday = _monday(timezone.localdate())
    hours = (
        WorkLog.objects.filter(technician=OuterRef("pk"), date__gte=monday, date__lt=monday + timedelta(days=7), status__in=COUNTED)
        .values("technician").annotate(total=Sum("hours")).values("total")
    )
    return Technician.objects.select_related("location", "user").annotate(
        logged_this_week=Coalesce(Subquery(hours, output_field=DecimalField(max_digits=6, decimal_places=2)), Value(Decimal("0")),
                                  output_field=DecimalField(max_digits=6, decimal_places=2)),
    )


def _viewer(request) -> Viewer:
    user = request.user
    if getattr(user, "is_manager", False):
        wanted = request.GET.get("technician") or request.POST.get("technician")
        found = _technicians().filter(active=True).order_by("display_name")
        technician = (found.filter(pk=wanted).first() if str(wanted or "").isdigit() else None) or found.first()
        if technician is None:
            raise DjangoPermissionDenied("No technicians yet.")
        return Viewer(technician, ZoneInfo(technician.location.timezone), can_edit=False)
    technician = _technicians().filter(user_id=user.pk).first()
    if technician is None:
        raise DjangoPermissionDenied("The portal is for the spa's technicians.")
    return Viewer(technician, ZoneInfo(technician.location.timezone), can_edit=True)


def portal_view(methods=("GET",)):
    """Signed in (else the login page), then a technician or a manager (else 403); ``request.viewer`` is set."""

    def wrap(view):
        @require_http_methods(list(methods))
        @rate_limited("staff", "STAFF_RATE_LIMIT")  # the POSTs: the same budget as the technician API's writes
        def inner(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            request.viewer = _viewer(request)
            if request.method == "POST" and not request.viewer.can_edit:
                raise DjangoPermissionDenied("Managers look at the portal; technicians change their own day.")
            return view(request, *args, **kwargs)

        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return inner

    return wrap


def _context(request, active: str, **extra) -> dict:
    viewer = request.viewer
    return {"viewer": viewer, "technician": viewer.technician, "active": active, "now": viewer.now, **extra}


def _monday(day):
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Card:
    booking: Booking
    start: datetime
    end: datetime
    first_name: str
    addons: list[str]
    closable: bool


def _cards(bookings, now: datetime, tz: ZoneInfo) -> list[Card]:
    return [
        Card(b, b.start.astimezone(tz), b.end.astimezone(tz), first_name(b.customer_name), [a.name for a in b.booking_addons.all()],
             closable=b.status == BookingStatus.CONFIRMED and b.start <= now)
        for b in bookings
    ]


@portal_view()
def today(request):
    """Today's bookings and the rest of the week, with this week's hours."""
    viewer = request.viewer
    now = viewer.now
    day = now.date()
    bookings = services.my_bookings(technician=viewer.technician, date_from=day, date_to=day + timedelta(days=6))
    cards = _cards(bookings, now, viewer.tz)
    week: dict = {}
    for card in cards:
        if card.start.date() != day:
            week.setdefault(card.start.date(), []).append(card)
    hours = Decimal(viewer.technician.logged_this_week).quantize(Decimal("0.01"))
    return render(request, "portal/today.html", _context(
        request, "today", today_cards=[c for c in cards if c.start.date() == day], week=sorted(week.items()),
        week_hours=hours, day=day,
    ))


def _close(request, reference: str, outcome: str):
    viewer = request.viewer
    booking = Booking.objects.filter(reference=reference, technician=viewer.technician).first()
    if booking is None:
        raise DjangoPermissionDenied("This booking is not yours.")
    close = booking_services.booking_complete if outcome == "complete" else booking_services.booking_mark_no_show
    try:
        booking = close(booking=booking, actor=request.user, channel=EventChannel.WEB)
        label = "completed" if booking.status == BookingStatus.COMPLETED else "a no-show"
        messages.success(request, f"{first_name(booking.customer_name)}'s {booking.reference} is marked {label}.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('portal:today')}#booking-{reference}")


@portal_view(methods=("POST",))
def booking_complete(request, reference):
    return _close(request, reference, "complete")


@portal_view(methods=("POST",))
def booking_no_show(request, reference):
    return _close(request, reference, "no_show")


@portal_view(methods=("GET", "POST"))
def hours(request):
    """The week's hours (``?week=2026-W49``) and the form to log a day."""
    viewer = request.viewer
    today_local = viewer.now.date()
    try:
        monday = technician_services.parse_week(request.GET["week"]) if request.GET.get("week") else _monday(today_local)
    except ApplicationError:
        monday = _monday(today_local)
    form = WorkLogForm(request.POST or None, initial={"date": today_local})
    if request.method == "POST" and form.is_valid():
        try:
            log = technician_services.worklog_create(
                technician=viewer.technician, day=form.cleaned_data["date"], hours=form.cleaned_data["hours"],
                note=form.cleaned_data["note"], actor=request.user, today=today_local,
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"{log.hours} h logged for {log.date:%a %b %-d}; waiting for approval.")
            return redirect(f"{reverse('portal:hours')}?week={technician_services.week_label(_monday(log.date))}")
    logs = list(WorkLog.objects.filter(technician=viewer.technician, date__gte=monday, date__lt=monday + timedelta(days=7)).order_by("date"))
    total = sum((log.hours for log in logs if log.status in COUNTED), Decimal("0.00"))
    approved = sum((log.hours for log in logs if log.status == ReviewStatus.APPROVED), Decimal("0.00"))
    return render(request, "portal/hours.html", _context(
        request, "hours", form=form, logs=logs, total=total, approved=approved, monday=monday, sunday=monday + timedelta(days=6),
        week=technician_services.week_label(monday),
        previous_week=technician_services.week_label(monday - timedelta(days=7)),
        next_week=technician_services.week_label(monday + timedelta(days=7)) if monday < _monday(today_local) else None,
    ))


def _affected(error) -> list[str]:
    return list((error.extra or {}).get("bookings") or [])


@portal_view(methods=("GET", "POST"))
def availability(request):
    """My weekly shifts (a change that would orphan a booking is refused with its references) and one-off extra shifts."""
    viewer = request.viewer
    shifts = services.schedule_of(viewer.technician)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action") if posted else None
    weekly = WeeklyScheduleForm(posted if action == "weekly" else None, shifts=shifts)
    extra_form = ExtraShiftForm(posted if action == "extra" else None, initial={"date": viewer.now.date() + timedelta(days=1)})
    affected: list[str] = []
    if action == "weekly" and weekly.is_valid():
        try:
            services.schedule_replace(technician=viewer.technician, shifts=weekly.cleaned_data["shifts"])
        except ApplicationError as error:
            affected = _affected(error)
            weekly.add_service_error(error)
        else:
            messages.success(request, "Your weekly shifts are saved.")
            return redirect("portal:availability")
    elif action == "extra" and extra_form.is_valid():
        data = extra_form.cleaned_data
        try:
            services.extra_shift_add(
                technician=viewer.technician, starts_at=datetime.combine(data["date"], data["start"], viewer.tz),
                ends_at=datetime.combine(data["date"], data["end"], viewer.tz), note=data["note"],
            )
        except ApplicationError as error:
            extra_form.add_service_error(error)
        else:
            messages.success(request, f"Extra shift on {data['date']:%a %b %-d} added: guests can book it now.")
            return redirect("portal:availability")
    elif action == "remove-extra":
        try:
            services.extra_shift_remove(technician=viewer.technician, extra_shift_id=int(posted.get("extra_shift") or 0))
        except (ApplicationError, ValueError) as error:
            affected = _affected(error) if isinstance(error, ApplicationError) else []
            messages.error(request, getattr(error, "message", "No such extra shift."))
        else:
            messages.success(request, "Extra shift removed.")
            return redirect("portal:availability")
    extras = [
        (x, x.starts_at.astimezone(viewer.tz), x.ends_at.astimezone(viewer.tz))
        for x in ExtraShift.objects.filter(technician=viewer.technician, ends_at__gt=timezone.now()).order_by("starts_at")[:30]
    ]
    return render(request, "portal/availability.html", _context(
        request, "availability", weekly=weekly, extra_form=extra_form, extras=extras, affected=affected,
    ))


@portal_view(methods=("GET", "POST"))
def time_off(request):
    """My time-off requests (pending until a manager approves) and the form to ask for one."""
    viewer = request.viewer
    tomorrow = viewer.now.date() + timedelta(days=1)
    form = TimeOffForm(request.POST or None, initial={"start_date": tomorrow, "end_date": tomorrow})
    affected: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.time_off_request(
                technician=viewer.technician, starts_at=datetime.combine(data["start_date"], data["start_time"], viewer.tz),
                ends_at=datetime.combine(data["end_date"], data["end_time"], viewer.tz), reason=data["reason"], actor=request.user,
            )
        except ApplicationError as error:
            affected = _affected(error)
            form.add_service_error(error)
        else:
            messages.success(request, "Time off requested; a manager will review it.")
            return redirect("portal:time-off")
    rows = [
        (t, t.starts_at.astimezone(viewer.tz), t.ends_at.astimezone(viewer.tz))
        for t in TimeOff.objects.filter(technician=viewer.technician, ends_at__gte=timezone.now() - timedelta(days=30))
        .order_by("starts_at")[:50]
    ]
    return render(request, "portal/time_off.html", _context(request, "time-off", form=form, rows=rows, affected=affected))

