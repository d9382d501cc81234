"""Score the concierge on the evaluation set (``cases.json``): intent accuracy, entity accuracy, task success.

Single utterances check the parser; dialogues run whole conversations through
``chat_turn`` against the real booking service, each inside a transaction
that is rolled back, with time frozen at the set's ``now``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import time_machine
from django.db import transaction

CASES_FILE = Path(__file__).with_name("cases.json")


@dataclass
class EvalReport:
    intents_total: int = 0
    intents_ok: int = 0
    entities_total: int = 0
    entities_ok: int = 0
    dialogues_total: int = 0
    dialogues_ok: int = 0
    failures: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(ok: int, total: int) -> float:
        return ok / total if total else 1.0

    @property
    def intent_accuracy(self) -> float:
        return self._ratio(self.intents_ok, self.intents_total)

    @property
    def entity_accuracy(self) -> float:
        return self._ratio(self.entities_ok, self.entities_total)

    @property
    def task_success(self) -> float:
        return self._ratio(self.dialogues_ok, self.dialogues_total)

    def as_dict(self) -> dict:
        return {
            "cases": self.intents_total + self.dialogues_total,
            "intent_accuracy": round(self.intent_accuracy, 4),
            "entity_accuracy": round(self.entity_accuracy, 4),
            "task_success": round(self.task_success, 4),
            "utterances": self.intents_total,
            "dialogues": self.dialogues_total,
        }


def load_cases(path: Path = CASES_FILE) -> dict:
    return json.loads(path.read_text())


def run_eval(cases: dict | None = None) -> EvalReport:
    cases = cases or load_cases()
    now = datetime.fromisoformat(cases["now"])
    report = EvalReport()
    with time_machine.travel(now, tick=False):
        _score_utterances(cases["utterances"], report)
        for dialogue in cases["dialogues"]:
            with transaction.atomic():
                ok, why = _run_dialogue(dialogue, now)
                transaction.set_rollback(True)
            report.dialogues_total += 1
            report.dialogues_ok += ok
            if not ok:
                report.failures.append(f"dialogue {dialogue['name']!r}: {why}")
    return report


def _score_utterances(utterances: list[dict], report: EvalReport) -> None:
    from django.utils import timezone

    from coresync.ai_agent.engine.catalog_index import current_index
    from coresync.ai_agent.engine.nlu import parse_message
    from coresync.ai_agent.engine.rules import local_today
    from coresync.ai_agent.engine.text import clean

    index = current_index()
    today = local_today(timezone.now(), index.timezone)
    for case in utterances:
        parse = parse_message(clean(case["text"]), index=index, today=today)
        found = parse.entities(index)
        report.intents_total += 1
        if parse.intent == case["intent"]:
            report.intents_ok += 1
        else:
            report.failures.append(f"intent {case['text']!r}: expected {case['intent']}, got {parse.intent}")
        for key, expected in case.get("entities", {}).items():
            report.entities_total += 1
            if found.get(key) == expected:
                report.entities_ok += 1
            else:
                report.failures.append(f"entity {case['text']!r}: {key} expected {expected!r}, got {found.get(key)!r}")


def _setup_booking(spec: dict | None, now: datetime):
    if not spec:
        return None
    from coresync.bookings.services import GuestDetails, booking_create

    start = datetime.fromisoformat(spec["start"]).replace(tzinfo=now.tzinfo)
    return booking_create(service=spec["service"], start=start, guest=GuestDetails(*spec["guest"]), now=now)


def _user(name: str | None):
    if not name:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=f"{name}@coresync.test")


def _run_dialogue(dialogue: dict, now: datetime) -> tuple[bool, str]:
    from coresync.ai_agent.services import caller_session, chat_turn
    from coresync.ai_agent.state import state_load

    setup = _setup_booking(dialogue.get("setup"), now)
    reference = setup.reference if setup else ""
    channel = dialogue.get("channel", "web")
    caller = dialogue.get("caller_phone", "")
    call_id = f"eval-{dialogue['name']}" if channel == "phone" else ""
    session_id = caller_session(call_id=call_id, caller_phone=caller)[0] if call_id else None
    user = _user(dialogue.get("user"))
    replies, last = [], None
    for turn in dialogue["turns"]:
        message = _message_for(turn, last, session_id, state_load, reference)
        if message is None:
            return False, f"cannot follow {turn} after {replies[-1] if replies else ''!r}"
        result = chat_turn(message=message, session_id=session_id, channel=channel, user=user, caller_phone=caller, call_id=call_id)
        session_id, last = result.session_id, result.as_dict()
        replies.append(result.text)
    return _check(dialogue["expect"], session_id=session_id, last=last, replies=replies, setup=setup, now=now)


def _message_for(turn: dict, last: dict | None, session_id, state_load, reference: str) -> str | None:
    if "say" in turn:
        return turn["say"].replace("{ref}", reference)
    actions = [a for m in (last or {}).get("messages", []) for a in m.get("actions", [])]
    if "choose" in turn:
        return next((a["message"] for a in actions if turn["choose"].lower() in a["label"].lower()), None)
    if "choose_index" in turn:
        return actions[turn["choose_index"]]["message"] if len(actions) > turn["choose_index"] else None
    if "say_offered" in turn:
        state = state_load(session_id) if session_id else None
        if not state or len(state.offered) <= turn["say_offered"]:
            return None
        start = datetime.fromisoformat(state.offered[turn["say_offered"]]["start"])
        return f"{start:%I:%M %p} please".lstrip("0").lower()
    return None


def _check(expect: dict, *, session_id, last, replies, setup, now) -> tuple[bool, str]:  # noqa: C901 - one line per kind of expectation
    from coresync.bookings.models import Booking

    booking = Booking.objects.select_related("service__category", "technician", "customer").filter(ai_session_id=session_id).first()
    tz = now.tzinfo
    if "booking" in expect:
        if booking is None:
            return False, f"no booking; last reply {replies[-1]!r}"
        local = booking.start.astimezone(tz)
        spec = expect["booking"]
        actual = {
            "channel": booking.channel, "service": booking.service.slug, "category": booking.service.category.slug,
            "start": local.strftime("%Y-%m-%dT%H:%M"), "date": local.date().isoformat(), "status": booking.status,
            "technician": booking.technician.display_name,
            "customer": booking.customer.email.split("@")[0] if booking.customer else "",
        }  # fmt: skip
        for key, value in spec.items():
            if key == "before":
                if not actual["date"] < value:
                    return False, f"booked {actual['date']}, not before {value}"
            elif actual.get(key) != value:
                return False, f"booking {key}={actual.get(key)!r}, expected {value!r}"
    if expect.get("no_booking") and booking is not None:
        return False, "a booking was made"
    if setup is not None:
        setup.refresh_from_db()
        local = setup.start.astimezone(tz)
        if expect.get("cancelled") and setup.status != "cancelled":
            return False, f"not cancelled; last reply {replies[-1]!r}"
        if (expect.get("not_cancelled") or expect.get("no_booking_change")) and setup.status == "cancelled":
            return False, "cancelled without proof"
        if "rescheduled_to" in expect and local.strftime("%Y-%m-%dT%H:%M") != expect["rescheduled_to"]:
            return False, f"start is {local:%Y-%m-%dT%H:%M}; last reply {replies[-1]!r}"
        if "rescheduled_date" in expect and local.date().isoformat() != expect["rescheduled_date"]:
            return False, f"start is {local:%Y-%m-%d}; last reply {replies[-1]!r}"
    if expect.get("handoff") and not last["state"].get("handoff"):
        return False, "no handoff"
    if "reply_contains" in expect and not any(expect["reply_contains"] in r for r in replies):
        return False, f"no reply contains {expect['reply_contains']!r}"
    if "reply_excludes" in expect and any(expect["reply_excludes"] in r for r in replies):
        return False, f"a reply leaked {expect['reply_excludes']!r}"
    return True, ""
