"""The LLM engine over whole dialogues against a scripted OpenAI-compatible server.

Every request is asserted: the conversation so far, the dialogue state and the tools.
What happened is judged by the database (the booking made, moved, cancelled), never
by the model's wording, which here is scripted anyway.
"""

from __future__ import annotations

import pytest

from coresync.ai_agent.models import AgentAction, Conversation
from coresync.bookings.models import ACTIVE_Q, Booking

from .conftest import NEW_YORK
from .fake_openai import call, dialogue_state, llm_fixture, say, tool_call, tool_results  # noqa: F401  (the llm fixture)

pytestmark = pytest.mark.django_db
CONTACT = {"name": "Ava Stone", "email": "ava@example.com", "phone": "+1 212 555 0100"}
FIND = ("check_availability", {"service": "swedish-massage", "date": "2026-11-24", "after": "13:00", "before": "17:00"})


def answered_by_the_model_only() -> bool:
    """No turn fell back to the rules engine (a broken script would hide behind its answers)."""
    return set(AgentAction.objects.values_list("engine", flat=True)) == {"llm"}


def first_offered(**extra):
    def arguments(state):
        slot = state["offered"][0]
        return {"service": "swedish-massage", "start": slot["start"], "technician_id": slot["technician_id"], **extra}

    return arguments


def book_in_three_turns(chat, llm, *, last_answer=None):
    fake = llm([
        call(*FIND), say("Tomorrow afternoon I have 1:00 PM, 1:15 PM and more. Which suits you?"),
        call("create_booking", first_offered(**CONTACT)), say("Shall I book the Swedish Massage at 1:00 PM?"),
        call("create_booking", first_offered(**CONTACT)), last_answer or say("You're booked."),
    ])  # fmt: skip
    c = chat()
    c.say("swedish massage tomorrow afternoon?")
    c.say("the first one, I'm Ava Stone, ava@example.com, +1 212 555 0100")
    assert not Booking.objects.exists()  # proposed, not booked: the guest has not said yes
    c.say("yes")
    return c, fake


def test_each_request_carries_the_conversation_so_far_the_state_and_the_tools(chat, llm):
    c, fake = book_in_three_turns(chat, llm)

    assert len(fake.requests) == 6
    bodies = [r["body"] for r in fake.requests]
    assert all(b["model"] == "gpt-4o-mini" and len(b["tools"]) == 8 for b in bodies)
    # Turn 1: the system prompt and the message, nothing before it.
    assert [m["role"] for m in bodies[0]["messages"]] == ["system", "user"]
    assert bodies[0]["messages"][1] == {"role": "user", "content": "swedish massage tomorrow afternoon?"}
    # Turn 2: turn 1 as history (the reply with its buttons), and the slots offered in the state.
    history = bodies[2]["messages"][1:]
    assert history[0] == {"role": "user", "content": "swedish massage tomorrow afternoon?"}
    assert history[1]["role"] == "assistant"
    assert history[1]["content"].startswith("Tomorrow afternoon I have 1:00 PM, 1:15 PM and more. Which suits you?\n(Buttons: ")
    assert history[2] == {"role": "user", "content": "the first one, I'm Ava Stone, ava@example.com, +1 212 555 0100"}
    offered = dialogue_state(bodies[2])["offered"]
    assert offered and all("13:00" <= s["start"][11:16] < "17:00" and s["service"] == "swedish-massage" for s in offered)
    # Turn 3: both earlier turns, and the proposal waiting for the guest's yes.
    assert [m["content"] for m in bodies[4]["messages"][1:] if m["role"] == "user"] == [
        "swedish massage tomorrow afternoon?", "the first one, I'm Ava Stone, ava@example.com, +1 212 555 0100", "yes",
    ]
    waiting = dialogue_state(bodies[4])["waiting_for_yes"]
    assert waiting["tool"] == "create_booking" and waiting["arguments"]["start"].startswith(offered[0]["start"])
    assert tool_results(bodies[3]) == [{"status": "needs_confirmation", "summary": waiting["summary"]}]

    booking = Booking.objects.get()
    assert booking.start.astimezone(NEW_YORK).isoformat()[:16] == offered[0]["start"] and booking.technician_id == offered[0]["technician_id"]
    assert (booking.customer_name, booking.customer_email, booking.channel) == ("Ava Stone", "ava@example.com", "chat")
    assert c.last["state"]["booking"]["reference"] == booking.reference
    assert tool_results(bodies[5])[0]["reference"] == booking.reference
    assert Conversation.objects.get().booking_id == booking.id
    assert answered_by_the_model_only()


def test_a_failure_after_the_booking_still_tells_the_guest_about_it(chat, llm):
    c, _fake = book_in_three_turns(chat, llm, last_answer=(500, {"error": {"message": "overloaded"}}))

    booking = Booking.objects.get()
    assert booking.reference in c.text and c.text.startswith("You're booked: Swedish Massage")
    assert c.last["state"]["booking"]["reference"] == booking.reference
    assert AgentAction.objects.order_by("-position").first().engine == "llm"
    assert Conversation.objects.get().booking_id == booking.id


def test_a_time_never_offered_is_not_booked(chat, llm):
    invented = {"service": "swedish-massage", "start": "2026-11-24T13:05", "technician_id": 1, **CONTACT}
    fake = llm([call("create_booking", invented), say("Done!"), call("create_booking", invented), say("Done!")])
    c = chat()
    c.say("book a swedish massage tomorrow 1:05pm for Ava Stone ava@example.com +1 212 555 0100")
    c.say("yes")

    assert tool_results(fake.requests[1]["body"])[0]["error"] == "not_offered"
    assert not Booking.objects.exists()


def test_nothing_is_booked_in_the_turn_that_proposes_it(chat, llm):
    def book_what_was_just_found(body):
        slot = next(r for r in tool_results(body) if "slots" in r)["slots"][0]
        arguments = {"service": "swedish-massage", "start": slot["start"][:16], "technician_id": slot["technician"]["id"], **CONTACT}
        return tool_call("create_booking", arguments)

    fake = llm([call(*FIND), (200, book_what_was_just_found), (200, book_what_was_just_found), say("Booked!")])
    c = chat()
    c.say("swedish massage tomorrow afternoon for Ava Stone, ava@example.com, +1 212 555 0100, book the first")

    assert [r.get("status") for r in tool_results(fake.requests[3]["body"])[1:]] == ["needs_confirmation", "needs_confirmation"]
    assert not Booking.objects.exists()  # asking twice in one turn is not the guest's yes
    assert c.last["state"].get("awaiting") == "confirm"
    assert answered_by_the_model_only()


def test_an_amount_no_quote_gave_is_never_said(chat, llm):
    llm([say("A Swedish Massage is $50."),
         call("get_price", {"service": "swedish-massage"}), lambda_price_answer()])  # fmt: skip
    c = chat()
    c.say("how much is a swedish massage?")
    assert "$50" not in c.text

    c.say("and the price, really?")
    assert "$" in c.text  # an amount from booking_quote passes
    assert answered_by_the_model_only()


def lambda_price_answer():
    def answer(body):
        quote = tool_results(body)[-1]
        return say(f"A Swedish Massage is ${quote['total']} with tax.")[1]

    return 200, answer


def test_a_group_is_booked_together_after_a_yes(chat, llm):
    party = [{"name": "Ava Stone"}, {"name": "Ben Stone", "email": "ben@example.com"}]

    def group_args(state):
        return {"service": "swedish-massage", "start": state["offered"][0]["start"], "party": party, **CONTACT}

    fake = llm([
        call("check_availability", {**FIND[1], "people": 2}), say("For two, I have 1:00 PM."),
        call("create_group_booking", group_args), say("Shall I book you both?"),
        call("create_group_booking", group_args), say("You're both booked."),
    ])  # fmt: skip
    c = chat()
    c.say("a swedish massage for my friend and me tomorrow afternoon")
    c.say("1pm is great: Ava Stone and Ben Stone (ben@example.com); me: ava@example.com, +1 212 555 0100")
    assert not Booking.objects.exists()
    c.say("yes")

    assert dialogue_state(fake.requests[2]["body"])["offered"][0]["people"] == 2
    ava, ben = Booking.objects.order_by("id")
    assert ava.group_id == ben.group_id is not None and ava.start == ben.start and ava.technician_id != ben.technician_id
    assert (ava.customer_email, ben.customer_email) == ("ava@example.com", "ben@example.com")
    assert c.last["state"]["booking"]["reference"] == ava.reference
    assert answered_by_the_model_only()


def test_cancelling_someone_elses_booking_needs_its_e_mail(chat, llm, demo_spa):
    from datetime import date

    from coresync.bookings.selectors import availability_for
    from coresync.bookings.services import GuestDetails, booking_create

    slot = availability_for(service="swedish-massage", date_from=date(2026, 11, 25), date_to=date(2026, 11, 25)).slots[0]
    theirs = booking_create(service="swedish-massage", start=slot.start, guest=GuestDetails(name="Cleo Park", email="cleo@example.com"))
    blind = {"reference": theirs.reference}
    proven = {"reference": theirs.reference, "email": "cleo@example.com"}
    fake = llm([
        call("cancel_booking", blind), say("Which e-mail was it booked with?"),
        call("cancel_booking", proven), say("Cancel it?"),
        call("cancel_booking", proven), say("Cancelled."),
    ])  # fmt: skip
    c = chat()
    c.say(f"cancel {theirs.reference}")
    assert tool_results(fake.requests[1]["body"])[0]["error"] == "not_verified"
    assert "Cleo" not in str(fake.requests[1]["body"]["messages"])  # nothing about the booking reached the model
    c.say("cleo@example.com")
    assert Booking.objects.filter(ACTIVE_Q, pk=theirs.pk).exists()
    c.say("yes")

    theirs.refresh_from_db()
    assert theirs.status == "cancelled"
    assert c.last["state"]["booking"]["status"] == "cancelled"
    assert answered_by_the_model_only()
