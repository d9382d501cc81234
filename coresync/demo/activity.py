"""The demo spa's life (issue 15): eight weeks of bookings behind today and a week ahead, hours logged, concierge chats.

So the manager's dashboard has history to chart and the technicians' portal has
a day to run from ``make run``. Idempotent and additive: a day that already has
demo bookings (references ``DM…``) is left alone, real bookings are never moved,
and nothing overlaps a technician or a room (buffers included). Maya Rivera
(tech@coresync.test) always has a booking that started half an hour ago, to
mark completed, and today's hours are left for her to log.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

HISTORY_DAYS = 56
AHEAD_DAYS = 6
GUESTS = ["Ava Thompson", "Noah Patel", "Chloe Martin", "Mateo Garcia", "Hana Sato", "Liam Walsh", "Zara Ahmed", "Ethan Brooks",
          "Ines Costa", "Kofi Mensah", "Priya Shah", "Omar Haddad", "Jonas Berg", "Lena Novak", "Ruby Kim", "Theo Dubois"]
NOTES = ["Prefers firm pressure", "Nut allergy: no almond oil", "First visit", "Sensitive skin", "Left shoulder injury, go gently",
         "Running late sometimes, call ahead", "", "", "", "", "", ""]
CHANNELS = ["web"] * 5 + ["chat"] * 3 + ["phone"] * 2 + ["admin"]
TAX = Decimal("0.08875")
CENTS = Decimal("0.01")
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(day: date, n: int) -> str:
    value, chars = day.toordinal() * 40 + n, []
    for _ in range(7):
        value, r = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[r])
    return "DM-" + "".join(reversed(chars))


def seed_activity(*, today: date | None = None, now: datetime | None = None, log=lambda message: None) -> dict:
    from coresync.catalog.models import Location
    from coresync.technicians.models import Technician

    location = Location.objects.order_by("id").first()
    if location is None:
        return {"bookings": 0, "worklogs": 0, "conversations": 0}
    tz = ZoneInfo(location.timezone)
    now = now or timezone.now()
    today = today or now.astimezone(tz).date()
    technicians = list(Technician.objects.filter(active=True, location=location).select_related("user")
                       .prefetch_related("skills", "weekly_shifts").order_by("id"))
    diary = _Diary(location, tz, now)
    diary.fill(technicians, today - timedelta(days=HISTORY_DAYS), today + timedelta(days=AHEAD_DAYS), today)
    logs = _seed_worklogs(technicians, today=today, now=now)
    chats = _seed_chats(today=today, tz=tz)
    log(f"demo activity: {len(diary.bookings)} bookings, {len(logs)} work logs, {len(chats)} concierge chats")
    return {"bookings": len(diary.bookings), "worklogs": len(logs), "conversations": len(chats)}


def _free(intervals, start, until) -> bool:
    return all(until <= s or start >= e for s, e in intervals)


class _Diary:
    """Places demo bookings on the shifts, never over a busy technician or room (buffers included)."""

    def __init__(self, location, tz: ZoneInfo, now: datetime):
        from coresync.catalog.models import Price, Room, Service

        self.location, self.tz, self.now = location, tz, now
        self.services = list(Service.objects.filter(location=location, active=True).prefetch_related("addons").order_by("position"))
        self.rooms: dict[int, list[int]] = {}
        for room in Room.objects.filter(location=location).order_by("id"):
            self.rooms.setdefault(room.room_type_id, []).append(room.id)
        self.prices = {p.service_id: p.amount for p in Price.objects.filter(column="non_member", service__isnull=False)}
        self.addon_prices = {p.addon_id: p.amount for p in Price.objects.filter(column="non_member", addon__isnull=False)}
        self.busy_tech: dict[int, list[tuple]] = {}
        self.busy_room: dict[int, list[tuple]] = {}
        self.bookings: list = []
        self.addons: list[tuple] = []

    def _window(self, first: date, last: date):
        from coresync.bookings.models import Booking

        start = datetime.combine(first, datetime.min.time(), self.tz)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), self.tz)
        for _ref, tech_id, room_id, s, until in (
            Booking.objects.filter(start__lt=end, blocked_until__gt=start).exclude(status__in=("cancelled", "expired"))
            .values_list("reference", "technician_id", "room_id", "start", "blocked_until")
        ):
            self.busy_tech.setdefault(tech_id, []).append((s, until))
            self.busy_room.setdefault(room_id, []).append((s, until))
        return {s.astimezone(self.tz).date() for s in Booking.objects.filter(
            reference__startswith="DM-", start__gte=start, start__lt=end).values_list("start", flat=True)}

    def fill(self, technicians, first: date, last: date, today: date) -> None:
        from coresync.bookings.models import Booking, BookingAddOn

        seeded = self._window(first, last)
        maya = next((t for t in technicians if t.user.email == "tech@coresync.test"), None)
        day = first
        while day <= last:
            if day not in seeded:
                rng = random.Random(day.toordinal())
                counter = [0]
                if day == today and maya is not None:
                    started = (self.now - timedelta(minutes=30)).astimezone(self.tz).replace(second=0, microsecond=0)
                    started -= timedelta(minutes=started.minute % 15)
                    if started.date() == today:
                        self.place(rng, day, counter, maya, started, status="confirmed")
                for technician in technicians:
                    self._day(rng, day, counter, technician)
            day += timedelta(days=1)
        Booking.objects.bulk_create(self.bookings, batch_size=500)
        BookingAddOn.objects.bulk_create(
            [BookingAddOn(booking=b, addon=a, name=a.name, extra_minutes=a.extra_minutes, amount=self.addon_prices[a.id])
             for b, a in self.addons],
            batch_size=500,
        )

    def _day(self, rng, day: date, counter, technician) -> None:
        for shift in technician.weekly_shifts.all():
            if shift.weekday != day.weekday():
                continue
            slot = datetime.combine(day, shift.starts, self.tz)
            close = datetime.combine(day, shift.ends, self.tz)
            while slot + timedelta(minutes=90) <= close:
                if rng.random() < 0.7:
                    self.place(rng, day, counter, technician, slot)
                slot += timedelta(minutes=120)

    def _status(self, rng, until: datetime) -> str:
        roll, past = rng.random(), until <= self.now
        if roll < 0.86:
            return "completed" if past else "confirmed"
        if roll < 0.95:
            return "cancelled"
        return "no_show" if past else "confirmed"

    def place(self, rng, day: date, counter, technician, start: datetime, *, status: str | None = None) -> None:
        from coresync.bookings.models import Booking

        skills = {s.id for s in technician.skills.all()}
        fitting = [s for s in self.services if s.required_skill_id in skills and s.id in self.prices and s.duration_minutes <= 90]
        if not fitting:
            return
        service = rng.choice(fitting)
        chosen = [a for a in service.addons.all() if a.id in self.addon_prices and rng.random() < 0.25][:1]
        end = start + timedelta(minutes=service.duration_minutes + sum(a.extra_minutes for a in chosen))
        until = end + timedelta(minutes=service.buffer_minutes)
        if not _free(self.busy_tech.get(technician.id, []), start, until):
            return
        room_id = next((r for r in self.rooms.get(service.required_room_type_id, []) if _free(self.busy_room.get(r, []), start, until)), None)
        if room_id is None:
            return
        status = status or self._status(rng, until)
        subtotal = self.prices[service.id] + sum((self.addon_prices[a.id] for a in chosen), Decimal("0"))
        tax = (subtotal * TAX).quantize(CENTS, ROUND_HALF_UP)
        n = counter[0]
        counter[0] += 1
        booking = Booking(  # walk-in guests only: the demo members' own pages stay as they are
            reference=_reference(day, n), location=self.location, customer_name=rng.choice(GUESTS),
            customer_email=f"guest{day.toordinal() % 1000}-{n}@example.com",
            service=service, technician=technician, room_id=room_id, start=start, end=end, blocked_until=until, status=status,
            channel=rng.choice(CHANNELS), notes=rng.choice(NOTES), price_column="non_member", subtotal=subtotal, tax=tax,
            total=subtotal + tax, price_lines=[{"description": service.name, "amount": str(self.prices[service.id])}],
            cancelled_at=start - timedelta(days=1) if status == "cancelled" else None,
        )
        self.bookings.append(booking)
        self.addons.extend((booking, a) for a in chosen)
        if status != "cancelled":
            self.busy_tech.setdefault(technician.id, []).append((start, until))
            self.busy_room.setdefault(room_id, []).append((start, until))


def _seed_worklogs(technicians, *, today: date, now: datetime) -> list:
    """The weeks before approved (payroll has figures), this week pending (the manager has work); today left to log."""
    from coresync.accounts.models import User
    from coresync.technicians.models import ReviewStatus, WorkLog

    manager = User.objects.filter(role="manager").order_by("id").first()
    monday = today - timedelta(days=today.weekday())
    have = set(WorkLog.objects.filter(date__gte=monday - timedelta(days=14)).values_list("technician_id", "date"))
    logs = []
    for technician in technicians:
        weekdays = {s.weekday for s in technician.weekly_shifts.all()}
        for back in range(1, 15):
            day = today - timedelta(days=back)
            if day.weekday() not in weekdays or (technician.id, day) in have:
                continue
            pending = day >= monday
            hours = Decimal(random.Random(technician.id * 1000 + day.toordinal()).choice(["6.00", "7.50", "8.00", "8.00", "8.50"]))
            logs.append(WorkLog(
                technician=technician, date=day, hours=hours, status=ReviewStatus.PENDING if pending else ReviewStatus.APPROVED,
                reviewed_by=None if pending else manager, reviewed_at=None if pending else now,
                history=[{"at": now.isoformat(), "by": "demo", "action": "logged", "hours": str(hours)}],
            ))
    WorkLog.objects.bulk_create(logs)

    return logs


def _seed_chats(*, today: date, tz: ZoneInfo) -> list:
    """A few concierge conversations a day, some ending in a booking, some handed to staff."""
    from coresync.ai_agent.models import Conversation, Outcome

    chats: list = []
    if not Conversation.objects.filter(last_intent="demo").exists():
        stamps = []
        for back in range(HISTORY_DAYS):
            day = today - timedelta(days=back)
            rng = random.Random(-day.toordinal())
            for k in range(rng.randint(2, 7)):
                roll = rng.random()
                outcome = Outcome.BOOKED if roll < 0.45 else (Outcome.HANDOFF if roll < 0.55 else (Outcome.ENDED if roll < 0.9 else Outcome.RESCHEDULED))
                chats.append(Conversation(channel="web" if k % 3 else "phone", turns=rng.randint(2, 12), last_intent="demo",
                                          outcome=outcome, handoff=outcome == Outcome.HANDOFF))
                stamps.append(datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=9 + k, minutes=rng.randint(0, 59)))
        Conversation.objects.bulk_create(chats)
        for chat, stamp in zip(chats, stamps, strict=True):  # created_at is auto_now_add: put each on its day afterwards
            chat.created_at = stamp
        Conversation.objects.bulk_update(chats, ["created_at"], batch_size=500)
    return chats
