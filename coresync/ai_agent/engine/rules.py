"""The default engine: deterministic, offline, rules plus a date parser, driven by the dialogue state."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from . import booking_flow, extras_flow, info_flow, manage_flow
from .base import ConciergeEngine, EngineTurn, Reply, TurnContext
from .nlu import Parse, name_in, parse_message, whole_name

_FAQ = ("faq_hours", "faq_location", "faq_parking", "faq_what_to_bring", "faq_cancellation_policy")
# Intents after which a FAQ entry written in the admin may answer instead, when no treatment is named.
_FAQ_FIRST = ("fallback", "service_info", "price_question", "book", "availability_question", "browse_services", "membership_info")


_ADDON_ASKABLE = ("book", "availability_question", "service_info", "browse_services", "fallback", "price_question")


def contextual_intent(parse: Parse, state) -> str:
    """The intent in the light of what we asked last ('yes' confirms, a bare name answers 'your name?')."""
    intent, awaiting = parse.intent, state.awaiting
    if awaiting == "contact" and _wants_a_name(state) and not (parse.email or parse.phone) and parse.folded not in state.offered_actions \
            and whole_name(parse.text, lower_case=not (parse.services or parse.categories or parse.when.has_date or parse.when.has_time)):
        return "give_contact"  # "Will Cancel", "Hope Price": what we get while we wait for a name is a name
    if awaiting in ("cancel_confirm", "reschedule_confirm", "confirm") and intent in ("cancel", "reschedule", "book") and _YES.match(parse.folded) \
            and not (parse.when.has_date or parse.when.has_time or parse.services or parse.addons or parse.addons_removed or parse.party):
        return "confirm"  # "yes cancel it", "yes, book it"
    if intent in ("handoff", "cancel", "reschedule", "goodbye") or parse.action_start:
        return intent
    if state.selected and awaiting in ("confirm", "contact", "reschedule_confirm") and _is_held_time(parse, state):
        return "give_contact" if awaiting == "contact" else "confirm"  # "1 works" for the 1:00 PM held
    if awaiting == "identity" and state.pending_operation and state.channel == "phone" and _may_be_a_name(intent):
        return state.pending_operation  # a caller answers "whose booking is it?" with a name
    if awaiting == "contact" and _answers_contact(parse, intent):
        return "give_contact"
    if awaiting in ("identity", "reference") and state.pending_operation and _answers_which_booking(parse, state):
        return state.pending_operation
    if _changes_the_booking_just_made(parse, state) or _new_time_for_move(parse, state):
        return "reschedule"  # "actually make it 4" right after booking; "5pm please" while a move's times are listed
    if awaiting == "slot" and state.offered and (parse.ordinal is not None or _names_offered_time(parse, state)):
        return "choose_slot"
    if intent == "choose_slot" and not state.offered:
        return "availability_question" if (state.service_id or state.category_id) else "fallback"
    if awaiting in ("confirm", "cancel_confirm", "reschedule_confirm") and intent in ("confirm", "deny"):
        return intent
    return intent


_YES = re.compile(r"^(?:yes|yeah|yep|yup|ya|yea|sure|ok|okay|please|go ahead|do it|confirm|definitely|absolutely)\b")


def _changes_the_booking_just_made(parse: Parse, state) -> bool:
    booking = state.booking or {}
    if not booking or booking.get("status") == "cancelled" or state.selected or state.offered or state.pending_operation:
        return False
    when = parse.when.has_date or parse.when.has_time or parse.shift_minutes
    return bool(parse.correction and when and not (parse.services or parse.categories or parse.reference or parse.party))


def _new_time_for_move(parse: Parse, state) -> bool:
    if state.awaiting not in ("reschedule_when", "slot") or state.pending_operation != "reschedule":
        return False
    if not (parse.when.has_date or parse.when.has_time or parse.shift_minutes):
        return False
    return state.awaiting == "reschedule_when" or (state.offered_for == "reschedule" and _match_offered(parse, state) is None)


def _answers_which_booking(parse: Parse, state) -> bool:
    """A reference or an e-mail; for a signed-in guest also a description ("the saturday one", "the facial", "both")."""
    if parse.email or parse.reference:
        return True
    described = parse.every or parse.services or parse.categories or parse.when.has_date or parse.when.has_time or parse.ordinal is not None
    return state.awaiting == "reference" and state.user_id is not None and bool(described)


def _answers_contact(parse: Parse, intent: str) -> bool:
    """Details, another person's name ("the other person is Zoe Park") or a bare name ("Sam Stone", "Rose Park")."""
    if parse.email or parse.phone or parse.name or intent in ("fallback", "greet", "give_contact"):
        return True
    return bool(parse.companions) or looks_like_a_name(parse)


def _wants_a_name(state) -> bool:
    """We are waiting for the guest's name, or for the name of another person of the party."""
    own = state.user_id is None and not state.contact.get("name")
    return own or ((state.party or 1) > 1 and len(state.guests) < state.party - 1)


def _is_held_time(parse: Parse, state) -> bool:
    when = parse.when
    if when.exact_minute is None or (when.has_date and when.date_from.isoformat() != state.selected["start"][:10]):
        return False
    start = datetime.fromisoformat(state.selected["start"])
    return when.exact_minute == start.hour * 60 + start.minute and not parse.services and not parse.technicians


def looks_like_a_name(parse: Parse) -> bool:
    """One to four words of letters, no question, no day or time, no word a request is made of."""
    text = parse.text.strip()
    if "?" in text or parse.when.has_date or parse.when.has_time or parse.reference:
        return False
    return bool(name_in(text))


def _may_be_a_name(intent: str) -> bool:
    """Not a yes/no and not a question of its own ("what are your hours?"): an answer to "whose booking is it?"."""
    return intent not in ("confirm", "deny", "price_question", "membership_info", "browse_services") and not intent.startswith("faq")


def _names_offered_time(parse: Parse, state) -> bool:
    if parse.when.exact_minute is None and not (parse.when.has_date or parse.phone):
        return _spoken_pick(parse, state) is not None  # "yes eleven", "eleven o'clock then"
    return parse.when.exact_minute is not None and _match_offered(parse, state) is not None


_HOUR_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}  # noqa: SIM905
_SPOKEN_MINUTES = {"fifteen": 15, "thirty": 30, "forty five": 45, "forty-five": 45, "half": 30}
_SPOKEN_HOUR = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|1[0-2]|[1-9])(?:\s+(fifteen|thirty|forty[ -]five))?\b"
    r"(?!\s*(?:people|persons|of us|guests|hours?|minutes?|mins?|days?|weeks?|th|st|nd|rd))"
)


def _spoken_pick(parse: Parse, state) -> dict | None:
    """An hour said without 'at' or 'pm' ("yes eleven", "eleven o'clock then") among the times just read out."""
    if not state.offered or parse.when.exact_minute is not None:
        return None
    m = _SPOKEN_HOUR.search(parse.folded)
    if not m:
        return None
    hour = _HOUR_WORDS.get(m.group(1)) or int(m.group(1))
    minute = _SPOKEN_MINUTES.get((m.group(2) or "").replace("-", " "), 0)
    hits = [s for s in state.offered if (datetime.fromisoformat(s["start"]).hour % 12, datetime.fromisoformat(s["start"]).minute) == (hour % 12, minute)]
    return hits[0] if hits else None


def _match_offered(parse: Parse, state) -> dict | None:
    if parse.ordinal is not None and state.offered:
        index = parse.ordinal if parse.ordinal >= 0 else len(state.offered) - 1
        return state.offered[index] if index < len(state.offered) else None
    if parse.when.exact_minute is None and not parse.when.has_date and (spoken := _spoken_pick(parse, state)):
        return spoken
    for slot in state.offered:
        start = datetime.fromisoformat(slot["start"])
        same_time = parse.when.exact_minute == start.hour * 60 + start.minute
        same_day = not parse.when.has_date or parse.when.date_from == start.date()
        if same_time and same_day and (not parse.technicians or slot["technician_id"] in parse.technicians):
            return slot
    return None


def _remember_addons(parse: Parse, state, index) -> None:
    if (parse.services and parse.services[0] != state.service_id and not parse.addons) or parse.addons_exact:
        state.addons = []  # another treatment: its own add-ons; "just the aromatherapy": those named only
    for addon_id in parse.addons:
        slug = index.addons[addon_id].slug
        if slug not in state.addons:
            state.addons.append(slug)
    if parse.clear_addons:
        state.addons = []
    for addon_id in parse.addons_removed:
        state.addons = [s for s in state.addons if s != index.addons[addon_id].slug]


def _remember_extras(parse: Parse, state, ctx: TurnContext) -> None:
    """Add-ons, the party's size, "the day after", "same time", "make it 90 minutes"."""
    index = ctx.index
    _remember_addons(parse, state, index)
    if parse.party:
        state.party = parse.party
    if parse.shift_days and state.date_from and not parse.when.has_date:
        day = date.fromisoformat(state.date_from) + timedelta(days=parse.shift_days)
        state.date_from = state.date_to = day.isoformat()
    elif parse.shift_days and state.selected and not parse.when.has_date:
        day = datetime.fromisoformat(state.selected["start"]).date() + timedelta(days=parse.shift_days)
        state.date_from = state.date_to = day.isoformat()
    if parse.duration and not parse.services and state.service_id in index.services:
        current = index.services[state.service_id]
        if current.duration != parse.duration:
            same = [s for s in index.services_in(current.category_id) if s.duration == parse.duration]
            if same:
                state.service_id = same[0].id
                state.selected = None


# Intents a revision of the pending request may hide behind ("no, Wednesday" reads as a no; "change the service to
# hot stone" as a question about the hot stone massage; "4 instead" as a pick among the times listed).
_REVISABLE = ("book", "availability_question", "choose_slot", "deny", "fallback", "service_info", "browse_services", "give_contact", "confirm",
              "reschedule")  # "move it to 4", "change the time to 4pm" while a new booking is held: the held one


def is_revision(parse: Parse, state, intent: str) -> bool:
    """Whether the message changes what is being booked (a slot of the request), rather than answering our question.

    The dialogue state holds the request (service, day, time, technician, add-ons, party) and what is held or listed;
    a revision changes some of those slots and keeps the rest: "actually make it 4pm", "no, Thursday",
    "change the service to …", "skip the hot stones", "an hour later".
    """
    if state.pending_operation or (state.offered_for == "reschedule" and state.awaiting == "slot"):
        return False
    held = state.selected is not None and state.awaiting in ("confirm", "contact")
    listing = state.awaiting == "slot" and bool(state.offered)
    if not (held or listing) or intent not in _REVISABLE or parse.action_start or parse.email or parse.phone:
        return False
    if intent == "reschedule" and (parse.reference or not held or re.search(r"\b(?:my|our) (?:booking|appointment|reservation)\b", parse.folded)):
        return False
    changes = (
        parse.when.has_date or parse.when.has_time or parse.technicians or parse.addons or parse.addons_removed
        or parse.clear_addons or parse.shift_days or parse.shift_minutes or (parse.duration and not parse.when.has_time)
        or (parse.services and parse.services != [state.service_id])
    )  # fmt: skip
    if not changes:
        return False
    if listing and not held and intent == "choose_slot" and _match_offered(parse, state) is not None:
        return False  # one of the times listed: a choice
    if state.awaiting == "contact" or intent in ("confirm", "give_contact"):
        return parse.correction  # while we wait for a name, "Summer Friday" is a name
    return True


def prepare_revision(parse: Parse, state, ctx: TurnContext) -> None:
    """Read a revision against the request: the treatment that is not the current one, no add-ons, a shifted time."""
    if len(parse.services) > 1 and state.service_id in parse.services:
        parse.services = [s for s in parse.services if s != state.service_id] + [state.service_id]  # "not swedish, deep tissue"
        parse.services = parse.services[:1]
    services = ctx.index.services
    if parse.services and state.service_id in services and not parse.technicians \
            and services[parse.services[0]].category_id != services[state.service_id].category_id:
        state.technician_id = None  # another kind of treatment: whoever does it
    if parse.clear_addons:
        state.addons = []


def revise(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Apply a revision: what was said replaces its slot; the held day and time stay unless changed; then look again."""
    slot = state.selected
    start = datetime.fromisoformat(slot["start"]) if slot else None
    if start is not None:
        if not (parse.when.has_date or parse.shift_days):
            state.date_from = state.date_to = start.date().isoformat()
        if not parse.when.has_time:
            state.exact_minute, state.minute_from, state.minute_to = start.hour * 60 + start.minute, None, None
    if parse.shift_minutes and state.exact_minute is not None:
        state.exact_minute += parse.shift_minutes
    only_extras = not (parse.when.has_date or parse.when.has_time or parse.shift_days or parse.shift_minutes or parse.technicians
                       or parse.services or parse.duration)  # fmt: skip
    if slot is not None and only_extras:
        booking_flow.recheck_held(state, ctx, reply)  # add-ons or the party changed: the held time when it still fits
        return
    state.selected = None
    booking_flow.offer_slots(state, ctx, reply, booking_intent=True)


def remember(parse: Parse, state, intent: str, ctx: TurnContext | None = None) -> None:
    """Slot filling: keep what was said before unless this message says otherwise."""
    if intent not in ("book", "availability_question", "service_info", "price_question", "browse_services", "choose_slot"):
        return
    if ctx is not None:
        _remember_extras(parse, state, ctx)
    if parse.services:
        if parse.services[0] != state.service_id:
            state.selected = None
        state.service_id = parse.services[0]
    if parse.categories and (not parse.services) and parse.categories[0] != state.category_id:
        state.service_id = None
    if parse.categories:
        state.category_id = parse.categories[0]
    if parse.technicians:
        state.technician_id = parse.technicians[0]
    if parse.duration:
        state.duration = parse.duration
    when = parse.when
    if when.has_date:
        state.date_from = when.date_from.isoformat()
        state.date_to = (when.date_to or when.date_from).isoformat()
    if when.has_time:
        state.exact_minute, state.minute_from, state.minute_to = when.exact_minute, when.minute_from, when.minute_to
    elif when.has_date and intent in ("book", "availability_question"):
        pass  # "and for Saturday?" keeps the time of day asked before


def _choose(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if parse.action_start:
        slot = next((s for s in state.offered if s["start"][:16] == parse.action_start and s["technician_id"] == parse.action_technician), None)
        if parse.reference:
            manage_flow.propose_move(parse, state, ctx, reply, slot or _slot_from_action(parse, state, ctx))
            return
        if slot is None:
            _recheck(parse, state, ctx, reply)
            return
        booking_flow.select_slot(state, ctx, reply, slot)
        return
    slot = _match_offered(parse, state)
    if slot is None and state.offered_for == "reschedule" and state.pending_operation == "reschedule":
        manage_flow.start_operation("reschedule", parse, state, ctx, reply)  # a time not listed: looked up for the move
        return
    if slot is None:
        booking_flow.offer_slots(state, ctx, reply, booking_intent=True)
        return
    if state.offered_for == "reschedule":
        manage_flow.propose_move(parse, state, ctx, reply, slot)
        return
    booking_flow.select_slot(state, ctx, reply, slot)


def _slot_from_action(parse: Parse, state, ctx: TurnContext) -> dict:
    tz = ctx.index.timezone
    start = datetime.fromisoformat(parse.action_start).replace(tzinfo=tz)
    return {"start": start.isoformat(), "technician_id": parse.action_technician, "technician": ctx.index.technicians.get(parse.action_technician, "")}


def _recheck(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """An action we did not just offer (an old one, or typed by hand): check it against real availability."""
    start = datetime.fromisoformat(parse.action_start)
    state.date_from = state.date_to = start.date().isoformat()
    state.exact_minute, state.minute_from, state.minute_to = start.hour * 60 + start.minute, None, None
    state.technician_id = parse.action_technician if parse.action_technician in ctx.index.technicians else None
    booking_flow.offer_slots(state, ctx, reply, booking_intent=True)


def _confirm_or_rebook(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if state.awaiting == "rebook_confirm" and state.rebook:
        extras_flow.rebook(state, ctx, reply)  # the yes to "rebook it with the add-on?"
        return
    _confirm(parse, state, ctx, reply)


def _confirm(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if parse.confirms != "cancel" and (parse.confirms == "reschedule" or state.awaiting == "reschedule_confirm"):
        manage_flow.confirm_reschedule(parse, state, ctx, reply)
        return
    if parse.confirms == "cancel" or parse.reference or state.awaiting == "cancel_confirm":
        manage_flow.confirm_cancel(parse, state, ctx, reply)
        return
    if state.awaiting == "confirm" and state.selected:
        if booking_flow.contact_missing(state, ctx):
            booking_flow.take_contact(parse, state, ctx, reply)
            return
        booking_flow.book_selected(state, ctx, reply)
        return
    # A bare "yes" / "ok" answers the question we asked last: never drop what is pending.
    if state.awaiting == "slot" and state.offered:
        if len(state.offered) == 1 or _first_is_the_asked_time(state):
            if state.offered_for == "reschedule":
                manage_flow.propose_move(parse, state, ctx, reply, state.offered[0])
                return
            booking_flow.select_slot(state, ctx, reply, state.offered[0])
            return
        booking_flow.ask_slot_again(state, ctx, reply)
        return
    if state.awaiting == "contact" and state.selected:
        if not booking_flow.contact_missing(state, ctx):
            booking_flow.book_selected(state, ctx, reply)  # only the others' names were asked: "yes" books, under the organiser's
            return
        booking_flow.ask_contact_again(state, ctx, reply)
        return
    if state.pending_operation and state.awaiting in ("identity", "reference", "reschedule_when"):
        manage_flow.start_operation(state.pending_operation, parse, state, ctx, reply)  # asks its question again
        return
    if parse.folded == "confirm booking" and state.booking and state.booking.get("status") != "cancelled":
        booking_flow.already_booked(state, ctx, reply)  # the button pressed again: the booking stands, buttons kept
        return
    reply.say("Great. What would you like to do next? I can book a treatment or answer a question.")


def _first_is_the_asked_time(state) -> bool:
    """We answered 'Yes, 3:00 PM is free' and listed it first: 'book it' means that one."""
    start = datetime.fromisoformat(state.offered[0]["start"])
    return state.exact_minute == start.hour * 60 + start.minute and state.date_from == start.date().isoformat()


def _deny(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if state.awaiting == "rebook_confirm":
        state.awaiting, state.rebook = "", {}
        reply.say("No problem: your booking stays as it is.")
        return
    if state.awaiting == "cancel_confirm" or state.pending_operation:
        state.forget_operation()
        reply.say("No problem: your booking stays as it is.")
        return
    if state.selected:
        state.selected, state.awaiting = None, ""
        reply.say("No problem, nothing is booked. Would another day or time suit you better?")
        return
    if state.awaiting == "slot" and state.offered:
        # "No" to the times offered: the treatment is remembered, so "and Friday?" goes on from here.
        reply.say("No problem. Would another day or time suit you better?", actions=booking_flow.other_options(ctx))
        return
    reply.say("No problem. Is there anything else I can help with?")


def _book(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if extras_flow.adds_to_booking_just_made(parse, state):
        extras_flow.offer_rebook(parse, state, ctx, reply)  # "can you also add hot stones?" after the yes
        return
    if state.selected and (parse.addons or parse.addons_removed or parse.clear_addons) and not (parse.services or parse.when.has_date or parse.when.has_time):
        booking_flow.recheck_held(state, ctx, reply)  # "can you add a scalp ritual?" to the held time
        return
    booking_flow.offer_slots(state, ctx, reply, booking_intent=True)


def _availability(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if state.pending_operation == "reschedule" and state.target_verified:
        manage_flow.start_operation("reschedule", parse, state, ctx, reply)
        return
    if state.selected and parse.party and not (parse.services or parse.when.has_date or parse.when.has_time):
        booking_flow.recheck_held(state, ctx, reply)  # "for two, please": the held time, for the whole party
        return
    booking_flow.offer_slots(state, ctx, reply, booking_intent=False)


_INSIST = re.compile(r"\b(?:anyway|anyways|regardless|still|all the same|even so|just (?:cancel|move|do) it|i know|i understand)\b")


def _insists_on_late_change(parse: Parse, state, intent: str) -> str:
    """After "can't change it here, it starts in 5 hours": the same request again ("yes, cancel it anyway") goes to the team."""
    _, _, reference = state.late_change.partition(":")
    same = not parse.reference or parse.reference == reference
    if same and (intent in ("cancel", "reschedule") or (intent in ("confirm", "fallback") and _INSIST.search(parse.folded))):
        return "late_change"
    state.late_change = ""
    return intent


_ADD_WORDS = re.compile(r"\b(?:add|adding|also|as well|too|plus|with|get|include|put|throw in)\b")


def _addon_for_the_held(parse: Parse, state, ctx: TurnContext) -> None:
    """"Can you add paraffin for my feet?", "add the beard oil for my beard too" while a treatment is held or its times
    listed: the treatment word says what the add-on is for (the held one), it is no other treatment of the same kind."""
    if not parse.addons or not parse.services or parse.correction or parse.reference or state.pending_operation:
        return
    held = ctx.index.services.get(state.service_id)
    if held is None or not (state.selected or state.offered) or not _ADD_WORDS.search(parse.folded):
        return
    services = ctx.index.services
    if any(services[s].category_id != held.category_id for s in parse.services) or not set(parse.addons) <= set(held.addon_ids):
        return
    parse.services, parse.guest_services, parse.categories = [], [], []
    if parse.intent in ("price_question", "service_info", "browse_services", "availability_question", "fallback"):
        parse.intent = "book"


HANDLERS = {
    "greet": info_flow.greet,
    "browse_services": info_flow.browse,
    "service_info": info_flow.service_info,
    "price_question": info_flow.pricing,
    "membership_info": info_flow.membership,
    "availability_question": _availability,
    "book": _book,
    "choose_slot": _choose,
    "confirm": _confirm_or_rebook,
    "deny": _deny,
    "give_contact": lambda p, s, c, r: (extras_flow.waitlist_contact if s.waitlist and not s.selected else booking_flow.take_contact)(p, s, c, r),
    "cancel": lambda p, s, c, r: manage_flow.start_operation("cancel", p, s, c, r),
    "reschedule": lambda p, s, c, r: manage_flow.start_operation("reschedule", p, s, c, r),
    "handoff": info_flow.handoff,
    "goodbye": info_flow.goodbye,
    "faq": lambda p, s, c, r: info_flow.faq_entry(p, s, c, r) or info_flow.fallback(p, s, c, r),
    "fallback": info_flow.fallback,
    "account_change": info_flow.account_change,
    "my_bookings": manage_flow.list_bookings,
    "late_change": manage_flow.late_change_handoff,
    "waitlist": extras_flow.waitlist,
    "pay": extras_flow.pay,
}
for _topic in _FAQ:
    HANDLERS[_topic] = lambda p, s, c, r, _t=_topic: info_flow.faq(_t, p, s, c, r)


class RulesEngine(ConciergeEngine):
    name = "rules"

    def understand(self, text: str, ctx: TurnContext) -> Parse:
        return parse_message(text, index=ctx.index, today=ctx.today)

    def respond(self, *, text: str, state, ctx: TurnContext) -> EngineTurn:
        parse = self.understand(text, ctx)
        offered = state.offered_actions.get(parse.folded)
        if offered in HANDLERS:
            parse.intent = offered  # an action we offered means what we offered it for
        elif state.waitlist.get("asked") and (parse.services or parse.categories) and not parse.reference:
            parse.intent = "waitlist"  # the treatment we asked for, to wait for
        _addon_for_the_held(parse, state, ctx)
        intent = contextual_intent(parse, state)
        if state.late_change:
            intent = _insists_on_late_change(parse, state, intent)
        revision = is_revision(parse, state, intent)
        if revision:
            prepare_revision(parse, state, ctx)
            intent = "book"
        reply = Reply()
        has_catalog = bool(parse.services or parse.categories)
        if not revision and intent in _FAQ_FIRST and not has_catalog and not parse.when.has_date and info_flow.faq_entry(parse, state, ctx, reply):
            intent = "faq"
        else:
            remember(parse, state, intent, ctx)
            if intent in ("book", "availability_question", "choose_slot"):
                booking_flow.absorb_details(parse, state, ctx)
            if revision:
                revise(parse, state, ctx, reply)
            elif intent in _ADDON_ASKABLE and not parse.addons and not parse.when.has_date and info_flow.ADDON_QUESTION.search(parse.folded):
                info_flow.addons_list(parse, state, ctx, reply)  # "what add-ons can I get with a massage?"
            else:
                HANDLERS[intent](parse, state, ctx, reply)
        if intent != "fallback":
            state.fallbacks = 0
        state.intent = intent
        return EngineTurn(intent=intent, entities=parse.entities(ctx.index), reply=reply, engine=self.name)


def local_today(now: datetime, tz) -> date:
    return now.astimezone(tz).date() if tz else now.date()
