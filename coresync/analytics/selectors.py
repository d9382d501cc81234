"""The manager's dashboard figures (SPEC §10.5) in a fixed number of queries, whatever the date range.

Every figure is aggregated by the database (grouped by local day where a day is
shown); names and capacities come from the catalog and schedule snapshots.
Revenue is what was paid (the ``payments`` app's paid amounts, refunds taken
off) when that app is installed and holds payments in the range; otherwise the
totals of confirmed and completed bookings starting in the range.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate

from coresync.ai_agent.models import Conversation, Outcome
from coresync.bookings.models import Booking, BookingStatus, Channel
from coresync.catalog.selectors import catalog_snapshot
from coresync.core.errors import ValidationFailed
from coresync.memberships.models import Membership, MembershipTier
from coresync.technicians.selectors import schedule_snapshot

MAX_DAYS = 366
EARNING = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
BUSY = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.PENDING_PAYMENT, BookingStatus.NO_SHOW)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Range:
    date_from: date
    date_to: date
    tz: ZoneInfo

    @property
    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=n) for n in range((self.date_to - self.date_from).days + 1)]

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, datetime.min.time(), self.tz)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), datetime.min.time(), self.tz)


def spa_zone() -> ZoneInfo:
    locations = list(catalog_snapshot().locations.values())
    return locations[0].tz if locations else ZoneInfo("America/New_York")


def dashboard_range(*, date_from: date | None, date_to: date | None, today: date) -> Range:
    """The asked range (default: the last 30 days up to today); 400 when backwards or over a year."""
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=29)
    if date_to < date_from:
        raise ValidationFailed("date_to is before date_from.", fields={"date_to": ["Must not be before date_from."]})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationFailed("Ask for at most a year at a time.", fields={"date_to": [f"At most {MAX_DAYS} days."]})
    return Range(date_from, date_to, spa_zone())


def _money(value) -> str:
    return str((value or ZERO).quantize(Decimal("0.01")))


def _paid_by_day(window: Range) -> dict[date, Decimal] | None:
    if not apps.is_installed("coresync.payments"):
        return None
    payment = apps.get_model("payments", "Payment")
    rows = (
        payment.objects.filter(paid_at__gte=window.start, paid_at__lt=window.end, amount_paid__gt=0)
        .annotate(day=TruncDate("paid_at", tzinfo=window.tz))
        .values("day")
        .annotate(amount=Sum(F("amount_paid") - F("amount_refunded")))
    )
    found = {row["day"]: row["amount"] for row in rows}
    return found or None


@dataclass
class BookingFigures:
    """Everything the dashboard needs from the bookings of a range, however it was read."""

    revenue_by_day: dict[date, Decimal]  # confirmed and completed, by local start day
    channel_status: list[tuple[str, str, int]]  # every status, expired included
    busy_technician: dict[tuple[int, date], int]  # booked minutes (BUSY statuses)
    busy_room: dict[tuple[int, date], int]


# PostgreSQL: one scan of the range's bookings, four groupings (GROUPING SETS), instead of four scans.
FIGURES_SQL = """
SELECT GROUPING(technician_id) AS no_tech, GROUPING(room_id) AS no_room, GROUPING(channel) AS no_channel,
       technician_id, room_id, channel, status, day,
       COUNT(*) AS n,
       SUM(total) FILTER (WHERE status = ANY(%(earning)s)) AS revenue,
       SUM(EXTRACT(EPOCH FROM ("end" - start))) FILTER (WHERE status = ANY(%(busy)s)) AS busy_seconds
FROM (SELECT technician_id, room_id, channel, status, total, start, "end", (start AT TIME ZONE %(tz)s)::date AS day
      FROM bookings_booking WHERE start >= %(start)s AND start < %(end)s) AS b
GROUP BY GROUPING SETS ((technician_id, day), (room_id, day), (channel, status), (day))
"""


def _figures_postgresql(window: Range) -> BookingFigures:
    figures = BookingFigures({}, [], {}, {})
    params = {"earning": list(EARNING), "busy": list(BUSY), "tz": str(window.tz), "start": window.start, "end": window.end}
    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL, params)
        rows = cursor.fetchall()
    for no_tech, no_room, no_channel, tech_id, room_id, channel, status, day, n, revenue, busy_seconds in rows:
        minutes = int(busy_seconds or 0) // 60
        if not no_tech:
            if minutes:
                figures.busy_technician[(tech_id, day)] = minutes
        elif not no_room:
            if minutes:
                figures.busy_room[(room_id, day)] = minutes
        elif not no_channel:
            figures.channel_status.append((channel, status, n))
        elif revenue is not None:
            figures.revenue_by_day[day] = revenue
    return figures


def _busy_minutes(window: Range, field: str) -> dict[tuple[int, date], int]:
    length = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    rows = (
        Booking.objects.filter(start__gte=window.start, start__lt=window.end, status__in=BUSY)
        .annotate(day=TruncDate("start", tzinfo=window.tz))
        .values(field, "day")
        .annotate(length=Sum(length))
    )
    return {(row[field], row["day"]): int(row["length"].total_seconds() // 60) for row in rows if row["length"]}


def _figures_orm(window: Range) -> BookingFigures:
    in_range = Booking.objects.filter(start__gte=window.start, start__lt=window.end)
    revenue_rows = (
        in_range.filter(status__in=EARNING).annotate(day=TruncDate("start", tzinfo=window.tz)).values("day").annotate(amount=Sum("total"))
    )
    counts = in_range.values("channel", "status").annotate(n=Count("id")).values_list("channel", "status", "n")
    return BookingFigures(
        revenue_by_day={row["day"]: row["amount"] for row in revenue_rows},
        channel_status=list(counts),
        busy_technician=_busy_minutes(window, "technician_id"),
        busy_room=_busy_minutes(window, "room_id"),
    )


def booking_figures(window: Range) -> BookingFigures:
    """The range's booking figures: one query on PostgreSQL, four elsewhere (the same numbers, tested on both)."""
    return _figures_postgresql(window) if connection.vendor == "postgresql" else _figures_orm(window)


def revenue(window: Range, figures: BookingFigures | None = None) -> dict:
    by_day = _paid_by_day(window)
    source = "payments"
    if by_day is None:
        source = "bookings"
        by_day = (figures or booking_figures(window)).revenue_by_day
    series = [{"date": day.isoformat(), "amount": _money(by_day.get(day))} for day in window.days]
    return {"total": _money(sum(by_day.values(), ZERO)), "currency": "USD", "source": source, "by_day": series}


def bookings(window: Range, figures: BookingFigures | None = None) -> dict:
    by_channel = dict.fromkeys(Channel.values, 0)
    by_status: dict[str, int] = defaultdict(int)
    for channel, status, n in (figures or booking_figures(window)).channel_status:
        by_status[status] += n
        if status != BookingStatus.EXPIRED:
            by_channel[channel] = by_channel.get(channel, 0) + n
    return {
        "count": sum(n for status, n in by_status.items() if status != BookingStatus.EXPIRED),
        "by_channel": by_channel,
        "by_status": dict(by_status),
        "cancelled": by_status[BookingStatus.CANCELLED],
        "no_show": by_status[BookingStatus.NO_SHOW],
    }


def members() -> dict:
    """Active members now, per tier (every active tier listed, zero included): one query."""
    rows = (
        MembershipTier.objects.filter(active=True)
        .annotate(n=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)))
        .order_by("position", "name").values_list("name", "n")
    )
    by_tier = dict(rows)
    return {"active": sum(by_tier.values()), "by_tier": by_tier}


def _share(booked: int, available: int) -> float:
    return round(booked / available, 3) if available else 0.0


def _line(resource_id: int, name: str, window: Range, busy: dict, capacity) -> dict:
    by_day = [
        {"date": day.isoformat(), "booked_minutes": busy.get((resource_id, day), 0), "available_minutes": capacity(day)}
        for day in window.days
    ]
    booked = sum(d["booked_minutes"] for d in by_day)
    available = sum(d["available_minutes"] for d in by_day)
    for d in by_day:
        d["utilisation"] = _share(d["booked_minutes"], d["available_minutes"])
    return {"id": resource_id, "name": name, "booked_minutes": booked, "available_minutes": available,
            "utilisation": _share(booked, available), "by_day": by_day}


def utilisation(window: Range, figures: BookingFigures | None = None) -> dict:
    """Booked minutes ÷ working minutes (weekly shifts) per technician, ÷ opening minutes per room, by day."""
    catalog, schedule = catalog_snapshot(), schedule_snapshot()
    figures = figures or booking_figures(window)
    by_technician, by_room = figures.busy_technician, figures.busy_room

    def shift_minutes(technician):
        return lambda day: sum(end - start for start, end in technician.weekly.get(day.weekday(), ()))

    def opening_minutes(room):
        location = catalog.locations.get(room.location_id)
        return lambda day: sum(end - start for start, end in (location.opening.get(day.weekday(), ()) if location else ()))

    technicians = [
        _line(t.id, t.name, window, by_technician, shift_minutes(t)) for t in sorted(schedule.technicians.values(), key=lambda t: t.name)
    ]
    rooms = [_line(r.id, r.name, window, by_room, opening_minutes(r)) for r in sorted(catalog.rooms.values(), key=lambda r: r.name)]
    return {"technicians": technicians, "rooms": rooms}


def concierge(window: Range) -> dict:
    """The concierge funnel over conversations started in the range: one query."""
    resolved = Q(outcome__in=[Outcome.BOOKED, Outcome.RESCHEDULED, Outcome.CANCELLED]) & Q(handoff=False)
    figures = Conversation.objects.filter(created_at__gte=window.start, created_at__lt=window.end).aggregate(
        conversations=Count("id"),
        bookings=Count("id", filter=Q(booking__isnull=False) | Q(outcome=Outcome.BOOKED)),
        handoffs=Count("id", filter=Q(handoff=True)),
        contained=Count("id", filter=resolved),
    )
    total = figures["conversations"]
    return {
        **figures,
        "conversion": _share(figures["bookings"], total),
        "containment": _share(figures["contained"], total),
    }


def dashboard(window: Range) -> dict:
    figures = booking_figures(window)
    return {
        "date_from": window.date_from.isoformat(),
        "date_to": window.date_to.isoformat(),
        "timezone": str(window.tz),
        "revenue": revenue(window, figures),
        "bookings": bookings(window, figures),
        "members": members(),
        "utilisation": utilisation(window, figures),
        "concierge": concierge(window),
    }


def dashboard_csv_rows(data: dict) -> list[list]:
    """The dashboard as one table per day (revenue, bookings, utilisation averages) for the CSV export."""
    rows: list[list] = [["date", "revenue", "technician_booked_minutes", "technician_available_minutes", "room_booked_minutes"]]
    technicians, rooms = data["utilisation"]["technicians"], data["utilisation"]["rooms"]
    for index, day in enumerate(data["revenue"]["by_day"]):
        rows.append([
            day["date"], day["amount"],
            sum(t["by_day"][index]["booked_minutes"] for t in technicians),
            sum(t["by_day"][index]["available_minutes"] for t in technicians),
            sum(r["by_day"][index]["booked_minutes"] for r in rooms),
        ])
    rows.append(["total", data["revenue"]["total"], "", "", ""])
    rows.append([])
    rows.append(["channel", "bookings"])
    rows += [[channel, n] for channel, n in data["bookings"]["by_channel"].items()]
    rows.append(["cancelled", data["bookings"]["cancelled"]])
    rows.append(["no_show", data["bookings"]["no_show"]])
    rows.append([])
    rows.append(["tier", "active members"])
    rows += [[tier, n] for tier, n in data["members"]["by_tier"].items()]
    rows.append([])
    rows.append(["concierge", "count"])
    rows += [[key, data["concierge"][key]] for key in ("conversations", "bookings", "handoffs", "contained", "conversion")]
    return rows
