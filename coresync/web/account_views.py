"""Guest and member account pages: sign up, my bookings, my membership, signed manage links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from coresync.bookings.models import Booking, BookingStatus
from coresync.core.errors import ApplicationError
from coresync.core.formatting import format_datetime

from .forms import RescheduleDayForm, RescheduleSlotForm, SignupForm
from .links import booking_manage_lookup
from .services import customer_signup


@dataclass(frozen=True)
class BookingRow:
    booking: Booking
    local_start: datetime
    local_end: datetime
    change_until: datetime  # local: free to cancel or move until then (the bookings services' rule)
    can_change: bool


def booking_row(booking: Booking, now: datetime, actor=None) -> BookingRow:
    from coresync.bookings.services import booking_change_deadline, booking_changeable

    tz = ZoneInfo(booking.location.timezone)
    return BookingRow(
        booking=booking,
        local_start=booking.start.astimezone(tz),
        local_end=booking.end.astimezone(tz),
        change_until=booking_change_deadline(booking).astimezone(tz),
        can_change=booking_changeable(booking, actor=actor, now=now),
    )


# Bookings that did not (and will not) happen: listed on their own, never under "Past".
UNDONE = (BookingStatus.CANCELLED, BookingStatus.EXPIRED)


def _bookings():
    return Booking.objects.select_related("service", "technician", "room", "location")


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("web:my-bookings")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = customer_signup(
            email=form.cleaned_data["email"], name=form.cleaned_data["name"],
            password=form.cleaned_data["password"], phone=form.cleaned_data["phone"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to CoreSync. Your account is ready.")
        return redirect("web:my-bookings")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def my_bookings(request):
    now = timezone.now()
    rows = [booking_row(b, now, request.user) for b in _bookings().filter(customer=request.user).order_by("start")]
    upcoming = [r for r in rows if r.booking.end >= now and r.booking.is_active]
    cancelled = sorted((r for r in rows if r.booking.status in UNDONE), key=lambda r: r.booking.start, reverse=True)
    past = sorted(
        (r for r in rows if r not in upcoming and r.booking.status not in UNDONE), key=lambda r: r.booking.start, reverse=True
    )
    return render(request, "accounts/my_bookings.html", {"upcoming": upcoming, "past": past, "cancelled": cancelled})


@login_required
@require_http_methods(["GET", "POST"])
def my_booking(request, reference: str):
    booking = get_object_or_404(_bookings(), reference=reference, customer=request.user)
    return _manage(request, booking, actor=request.user, here=reverse("web:my-booking", args=[reference]))


@require_http_methods(["GET", "POST"])
def manage_booking(request, token: str):
    found = booking_manage_lookup(token)
    if found is None:
        raise Http404("This link is not valid.")
    reference, email = found
    booking = _bookings().filter(reference=reference, customer_email__iexact=email).first()
    if booking is None:
        raise Http404("This link is not valid.")
    actor = request.user if request.user.is_authenticated and booking.customer_id == request.user.id else None
    return _manage(request, booking, actor=actor, here=request.path)


def _manage(request, booking: Booking, *, actor, here: str):
    """One booking: details, then cancel or move it, each only after an explicit confirm step (no JS needed).

    GET ``?action=cancel`` asks "Cancel this booking?"; GET ``?action=reschedule&day=…`` lists free times
    (the availability selector); GET ``?action=reschedule&start=…`` asks to confirm the new time. Only a POST
    with ``confirm=yes`` changes anything, through ``booking_cancel`` / ``booking_reschedule``.
    """
    now = timezone.now()
    if request.method == "POST":
        return _manage_post(request, booking, actor=actor, here=here, now=now)
    row = booking_row(booking, now, actor)
    intent = request.GET.get("action") if request.GET.get("action") in ACTIONS else ""
    day_form, day, slots = _reschedule_choices(request, booking, row, actor)
    proposed = _proposed_start(request, booking) if row.can_change and intent == "reschedule" else None
    return render(
        request, "accounts/booking_detail.html",
        {
            "row": row, "booking": booking, "day_form": day_form, "day": day, "slots": slots, "here": here,
            "intent": intent if row.can_change else "", "proposed": proposed,
            "proposed_iso": proposed.isoformat() if proposed else "",
            "hours": booking.location.free_cancellation_hours,
        },
    )


ACTIONS = ("cancel", "reschedule")


def _manage_post(request, booking: Booking, *, actor, here: str, now: datetime):
    from coresync.bookings import services

    action = request.POST.get("action")
    if action not in ACTIONS:
        messages.error(request, "Unknown action.")
        return redirect(here)
    if request.POST.get("confirm") != "yes":
        # Nothing changes in one tap: show the confirm step for what was asked.
        query = {"action": action}
        if action == "reschedule" and request.POST.get("start"):
            query["start"] = request.POST["start"][:40]
        return redirect(f"{here}?{urlencode(query)}")
    try:
        if action == "cancel":
            services.booking_cancel(booking=booking, actor=actor, reason="Cancelled by the guest online", now=now)
            messages.success(request, f"Booking {booking.reference} is cancelled.")
        else:
            form = RescheduleSlotForm(request.POST)
            if not form.is_valid():
                raise ApplicationError("Choose one of the times offered.")
            moved = services.booking_reschedule(booking=booking, start=form.cleaned_data["start"], actor=actor, now=now)
            local = moved.start.astimezone(ZoneInfo(moved.location.timezone))
            messages.success(request, f"Booking {booking.reference} is moved to {format_datetime(local)}.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(here)


def _proposed_start(request, booking: Booking) -> datetime | None:
    """The new time a guest picked, in the spa's zone, for the confirm step (the services check it on POST)."""
    if "start" not in request.GET:
        return None
    form = RescheduleSlotForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose one of the times offered.")
        return None
    return form.cleaned_data["start"].astimezone(ZoneInfo(booking.location.timezone))


def _reschedule_choices(request, booking: Booking, row: BookingRow, actor):
    if not row.can_change:
        return None, None, []
    tz = ZoneInfo(booking.location.timezone)
    default_day = max(timezone.localdate(timezone=tz) + timedelta(days=1), row.local_start.date())
    form = RescheduleDayForm(request.GET if "day" in request.GET else None, initial={"day": default_day})
    day: date = form.cleaned_data["day"] if form.is_bound and form.is_valid() else default_day
    from coresync.bookings.selectors import availability_for

    try:
        found = availability_for(service=booking.service.slug, date_from=day, date_to=day, viewer=booking.customer or actor)
    except ApplicationError as error:
        messages.error(request, error.message)
        return form, day, []
    # Its own time is no move (another therapist may be free then, but the guest would see no change).
    slots = [(slot.start_iso, slot.start.astimezone(tz)) for slot in found.slots if slot.start != booking.start]
    return form, day, slots[:48]


@require_POST
@login_required
def my_booking_cancel(request, reference: str):
    """Cancel from the list page: only with ``confirm=yes`` (the booking page's confirm step), else ask first."""
    booking = get_object_or_404(_bookings(), reference=reference, customer=request.user)
    here = reverse("web:my-booking", args=[reference])
    if request.POST.get("confirm") != "yes":
        return redirect(f"{here}?action=cancel")
    from coresync.bookings import services

    try:
        services.booking_cancel(booking=booking, actor=request.user, reason="Cancelled by the member online")
        messages.success(request, f"Booking {reference} is cancelled.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("web:my-bookings")


@login_required
def my_membership(request):
    from coresync.memberships.models import Membership

    membership = (
        Membership.objects.select_related("tier")
        .filter(user=request.user, status__in=[Membership.Status.ACTIVE, Membership.Status.PAST_DUE])
        .first()
    )
    from .selectors import site_content

    return render(request, "accounts/my_membership.html", {"membership": membership, "site": site_content()})
