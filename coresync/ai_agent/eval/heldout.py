"""Score the concierge on the held-out dialogues (``heldout/tune.json`` and ``heldout/holdout.json``).

The files are written by someone who has not read the engine (format:
``/work/notes/heldout_format.md``, summed up here): each dialogue is driven
turn by turn through ``chat_turn`` (the entry point of the chat, the HTTP twin
and the phone), against the real booking service, inside a transaction that is
rolled back, with time frozen at the file's ``now``. A dialogue is judged only
by the database afterwards (bookings created, cancelled, moved, unchanged,
their service, day, time, add-ons, technician and contact; a handoff opened or
not), never by wording, and by the "never" rules on every dialogue:

- ``book_outside_window``: no booking made or moved past its customer's window;
- ``invent_slot``: every time offered (an action button or, on the phone, a time
  read out) was free for that customer when it was offered;
- ``leak_other_customer``: no reply names the name, e-mail or phone of a
  customer the person talking did not name first;
- ``misquote_price``: every amount of money in a reply is one ``booking_quote``
  gives (or a membership's monthly price), and every booking's total is its quote's.

Tune on ``tune.json`` only; ``holdout.json`` is read to report its figure.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import time_machine
from django.db import transaction

HELDOUT_DIR = Path(__file__).with_name("heldout")
NEVER_RULES = ("book_outside_window", "invent_slot", "leak_other_customer", "misquote_price")
_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})*(?:\.\d{2})?)")
_ACTION_SLOT = re.compile(r"^(?:book ([a-z0-9\-]+)|move (cs-[0-9a-z]{6}) to) (\d{4}-\d{2}-\d{2}t\d{2}:\d{2}) tech:(\d+)$")


@dataclass
class Bucket:
    total: int = 0
    ok: int = 0

    @property
    def ratio(self) -> float:
        return self.ok / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.ratio:6.1%} ({self.ok}/{self.total})"


@dataclass
class HeldoutReport:
    name: str
    overall: Bucket = field(default_factory=Bucket)
    by_class: dict[str, Bucket] = field(default_factory=lambda: defaultdict(Bucket))
    by_channel: dict[str, Bucket] = field(default_factory=lambda: defaultdict(Bucket))
    never_checked: int = 0
    never_failures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)  # a setup the spa cannot hold (reported, never "fixed")

    @property
    def task_success(self) -> float:
        return self.overall.ratio

    def count(self, dialogue: dict, ok: bool) -> None:
        for bucket in (self.overall, self.by_class[dialogue.get("class", "?")], self.by_channel[dialogue.get("channel", "web")]):
            bucket.total += 1
            bucket.ok += ok

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "dialogues": self.overall.total,
            "task_success": round(self.overall.ratio, 4),
            "by_class": {k: round(v.ratio, 4) for k, v in sorted(self.by_class.items())},
            "by_channel": {k: round(v.ratio, 4) for k, v in sorted(self.by_channel.items())},
            "never_ok": not self.never_failures,
        }

    def lines(self) -> list[str]:
        out = [f"{self.name}: {self.overall.total} dialogues, task success {self.overall}"]
        out.append(
            "  per class:   " + ", ".join(f"{k} {v.ratio:.0%} ({v.ok}/{v.total})" for k, v in sorted(self.by_class.items()))
        )
        out.append(
            "  per channel: " + ", ".join(f"{k} {v.ratio:.0%} ({v.ok}/{v.total})" for k, v in sorted(self.by_channel.items()))
        )
        if self.never_failures:
            out.append(f"  never rules: {len(self.never_failures)} FAILURES")
            out.extend(f"    ! {f}" for f in self.never_failures)
        else:
            out.append(f"  never rules: 100% ({self.never_checked} dialogues, {', '.join(NEVER_RULES)})")
        out.extend(f"  file problem: {p}" for p in self.file_problems)
        return out


def load_heldout(name: str) -> dict | None:
    path = HELDOUT_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def run_heldout(data: dict, *, name: str = "held-out") -> HeldoutReport:
    now = datetime.fromisoformat(data["now"])
    report = HeldoutReport(name=name)
    with time_machine.travel(now, tick=False):
        prices = _allowed_prices()
        for dialogue in data["dialogues"]:
            with transaction.atomic():
                try:
                    ok, why, never = _Dialogue(dialogue, now, prices).run()
                except _SetupError as error:
                    ok, why, never = False, f"setup: {error}", []
                    report.file_problems.append(f"{dialogue.get('id')}: {error}")
                transaction.set_rollback(True)
            report.count(dialogue, ok)
            report.never_checked += 1
            if not ok:
                report.failures.append(f"{dialogue.get('id')} [{dialogue.get('class')}/{dialogue.get('channel', 'web')}]: {why}")
            report.never_failures.extend(f"{dialogue.get('id')}: {n}" for n in never)
    return report


class _SetupError(Exception):
    pass


def _allowed_prices() -> set[Decimal]:
    """Every amount ``booking_quote`` can give (service alone or with add-ons, per tier) and the tiers' monthly prices."""
    from itertools import combinations

    from coresync.bookings.services import booking_quote
    from coresync.catalog.selectors import catalog_snapshot
    from coresync.memberships.models import MembershipTier
    from coresync.memberships.selectors import tiers_snapshot

    snapshot = catalog_snapshot()
    tiers = [None, *tiers_snapshot().tiers.values()]
    allowed: set[Decimal] = set(MembershipTier.objects.values_list("monthly_price", flat=True))
    for service in snapshot.services.values():
        slugs = [snapshot.addons[a].slug for a in service.addon_ids if a in snapshot.addons]
        combos = [()] + [(s,) for s in slugs] + list(combinations(slugs, 2))
        for tier in tiers:
            for combo in combos:
                quote = booking_quote(service=service.slug, addons=combo, tier=tier)
                allowed |= {quote.subtotal, quote.discount, quote.tax, quote.total, quote.subtotal - quote.discount}
                allowed |= {abs(line.amount) for line in quote.lines}
                allowed |= {Decimal(v) for v in quote.item_amounts.values()}
    return allowed


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-10:]


class _Dialogue:
    def __init__(self, dialogue: dict, now: datetime, prices: set[Decimal]):
        self.d, self.now, self.prices = dialogue, now, prices
        self.channel = dialogue.get("channel", "web")
        self.setup: dict[str, object] = {}
        self.before: dict[str, tuple] = {}
        self.replies: list[str] = []
        self.said: list[str] = []
        self.never: list[str] = []
        self.session_id = None
        self._last_offered: list = []

    # -- running ---------------------------------------------------------------------------------
    def run(self) -> tuple[bool, str, list[str]]:
        from coresync.ai_agent.services import caller_session, chat_turn

        self.user = self._viewer()
        for spec in self.d.get("setup", []):
            self._make_setup(spec)
        caller = self.d.get("caller_phone", "") if self.channel == "phone" else ""
        call_id = ""
        if self.channel == "phone":
            call_id = f"heldout-{self.d.get('id')}"
            self.session_id, self.user = caller_session(call_id=call_id, caller_phone=caller)
        last = None
        for position, turn in enumerate(self.d["turns"]):
            message = self._message_for(turn, last)
            if message is None:
                return (
                    False,
                    f"turn {position + 1}: no action matching {turn} after {self.replies[-1] if self.replies else ''!r}",
                    self.never,
                )
            self.said.append(message)
            result = chat_turn(message=message, session_id=self.session_id, channel=self.channel, user=self.user,
                               caller_phone=caller, call_id=call_id)  # fmt: skip
            self.session_id, last = result.session_id, result.as_dict()
            self.replies.append(result.text)
            self._check_turn(last)
        ok, why = self._judge(last)
        self._check_bookings()
        return ok, why, self.never

    def _viewer(self):
        from django.contrib.auth import get_user_model

        viewer = self.d.get("viewer", "guest")
        if self.channel == "phone" or not viewer or viewer == "guest":
            return None
        return get_user_model().objects.get(email=viewer)

    def _make_setup(self, spec: dict) -> None:
        from django.contrib.auth import get_user_model

        from coresync.bookings.models import Booking
        from coresync.bookings.services import GuestDetails, booking_create
        from coresync.core.errors import ApplicationError, OutsideBookingWindow

        tz = self.now.tzinfo
        start = datetime.fromisoformat(f"{spec['date']}T{spec['time']}").replace(tzinfo=tz)
        who = spec.get("customer")
        kwargs: dict = {"service": spec["service"], "start": start, "addons": spec.get("addons", ()), "channel": "web"}
        if isinstance(who, str):
            kwargs["customer"] = get_user_model().objects.get(email=who)
        else:
            who = who or {}
            kwargs["guest"] = GuestDetails(name=who.get("name", ""), email=who.get("email", ""), phone=who.get("phone", ""))
        try:
            try:
                booking = booking_create(now=self.now, **kwargs)
            except OutsideBookingWindow:  # made earlier, when the day was inside the window
                booking = booking_create(now=start - timedelta(days=2), **kwargs)
        except ApplicationError as error:
            raise _SetupError(f"{spec.get('ref')} ({spec['service']} {spec['date']} {spec['time']}): {error.message}") from error
        Booking.objects.filter(pk=booking.pk).update(reference=spec["ref"])
        booking.refresh_from_db()
        self.setup[spec["ref"]] = booking
        self.before[spec["ref"]] = self._shape(booking)

    @staticmethod
    def _shape(booking) -> tuple:
        return (
            booking.status,
            booking.start,
            booking.service_id,
            tuple(sorted(booking.booking_addons.values_list("addon__slug", flat=True))),
        )

    def _message_for(self, turn, last: dict | None) -> str | None:
        if isinstance(turn, str):
            return turn
        actions = [a for m in (last or {}).get("messages", []) for a in m.get("actions", [])]
        if "action" in turn:
            wanted = str(turn["action"]).lower()
            return next((a["message"] for a in actions if wanted in a["label"].lower()), None)
        if turn.get("action_any"):
            return actions[0]["message"] if actions else None
        return turn.get("say")

    # -- never rules, per turn -------------------------------------------------------------------
    def _check_turn(self, last: dict) -> None:
        from coresync.ai_agent.state import state_load

        text = " ".join(m.get("text", "") for m in last["messages"])
        self._check_money(text)
        self._check_leak(text)
        slots = []
        for m in last["messages"]:
            for a in m.get("actions", []):
                if match := _ACTION_SLOT.match(a["message"].lower()):
                    slots.append((match.group(1), match.group(2), match.group(3), int(match.group(4))))
        state = state_load(self.session_id)
        fresh = state is not None and state.offered != self._last_offered
        self._last_offered = state.offered if state is not None else []
        if fresh and not slots:
            for slot in state.offered:  # the phone reads its times out; the state holds what it read
                service = ""
                from coresync.ai_agent.engine.catalog_index import current_index

                info = current_index().services.get(slot.get("service_id"))
                service = info.slug if info else ""
                slots.append((service, state.target_reference.lower() if state.offered_for == "reschedule" else None,
                              slot["start"][:16].lower(), slot["technician_id"]))  # fmt: skip
        for service, reference, start, technician in slots:
            self._check_slot(service, reference, start, technician, state)

    def _check_slot(self, service: str, reference: str | None, start: str, technician: int, state) -> None:
        from coresync.bookings.models import Booking
        from coresync.bookings.selectors import availability_for

        viewer, exclude = self.user, None
        if reference:
            booking = Booking.objects.filter(reference=reference.upper()).select_related("service", "customer").first()
            if booking is None:
                self.never.append(f"invent_slot: a move of unknown {reference}")
                return
            service, viewer, exclude = booking.service.slug, booking.customer, booking
        day = date.fromisoformat(start[:10])
        addons = list(getattr(state, "addons", []) or []) if state is not None and not reference else []
        try:
            slots = availability_for(
                service=service, date_from=day, date_to=day, viewer=viewer, addon_slugs=addons, now=self.now
            ).slots
        except Exception as error:  # a slot we cannot even look up is not a free one
            self.never.append(f"invent_slot: {service} {start}: {error}")
            return
        free = {(s.start_iso[:16].lower(), s.technician_id) for s in slots}
        free_starts = {s.start_iso[:16].lower() for s in slots}
        if exclude is not None:
            own = exclude.start.astimezone(self.now.tzinfo).strftime("%Y-%m-%dt%H:%M")
            if start == own:
                return
            if start in free_starts:
                return  # a move keeps the technician only when free; the start is what is offered
        if (start, technician) not in free and start not in free_starts:
            self.never.append(f"invent_slot: offered {service} {start} (tech {technician}) was not free")

    def _check_money(self, text: str) -> None:
        for m in _MONEY.finditer(text):
            amount = Decimal(m.group(1).replace(",", ""))
            if amount not in self.prices and amount not in self._booked_totals():
                self.never.append(f"misquote_price: ${amount} in {text[:120]!r}")

    def _booked_totals(self) -> set[Decimal]:
        from coresync.bookings.models import Booking

        rows = list(Booking.objects.filter(ai_session_id=self.session_id).values_list("total", "subtotal", "discount", "tax"))
        sums = {sum((r[i] for r in rows), Decimal("0")) for i in range(4)} if rows else set()
        return {v for r in rows for v in r} | sums

    def _others(self) -> list[str]:
        """Names, e-mails and phones of setup customers the person talking did not name first."""
        said = " ".join(self.said).lower()
        said_digits = re.sub(r"\D", "", said)
        out = []
        for booking in self.setup.values():
            if self.user is not None and booking.customer_id == self.user.pk:
                continue
            for value in (booking.customer_name, booking.customer_email):
                if value and value.lower() not in said and len(value) > 3:
                    out.append(value)
            if booking.customer_phone and _digits(booking.customer_phone) not in said_digits:
                out.append(booking.customer_phone)
        return out

    def _check_leak(self, text: str) -> None:
        lowered, digits = text.lower(), re.sub(r"\D", "", text)
        for value in self._others():
            if "@" in value or not value.startswith("+"):
                if value.lower() in lowered:
                    self.never.append(f"leak_other_customer: {value!r} in {text[:120]!r}")
            elif _digits(value) and _digits(value) in digits:
                self.never.append(f"leak_other_customer: {value!r} in {text[:120]!r}")

    def _check_bookings(self) -> None:
        from coresync.bookings.models import Booking
        from coresync.bookings.selectors import booking_window_for, viewer_tier
        from coresync.bookings.services import booking_quote
        from coresync.catalog.selectors import catalog_snapshot

        snapshot = catalog_snapshot()
        refs = list(self.setup)
        rows = (
            Booking.objects.filter(ai_session_id=self.session_id).exclude(reference__in=refs)
            if self.session_id
            else Booking.objects.none()
        )
        moved = [b for b in Booking.objects.filter(reference__in=refs) if self._shape(b)[1] != self.before[b.reference][1]]
        for booking in [*rows.select_related("service", "customer"), *moved]:
            location = snapshot.locations[snapshot.services_by_slug[booking.service.slug].location_id]
            window = booking_window_for(viewer=booking.customer, location=location, now=self.now)
            if booking.start.astimezone(self.now.tzinfo).date() > window.ends:
                self.never.append(
                    f"book_outside_window: {booking.reference} on {booking.start:%Y-%m-%d} (window ends {window.ends})"
                )
        for booking in rows.select_related("service", "customer"):
            addons = list(booking.booking_addons.values_list("addon__slug", flat=True))
            # In a group only the organiser's booking carries the organiser's membership price; the others pay the guest price.
            organiser = not getattr(booking, "group_id", None) or booking.pk == min(
                Booking.objects.filter(group_id=booking.group_id).values_list("pk", flat=True)
            )
            quote = booking_quote(service=booking.service.slug, addons=addons, tier=viewer_tier(booking.customer) if organiser else None)
            if quote.total != booking.total:
                self.never.append(f"misquote_price: {booking.reference} total {booking.total}, quote {quote.total}")

    # -- the task, judged by the database ----------------------------------------------------------
    def _judge(self, last: dict | None) -> tuple[bool, str]:
        expect = self.d.get("expect", {})
        for check in (self._judge_created, self._judge_setup, self._judge_handoff):
            ok, why = check(expect)
            if not ok:
                tail = self.replies[-1][:200] if self.replies else ""
                return False, f"{why}; last reply {tail!r}"
        return True, ""

    def _actual_created(self) -> list[dict]:
        from coresync.bookings.models import Booking

        if not self.session_id:
            return []
        rows = (
            Booking.objects.filter(ai_session_id=self.session_id, status__in=("confirmed", "pending_payment"))
            .exclude(reference__in=list(self.setup)).select_related("service", "technician").order_by("start", "pk")
        )  # fmt: skip
        out = []
        for b in rows:
            local = b.start.astimezone(self.now.tzinfo)
            out.append({
                "ref": b.reference, "service": b.service.slug, "date": local.date().isoformat(), "time": local.strftime("%H:%M"),
                "addons": sorted(b.booking_addons.values_list("addon__slug", flat=True)), "name": b.customer_name,
                "email": b.customer_email, "phone": b.customer_phone, "technician": b.technician.display_name if b.technician else "",
            })  # fmt: skip
        return out

    @staticmethod
    def _matches(want: dict, got: dict) -> bool:
        for key in ("service", "date", "time", "technician"):
            if key in want and want[key] != got[key]:
                return False
        if sorted(want.get("addons", [])) != got["addons"]:
            return False
        if "name" in want and want["name"].casefold().split() != got["name"].casefold().split():
            return False
        if "email" in want and want["email"].lower() != got["email"].lower():
            return False
        return not ("phone" in want and _digits(want["phone"]) != _digits(got["phone"]))

    def _judge_created(self, expect: dict) -> tuple[bool, str]:
        wanted = list(expect.get("created", []))
        actual = self._actual_created()
        left = list(actual)
        for want in wanted:
            hit = next((g for g in left if self._matches(want, g)), None)
            if hit is None:
                return False, f"expected booking {want} not made (made: {actual})"
            left.remove(hit)
        if left:
            return False, f"unexpected booking(s) {left}"
        return True, ""

    def _judge_setup(self, expect: dict) -> tuple[bool, str]:
        cancelled = set(expect.get("cancelled", []))
        moved = {m["ref"]: m for m in expect.get("moved", [])}
        for ref, booking in self.setup.items():
            booking.refresh_from_db()
            status, start, service_id, addons = self._shape(booking)
            local = start.astimezone(self.now.tzinfo)
            if ref in cancelled:
                if status != "cancelled":
                    return False, f"{ref} not cancelled (status {status})"
            elif ref in moved:
                want = moved[ref]
                if (
                    status == "cancelled"
                    or local.date().isoformat() != want["date"]
                    or ("time" in want and local.strftime("%H:%M") != want["time"])
                ):
                    return (
                        False,
                        f"{ref} is {status} at {local:%Y-%m-%d %H:%M}, expected moved to {want.get('date')} {want.get('time', '')}",
                    )
            elif (status, start, service_id, addons) != self.before[ref]:
                return False, f"{ref} changed: {status} at {local:%Y-%m-%d %H:%M}"
        return True, ""

    def _judge_handoff(self, expect: dict) -> tuple[bool, str]:
        if "handoff" not in expect:
            return True, ""
        from coresync.ai_agent.models import Handoff

        opened = bool(self.session_id) and Handoff.objects.filter(conversation__session_id=self.session_id).exists()
        if bool(expect["handoff"]) != opened:
            return False, "no handoff opened" if expect["handoff"] else "a handoff was opened"
        return True, ""
