"""Bookings for /metrics: counted from the table at scrape time (right whichever process answers)."""

from __future__ import annotations

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .models import Booking


def bookings_metrics():
    created = CounterMetricFamily("coresync_bookings_created", "Bookings ever created, by channel (web, chat, phone, admin).",
                                  labels=["channel"])
    by_status = GaugeMetricFamily("coresync_bookings", "Bookings by status and channel.", labels=["status", "channel"])
    totals: dict[str, int] = {}
    for row in Booking.objects.values("status", "channel").annotate(n=Count("id")).order_by():
        by_status.add_metric([row["status"], row["channel"]], row["n"])
        totals[row["channel"]] = totals.get(row["channel"], 0) + row["n"]
    for channel, count in sorted(totals.items()):
        created.add_metric([channel], count)
    return [created, by_status]
