"""``/manager/``: the manager's dashboard page (charts by the vendored Chart.js, figures embedded with ``json_script``).

The figures are ``selectors.dashboard`` (the same as ``/api/v1/manager/dashboard/``),
so the page costs the API's fixed number of queries whatever the range.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from coresync.core.errors import ApplicationError

from . import selectors

PRESETS = [(7, "7 days"), (30, "30 days"), (90, "90 days")]


def manager_only(view):
    @wraps(view)
    def inner(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_manager", False):
            raise PermissionDenied("Managers only.")
        return view(request, *args, **kwargs)

    return inner


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _bucket(share: float) -> int:
    return max(0, min(10, round(share * 10)))


def heatmap(lines: list[dict]) -> list[dict]:
    """Rows for the utilisation heatmap: one cell per day, shaded in ten steps (a CSS class, no inline style)."""
    return [
        {
            "name": line["name"], "utilisation": line["utilisation"], "percent": round(line["utilisation"] * 100),
            "cells": [
                {"date": d["date"], "percent": round(d["utilisation"] * 100), "bucket": _bucket(d["utilisation"]),
                 "off": d["available_minutes"] == 0}
                for d in line["by_day"]
            ],
        }
        for line in lines
    ]


@require_GET
@manager_only
def dashboard(request):
    today = timezone.now().astimezone(selectors.spa_zone()).date()
    date_from, date_to = _date(request.GET.get("date_from")), _date(request.GET.get("date_to"))
    try:
        window = selectors.dashboard_range(date_from=date_from, date_to=date_to, today=today)
    except ApplicationError as error:
        messages.error(request, error.message)
        window = selectors.dashboard_range(date_from=None, date_to=None, today=today)
    data = selectors.dashboard(window)
    query = urlencode({"date_from": window.date_from.isoformat(), "date_to": window.date_to.isoformat()})
    days = data["revenue"]["by_day"]
    return render(request, "manager/dashboard.html", {
        "active": "dashboard", "data": data, "window": window, "today": today,
        "presets": [(label, (today - timedelta(days=n - 1)).isoformat(), today.isoformat()) for n, label in PRESETS],
        "csv_url": f"{reverse('manager-dashboard-csv')}?{query}",
        "json_url": f"{reverse('manager-dashboard')}?{query}",
        "technician_heat": heatmap(data["utilisation"]["technicians"]),
        "room_heat": heatmap(data["utilisation"]["rooms"]),
        "heat_days": [d["date"] for d in days],
    })
