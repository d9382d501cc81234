"""Every action the concierge offers is understood when it comes back, in the context it was offered in.

The test drives the engine through its flows (greeting, menu, a treatment, free
times, the booking summary, prices, membership, FAQ, handoff, guest details,
cancel and reschedule), collects every action of every reply, and sends each
action's ``message`` back from the state it was offered in, two levels deep.
None may be answered with "not understood" (the fallback that counts towards a
handoff and e-mails the manager).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from django.db import transaction

from coresync.ai_agent.state import state_load, state_save
from coresync.ai_agent.tests.conftest import NEW_YORK, Chat
from coresync.bookings.services import GuestDetails, booking_create

pytestmark = pytest.mark.django_db

MAX_DEPTH = 2


class _Rollback(Exception):
    pass


def _not_understood(reply: dict) -> bool:
    text = " ".join(m["text"] for m in reply["messages"])
    return reply["state"].get("intent") == "fallback" or "didn't quite get" in text or "couldn't help with that" in text


def _shape(message: str) -> str:
    """One representative per kind of action: the same button for another time or booking is not new."""
    message = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", "<start>", message)
    message = re.sub(r"CS-[0-9A-Z]{6}", "<ref>", message)
    return re.sub(r"tech:\d+", "tech:<n>", message)


def _fork(c: Chat) -> Chat:
    """A copy of the conversation under a new session id (the database side is rolled back per branch)."""
    state = state_load(c.session_id)
    state.session_id = str(uuid.uuid4())
    state_save(state)
    copy = Chat(channel=c.channel, user=c.user, caller_phone=c.caller_phone)
    copy.session_id, copy.last = state.session_id, c.last
    return copy


def _explore(c: Chat, path: list[str], seen: set, failures: list, offered: set, depth: int = 0) -> None:
    state = state_load(c.session_id)
    context = (state.awaiting, state.pending_operation, state.offered_for if state.offered else "")
    for found in c.actions:
        offered.add(_shape(found["message"]))
        key = (_shape(found["message"]), context)
        if key in seen:
            continue
        seen.add(key)
        branch = _fork(c)
        try:
            with transaction.atomic():
                reply = branch.say(found["message"])
                if _not_understood(reply):
                    failures.append(f"{' > '.join(path)} > [{found['label']}] {found['message']!r}: {branch.text}")
                elif depth + 1 < MAX_DEPTH:
                    _explore(branch, [*path, found["label"]], seen, failures, offered, depth + 1)
                raise _Rollback
        except _Rollback:
            pass


@pytest.fixture
def bookings(demo_spa, frozen_now):
    guest = booking_create(
        service="swedish-massage", start=datetime(2026, 11, 25, 14, 0, tzinfo=NEW_YORK),
        guest=GuestDetails("Ann Lee", "ann@example.com", "+1 (646) 555-0123"), now=frozen_now,
    )  # fmt: skip
    soon = booking_create(service="swedish-massage", start=datetime(2026, 11, 23, 15, 0, tzinfo=NEW_YORK),
                          guest=GuestDetails("Bo Chen", "bo@example.com"), now=frozen_now)  # fmt: skip
    user = demo_spa.users["base"]
    own = [
        booking_create(service="signature-facial", start=datetime(2026, 11, 30, 11, 0, tzinfo=NEW_YORK), customer=user, now=frozen_now),
        booking_create(service="swedish-massage", start=datetime(2026, 12, 1, 15, 0, tzinfo=NEW_YORK), customer=user, now=frozen_now),
    ]
    return {"guest": guest, "soon": soon, "own": own, "user": user}


def _web_scripts(bookings) -> list[tuple[dict, list[str]]]:
    guest, soon = bookings["guest"].reference, bookings["soon"].reference
    member = {"user": bookings["user"]}
    contact = ["Jane Doe", "jane@example.com", "+1 212 555 0199"]
    return [
        ({}, ["hello"]),
        ({}, ["what services do you offer?"]),
        ({}, ["show me massages"]),
        ({}, ["tell me about the swedish massage"]),
        ({}, ["swedish massage tomorrow afternoon"]),
        ({}, ["swedish massage tomorrow at 3pm"]),
        ({}, ["swedish massage tomorrow at 3pm", *contact]),
        ({}, ["swedish massage tomorrow at 3pm", *contact, "confirm booking"]),
        ({}, ["swedish massage tomorrow afternoon", "no"]),
        ({}, ["a massage on December 20th"]),
        ({}, ["how much is it?"]),
        ({}, ["how much is a signature facial?"]),
        ({}, ["tell me about membership"]),
        ({}, ["where do I park?"]),
        ({}, ["what should I bring?"]),
        ({}, ["blorp zzkt"]),
        ({}, ["I want to cancel my booking"]),
        ({}, [f"cancel {guest}", "ann@example.com"]),
        ({}, [f"reschedule {guest}", "ann@example.com", "thursday afternoon"]),
        ({}, [f"cancel {soon}", "bo@example.com"]),
        (member, ["hello"]),
        (member, ["book a signature facial tomorrow at 10am"]),
        (member, ["cancel my booking"]),
        (member, ["move my booking"]),
        (member, ["move my booking", "the first one"]),
    ]


def test_every_offered_action_is_understood_in_its_context_on_the_web(chat, bookings):
    seen: set = set()
    failures: list[str] = []
    offered: set = set()
    for options, script in _web_scripts(bookings):
        c = chat(**options)
        for text in script:
            c.say(text)
        _explore(c, [*script], seen, failures, offered)
    assert not failures, "\n".join(failures)
    # The walk reached every kind of action (a new kind of button gets walked too, or this list grows).
    assert len(offered) >= 25, sorted(offered)


def _phone_questions(guest) -> list[tuple[list[str], list[str]]]:
    """(what the caller said, the answers a caller gives to the question the concierge asked last)."""
    return [
        (["swedish massage tomorrow afternoon"], ["the first one", "no", "what about tomorrow?"]),
        (["swedish massage tomorrow at 3pm", "Jane Doe", "jane@example.com"], ["yes", "no"]),
        ([f"cancel {guest.reference}", "ann@example.com"], ["yes", "no", "keep my booking", "keep it"]),
        (["cancel my booking"], [guest.reference, "no"]),
    ]


def test_spoken_questions_are_understood_on_the_phone(chat, bookings):
    failures = []
    for n, (script, answers) in enumerate(_phone_questions(bookings["guest"])):
        c = chat(channel="phone", caller_phone="+19175550000", call_id=f"call-actions-{n}")
        for text in script:
            c.say(text)
        remembered = list(state_load(c.session_id).offered_actions)
        for answer in [*answers, *remembered]:
            branch = _fork(c)
            with transaction.atomic():
                reply = branch.say(answer)
                if _not_understood(reply):
                    failures.append(f"{' > '.join(script)} > {answer!r}: {branch.text}")
                transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def test_an_action_must_name_an_intent_the_engine_handles():
    from coresync.ai_agent.engine.base import action
    from coresync.ai_agent.engine.rules import HANDLERS

    assert action("Keep my booking", "keep my booking", "deny")["intent"] in HANDLERS
    with pytest.raises(ValueError):
        action("Keep my booking", "keep my booking", "keep")
