"""Whole conversations against the real booking service and the seeded demo spa."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from coresync.ai_agent.models import AgentAction, Conversation
from coresync.ai_agent.tests.conftest import NEW_YORK
from coresync.bookings.models import Booking
from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_create

pytestmark = pytest.mark.django_db


def _book_as_guest(c, *, contact=("Jane Doe", "jane@example.com", "+1 212 555 0199")):
    for value in contact:
        c.say(value)
    assert c.last["state"]["awaiting"] == "confirm"
    return c.choose("Confirm booking")


def test_guest_books_a_massage_in_a_few_turns(chat):
    c = chat()
    c.say("book a massage tomorrow at 3pm")
    assert "Swedish Massage" in c.text and "3:00 PM" in c.text
    _book_as_guest(c)
    booking = Booking.objects.get()
    assert c.last["state"]["booking"]["reference"] == booking.reference
    assert booking.reference in c.text
    assert (booking.channel, booking.ai_session_id, booking.customer_email) == ("chat", c.session_id, "jane@example.com")
    assert booking.start == datetime(2026, 11, 24, 15, 0, tzinfo=NEW_YORK)
    conversation = Conversation.objects.get(session_id=c.session_id)
    assert conversation.outcome == "booked" and conversation.booking_id == booking.pk
    assert AgentAction.objects.filter(conversation=conversation).count() == conversation.turns == 5


def test_offers_only_real_slots_and_every_action_is_followable(chat, demo_spa):
    c = chat()
    c.say("60 min massage tomorrow afternoon?")
    actions = c.actions
    assert 1 <= len(actions) <= 5
    real = {s.start_iso[:16] for s in availability_for(service="swedish-massage", date_from=datetime(2026, 11, 24).date(),
                                                       date_to=datetime(2026, 11, 24).date()).slots}  # fmt: skip
    for found in actions:
        start = found["message"].split()[2]
        assert start in real
        assert "12:00" <= start[11:] < "17:00"
    c.choose(index=1)
    assert c.last["state"]["awaiting"] == "contact"
    _book_as_guest(c)
    assert Booking.objects.get().start.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M") == actions[1]["message"].split()[2]


def test_taken_time_gets_the_nearest_free_alternatives(chat, demo_spa, frozen_now):
    asked = datetime(2026, 11, 24, 15, 0, tzinfo=NEW_YORK)
    # Fill every massage therapist at 3 p.m. tomorrow.
    for i in range(10):
        try:
            booking_create(service="deep-tissue-massage", start=asked, guest=GuestDetails(f"G{i}", f"g{i}@example.com"), now=frozen_now)
        except Exception:
            break
    c = chat()
    c.say("book a deep tissue massage tomorrow at 3pm")
    assert "taken" in c.text
    starts = [a["message"].split()[2] for a in c.actions]
    assert starts and "2026-11-24T15:00" not in starts
    free = {s.start_iso[:16] for s in availability_for(service="deep-tissue-massage", date_from=asked.date(),
                                                       date_to=asked.date() + timedelta(days=3)).slots}  # fmt: skip
    assert set(starts) <= free
    assert starts[0].startswith("2026-11-24")  # same day first


def test_follow_up_keeps_the_service(chat):
    c = chat()
    c.say("hot stone massage tomorrow afternoon")
    c.say("and for Wednesday?")
    assert "Hot Stone Massage" in c.text
    assert all("hot-stone-massage 2026-11-25" in a["message"] for a in c.actions)


def test_guest_window_is_explained_and_members_see_further(chat, demo_spa):
    guest = chat()
    guest.say("swedish massage on December 10th")
    assert "3 days ahead" in guest.text
    assert all(a["message"] < "book swedish-massage 2026-11-27" for a in guest.actions if a["message"].startswith("book"))
    member = chat(user=demo_spa.users["premium"])
    member.say("swedish massage on December 10th")
    assert any("2026-12-10" in a["message"] for a in member.actions)


def test_no_prices_unless_asked_then_for_the_callers_tier(chat, demo_spa):
    c = chat(user=demo_spa.users["premium"])
    c.say("hello")
    c.say("swedish massage tomorrow")
    assert "$" not in c.text
    c.say("how much is it?")
    assert "$" in c.text and "Premium" in c.text and "40% off" in c.text
    guest = chat()
    guest.say("how much is a facial for Premium members?")
    assert "Our prices" in guest.text and "For Premium members" in guest.text


def test_logged_in_member_books_without_contact_questions(chat, demo_spa):
    c = chat(user=demo_spa.users["base"])
    c.say("book a signature facial tomorrow at 10am")
    assert c.last["state"]["awaiting"] == "confirm", c.text
    c.choose("Confirm booking")
    booking = Booking.objects.get()
    assert booking.customer == demo_spa.users["base"] and booking.channel == "chat"


def test_confirmation_is_never_claimed_when_the_slot_went(chat, demo_spa, frozen_now):
    c = chat(user=demo_spa.users["base"])
    c.say("book a prenatal massage tomorrow at 11am")
    assert c.last["state"]["awaiting"] == "confirm"
    # Someone else takes every therapist at that time before the guest confirms.
    start = datetime(2026, 11, 24, 11, 0, tzinfo=NEW_YORK)
    for i in range(10):
        try:
            booking_create(service="prenatal-massage", start=start, guest=GuestDetails(f"G{i}", f"g{i}@example.com"), now=frozen_now)
        except Exception:
            break
    before = Booking.objects.count()
    c.choose("Confirm booking")
    assert "just taken" in c.text and "CS-" not in c.text and "booked" not in c.last["state"].get("booking", {}).get("status", "")
    assert Booking.objects.count() == before


def test_phone_replies_are_speakable(chat):
    c = chat(channel="phone", caller_phone="+12125550111", call_id="call-1")
    c.say("do you have a swedish massage tomorrow afternoon")
    text = c.text
    assert "p.m." in text and "http" not in text and "$" not in text and "*" not in text
    assert "actions" not in c.last["messages"][0]


@pytest.mark.parametrize("answer", ["yes", "ok", "sure", "Alright"])
def test_a_bare_yes_while_we_ask_for_contact_keeps_the_held_time(chat, answer):
    c = chat()
    c.say("book a massage tomorrow at 3pm")
    assert "may I have your full name?" in c.text and c.last["state"]["awaiting"] == "contact"
    c.say(answer)
    assert c.last["state"]["awaiting"] == "contact"
    assert "name" in c.text and "What would you like to do next" not in c.text
    c.say("Jane Doe")
    assert "e-mail" in c.text
    c.say(answer)  # and again for the e-mail: asked again, the name is kept
    assert c.last["state"]["awaiting"] == "contact" and "e-mail" in c.text
    c.say("jane@example.com")
    c.say("+1 212 555 0199")
    assert c.last["state"]["awaiting"] == "confirm" and "for Jane Doe (jane@example.com)" in c.text
    c.choose("Confirm booking")
    booking = Booking.objects.get()
    assert (booking.customer_name, booking.start) == ("Jane Doe", datetime(2026, 11, 24, 15, 0, tzinfo=NEW_YORK))


def test_a_bare_yes_to_several_times_asks_which_one_and_keeps_them(chat):
    c = chat()
    c.say("60 min massage tomorrow afternoon?")
    offered = c.actions
    assert len(offered) > 1
    c.say("yes")
    assert c.last["state"]["awaiting"] == "slot" and "which of these times" in c.text
    assert c.actions == offered
    c.say("no")
    assert "another day" in c.text
    c.say("and for Wednesday?")
    assert "Swedish Massage" in c.text and "Wed" in c.text


def test_a_bare_yes_when_we_ask_for_the_reference_asks_again(chat, demo_spa):
    c = chat()
    c.say("I want to cancel my booking")
    assert c.last["state"]["awaiting"] == "reference"
    c.say("yes")
    assert c.last["state"]["awaiting"] == "reference" and "reference" in c.text


def test_confirm_booking_pressed_twice_books_once_and_keeps_the_buttons(chat):
    c = chat()
    c.say("book a massage tomorrow at 3pm")
    first = _book_as_guest(c)
    again = c.say("confirm booking")
    booking = Booking.objects.get()
    assert booking.reference in first["messages"][0]["text"]
    assert f"{booking.reference} is booked for" in c.text and "What would you like to do next" not in c.text
    assert [a["label"] for a in c.actions] == ["Directions", "What to bring"]
    assert again["state"]["booking"]["reference"] == booking.reference
