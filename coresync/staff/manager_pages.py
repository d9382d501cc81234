"""The manager's staff pages: ``/manager/hours/`` (approve or reject hours with a reason, the week's payroll and its CSV)
and ``/manager/time-off/`` (review requests). Managers only: anonymous callers sign in first, anyone else gets 403.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from coresync.audit.changes import history_attach
from coresync.core.errors import ApplicationError
from coresync.core.ratelimit import rate_limited
from coresync.technicians import services as technician_services
from coresync.technicians.models import ReviewStatus, TimeOff, WorkLog

from . import services

DECISIONS = {"approve": True, "reject": False}


def manager_only(view):
    @wraps(view)
    def inner(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_manager", False):
            raise DjangoPermissionDenied("Managers only.")
        return view(request, *args, **kwargs)

    return inner


def _last_complete_monday(today):
    return today - timedelta(days=today.weekday() + 7)


@require_GET
@manager_only
def hours(request):
    """Pending hours first (approve, or reject with a reason), the latest reviewed, and the payroll of a week."""
    today = timezone.localdate()
    try:
        monday = technician_services.parse_week(request.GET["week"]) if request.GET.get("week") else today - timedelta(days=today.weekday())
    except ApplicationError:
        monday = today - timedelta(days=today.weekday())
    pending = list(WorkLog.objects.select_related("technician").filter(status=ReviewStatus.PENDING).order_by("date", "technician__display_name")[:200])
    reviewed = list(WorkLog.objects.select_related("technician", "reviewed_by").exclude(status=ReviewStatus.PENDING)
                    .order_by("-reviewed_at", "-date")[:20])
    history_attach(pending + reviewed)  # who changed each log, when, how (one query)
    payroll = technician_services.payroll_for_week(monday=monday)
    week = technician_services.week_label(monday)
    return render(request, "manager/hours.html", {
        "active": "hours", "pending": pending, "reviewed": reviewed, "payroll": payroll, "week": week, "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": technician_services.week_label(monday - timedelta(days=7)),
        "next_week": technician_services.week_label(monday + timedelta(days=7)),
        "last_week": technician_services.week_label(_last_complete_monday(today)),
        "payroll_url": f"{reverse('manager-payroll')}?week={week}",
    })


@require_POST
@manager_only
@rate_limited("manager", "MANAGER_RATE_LIMIT")
def review(request, pk, decision):
    if decision not in DECISIONS:
        raise Http404
    log = WorkLog.objects.select_related("technician").filter(pk=pk).first()
    if log is None:
        raise Http404
    try:
        log = technician_services.worklog_review(worklog=log, actor=request.user, approve=DECISIONS[decision],
                                                 reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        messages.error(request, f"{log.technician.display_name}, {log.date:%a %b %-d}: {error.message}")
    else:
        verb = "approved" if log.status == ReviewStatus.APPROVED else "rejected"
        messages.success(request, f"{log.technician.display_name}'s {log.hours} h on {log.date:%a %b %-d} {verb}.")
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/manager/") else "portal:manager-hours")


@require_GET
@manager_only
def time_off(request):
    rows = list(TimeOff.objects.select_related("technician__location").filter(ends_at__gte=timezone.now() - timedelta(days=30))
                .order_by("status", "starts_at")[:200])
    items = [(t, t.starts_at.astimezone(ZoneInfo(t.technician.location.timezone)), t.ends_at.astimezone(ZoneInfo(t.technician.location.timezone)))
             for t in rows]
    return render(request, "manager/time_off.html", {"active": "time-off", "items": items})


@require_POST
@manager_only
@rate_limited("manager", "MANAGER_RATE_LIMIT")
def time_off_review(request, pk, decision):
    if decision not in DECISIONS:
        raise Http404
    try:
        services.time_off_review(time_off_id=pk, actor=request.user, approve=DECISIONS[decision], reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        affected = (error.extra or {}).get("bookings") or []
        messages.error(request, error.message + (f" ({', '.join(affected)})" if affected else ""))
    else:
        messages.success(request, "Time off approved: its slots are gone." if DECISIONS[decision] else "Time off rejected.")
    return redirect("portal:manager-time-off")
