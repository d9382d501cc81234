"""The hours sheet: work logs (Hours), technicians, the coming bookings and the weekly availability.

Every run rewrites the four tabs in two requests (clear + write): a new work log is
appended and an edited or reviewed one updated in place, without a request per row.
``create_technician_schedule_template`` writes the tabs and their headers.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from coresync.bookings.models import RELEASED_STATUSES, Booking
from coresync.catalog.models import WEEKDAYS
from coresync.core.errors import ProviderError
from coresync.integrations.google import sheets
from coresync.technicians.models import Technician, WeeklyShift, WorkLog

logger = logging.getLogger(__name__)
TABS = {
    "Technicians": ["ID", "Name", "Email", "Skills", "Hourly Rate", "Active"],
    "Hours": ["Log ID", "Technician", "Date", "Hours", "Status", "Note", "Reviewed By", "Reviewed At"],
    "Bookings": ["Reference", "Date", "Start", "End", "Technician", "Service", "Room", "Status"],
    "Availability": ["Technician", "Weekday", "Start", "End"],
}
BOOKING_DAYS = 14
LOG_DAYS = 120
BACKOFF_KEY = "sheets:hours:backoff"


def hours_rows(*, now=None) -> dict[str, list[list]]:
    now = now or timezone.now()
    weekdays = dict(WEEKDAYS)
    rows = {name: [header] for name, header in TABS.items()}
    for t in Technician.objects.select_related("user").prefetch_related("skills").order_by("display_name"):
        rows["Technicians"].append([t.pk, t.display_name, t.user.email, ", ".join(s.name for s in t.skills.all()),
                                    f"{t.hourly_rate:.2f}", "yes" if t.active else "no"])
    logs = WorkLog.objects.select_related("technician", "reviewed_by").filter(date__gte=(now - timedelta(days=LOG_DAYS)).date())
    for log in logs.order_by("date", "technician__display_name"):
        rows["Hours"].append([log.pk, log.technician.display_name, log.date.isoformat(), f"{log.hours:.2f}", log.status, log.note,
                              log.reviewed_by.email if log.reviewed_by else "",
                              timezone.localtime(log.reviewed_at).strftime("%Y-%m-%d %H:%M") if log.reviewed_at else ""])
    bookings = (Booking.objects.exclude(status__in=RELEASED_STATUSES).filter(start__gte=now, start__lt=now + timedelta(days=BOOKING_DAYS))
                .select_related("technician", "service", "room").order_by("start"))
    for b in bookings:
        start, end = timezone.localtime(b.start), timezone.localtime(b.end)
        rows["Bookings"].append([b.reference, start.date().isoformat(), f"{start:%H:%M}", f"{end:%H:%M}", b.technician.display_name,
                                 b.service.name, b.room.name, b.status])
    for shift in WeeklyShift.objects.select_related("technician").order_by("technician__display_name", "weekday", "starts"):
        rows["Availability"].append([shift.technician.display_name, str(weekdays.get(shift.weekday, shift.weekday)),
                                     f"{shift.starts:%H:%M}", f"{shift.ends:%H:%M}"])
    return rows


def hours_sheet_mirror() -> str:
    if not settings.GOOGLE_SHEETS_HOURS_ID:
        return "off"
    backoff = cache.get(BACKOFF_KEY)
    if backoff and backoff["until"] > timezone.now().timestamp():
        return "backing off"
    try:
        sheets.tabs_write(settings.GOOGLE_SHEETS_HOURS_ID, hours_rows())
    except ProviderError as error:
        pause = min(1800, (backoff or {}).get("pause", 30) * 2)
        cache.set(BACKOFF_KEY, {"until": timezone.now().timestamp() + pause, "pause": pause}, timeout=pause + 60)
        logger.warning("hours sheet not written (%s); next try in %s s", error, pause)
        return "failed"
    cache.delete(BACKOFF_KEY)
    return "written"


def hours_sheet_template() -> list[str]:
    """Add the four tabs when missing and write their headers (row 1); rows below are left alone."""
    added = sheets.tabs_ensure(settings.GOOGLE_SHEETS_HOURS_ID, list(TABS))
    sheets.tabs_write(settings.GOOGLE_SHEETS_HOURS_ID, {name: [header] for name, header in TABS.items()}, clear=False)
    return added
