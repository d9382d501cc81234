"""Booking by conversation: find real free slots, offer them, collect contact details, confirm, book.

Every slot offered comes from ``availability_for`` for this caller (their tier
and window); a booking is claimed only after ``booking_create`` returned it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from coresync.core.errors import ApplicationError, OutsideBookingWindow, SlotUnavailable, ValidationFailed

from .base import Reply, TurnContext, action
from .nlu import Parse

SEARCH_DAYS = 7  # how far we look when the guest names no day
NEARBY_DAYS = 3  # alternatives on the days after the asked one


def chosen_service(state, ctx: TurnContext):
    """The service the guest means: named, or the best match in the named category (duration first)."""
    index = ctx.index
    if state.service_id in index.services:
        return index.services[state.service_id]
    if state.category_id in index.categories:
        services = index.services_in(state.category_id)
        if state.duration:
            exact = [s for s in services if s.duration == state.duration]
            services = exact or sorted(services, key=lambda s: abs(s.duration - state.duration))
        return services[0] if services else None
    return None


def _snapshot_service(ctx: TurnContext, service_id: int):
    return ctx.catalog().services[service_id]


def _availability(ctx: TurnContext, service_id: int, date_from: date, date_to: date, *, technician_id=None, viewer=None):
    from coresync.bookings.selectors import availability_for

    return availability_for(
        service=_snapshot_service(ctx, service_id),
        date_from=date_from,
        date_to=date_to,
        viewer=viewer if viewer is not None else ctx.user,
        technician_id=technician_id,
        now=ctx.now,
    )


def _minute_of(slot) -> int:
    start = slot.start
    return start.hour * 60 + start.minute


def slot_dict(slot, service_id: int) -> dict:
    return {
        "start": slot.start_iso,
        "technician_id": slot.technician_id,
        "technician": slot.technician_name,
        "service_id": service_id,
    }


def _spread(slots: list, count: int) -> list:
    """Up to ``count`` slots spread over the list (not five starts fifteen minutes apart)."""
    if len(slots) <= count:
        return slots
    step = (len(slots) - 1) / (count - 1)
    return [slots[round(i * step)] for i in range(count)]


def _in_range(slot, state) -> bool:
    minute = _minute_of(slot)
    if state.minute_from is not None and minute < state.minute_from:
        return False
    return not (state.minute_to is not None and minute >= state.minute_to)


def _nearest(slots: list, day: date, target: int, count: int) -> list:
    """Alternatives to ``target`` (minute of day) on ``day``: same day by closeness, then the next days."""
    same_day = sorted((s for s in slots if s.start.date() == day), key=lambda s: abs(_minute_of(s) - target))
    picked = same_day[: max(2, count - 2)]
    for offset in range(1, NEARBY_DAYS + 1):
        other = [s for s in slots if s.start.date() == day + timedelta(days=offset)]
        if other:
            picked.append(min(other, key=lambda s: abs(_minute_of(s) - target)))
        if len(picked) >= count:
            break
    return sorted(picked[:count], key=lambda s: s.start)


def _search_range(state, ctx: TurnContext) -> tuple[date, date, date | None]:
    """(from, to, asked day or None): the asked days plus a few after them for alternatives."""
    if state.date_from:
        asked = date.fromisoformat(state.date_from)
        last = date.fromisoformat(state.date_to or state.date_from)
        return max(asked, ctx.today), max(last, asked) + timedelta(days=NEARBY_DAYS), asked
    return ctx.today, ctx.today + timedelta(days=SEARCH_DAYS), None


def offer_slots(state, ctx: TurnContext, reply: Reply, *, booking_intent: bool, reference: str = "", viewer=None, service_id=None) -> None:
    """Look up real availability for what the state asks and answer with slots (or select the exact one)."""
    service = ctx.index.services[service_id] if service_id else chosen_service(state, ctx)
    if service is None:
        ask_service(ctx, reply)
        return
    state.service_id, state.category_id = service.id, service.category_id
    date_from, date_to, asked = _search_range(state, ctx)
    availability = _availability(ctx, service.id, date_from, date_to, technician_id=state.technician_id, viewer=viewer)
    slots = availability.slots
    voice = ctx.voice
    if asked and asked > availability.window_ends:
        _explain_window(state, ctx, reply, availability.window_ends, service)
        slots = _availability(ctx, service.id, ctx.today, availability.window_ends, technician_id=state.technician_id, viewer=viewer).slots
        asked = None
    asked_days = [s for s in slots if asked and asked <= s.start.date() <= date.fromisoformat(state.date_to or state.date_from)]
    if state.exact_minute is not None and asked:
        exact = [s for s in asked_days if _minute_of(s) == state.exact_minute]
        if exact and booking_intent and not reference:
            select_slot(state, ctx, reply, slot_dict(exact[0], service.id), intro="Good news: that time is free.")
            return
        if exact:
            _present(state, ctx, reply, service, [exact[0], *_nearest(slots, asked, state.exact_minute, 2)], reference,
                     intro=f"Yes, {voice.moment(exact[0].start)} is free for {service.name}.")  # fmt: skip
            return
        alternatives = _nearest(slots, asked, state.exact_minute, 5 if not ctx.spoken else 3)
        when = voice.time(datetime.combine(asked, datetime.min.time()) + timedelta(minutes=state.exact_minute))
        intro = f"Sorry, {when} {voice.day(asked)} is taken for {service.name}."
        _present(state, ctx, reply, service, alternatives, reference, intro=intro + (" The nearest free times:" if alternatives else ""))
        return
    wanted = [s for s in (asked_days if asked else slots) if _in_range(s, state)]
    if wanted:
        _present(state, ctx, reply, service, _spread(wanted, 5 if not ctx.spoken else 3), reference, intro=_intro(service, state, ctx, asked))
        return
    later = [s for s in slots if _in_range(s, state)] or slots
    if asked:
        intro = f"Nothing is free for {service.name} {voice.day(asked)}{' at that time' if state.minute_from or state.minute_to else ''}."
    else:
        intro = f"Nothing is free for {service.name} in the next few days."
    _present(state, ctx, reply, service, _spread(later, 3), reference, intro=intro + (" The nearest free times:" if later else ""))


def _intro(service, state, ctx: TurnContext, asked: date | None) -> str:
    day = f" {ctx.voice.day(asked)}" if asked else ""
    return f"Here's what's free for {service.name} ({ctx.voice.minutes(service.duration)}){day}:"


def _explain_window(state, ctx: TurnContext, reply: Reply, window_ends: date, service) -> None:
    days = (window_ends - ctx.today).days
    who = "As a guest you" if ctx.user is None else "You"
    reply.say(
        f"{who} can book up to {days} days ahead (until {ctx.voice.day(window_ends)}). Members book further ahead.",
        actions=None if ctx.spoken else [action("Membership options", "tell me about membership", "membership_info")],
    )
    state.date_from = state.date_to = ""


def _present(state, ctx: TurnContext, reply: Reply, service, slots: list, reference: str, *, intro: str) -> None:
    voice = ctx.voice
    state.offered = [slot_dict(s, service.id) for s in slots]
    state.offered_for = "reschedule" if reference else "book"
    state.selected = None
    state.awaiting = "slot" if slots else ""
    if not slots:
        reply.say(intro + " Would another day or treatment suit you?", actions=other_options(ctx))
        return
    if ctx.spoken:
        options = [f"{voice.moment(s.start)} with {s.technician_name.split()[0]}" for s in slots]
        listed = ", ".join(options[:-1]) + (f", or {options[-1]}" if len(options) > 1 else options[-1])
        reply.say(f"{intro} I have {listed}. Which would you like?")
        return
    actions = []
    for s in slots:
        local = s.start.strftime("%Y-%m-%dT%H:%M")
        message = f"move {reference} to {local} tech:{s.technician_id}" if reference else f"book {service.slug} {local} tech:{s.technician_id}"
        actions.append(action(f"{voice.moment(s.start)} with {s.technician_name}", message, "choose_slot"))
    card = service_card(service)
    reply.say(intro, cards=[card] if not reference else None, actions=actions)


def service_card(service) -> dict:
    card = {"title": service.name, "text": f"{service.duration} min · {service.short_description}".strip(" ·")}
    if service.image:
        card["image"] = service.image
    return card


def other_options(ctx: TurnContext) -> list[dict] | None:
    if ctx.spoken:
        return None
    return [action("Another day", "what about tomorrow?", "availability_question"), action("Talk to a person", "talk to a person", "handoff")]


def ask_service(ctx: TurnContext, reply: Reply) -> None:
    names = [c.name.lower() for c in ctx.index.categories.values()]
    if ctx.spoken:
        reply.say(f"Which treatment would you like? We offer {', '.join(names[:-1])} and {names[-1]}." if names else "Which treatment would you like?")
        return
    reply.say(
        "Which treatment would you like?",
        actions=[action(f"Book {c.name.lower()}", f"book {c.name.lower()}", "book") for c in ctx.index.categories.values()],
    )


def contact_missing(state, ctx: TurnContext) -> list[str]:
    if ctx.user is not None:
        return []
    contact = state.contact
    missing = [key for key in ("name", "email") if not contact.get(key)]
    if not contact.get("phone") and not state.caller_phone:
        missing.append("phone")
    return missing


_ASK = {
    "name": "May I have your full name?",
    "email": "What e-mail address should the confirmation go to?",
    "phone": "And a mobile number in case we need to reach you?",
}
# After a bare "yes" / "ok" to one of the questions above: the same question, put another way.
_ASK_AGAIN = {
    "name": "what name should I put the booking under?",
    "email": "what e-mail address should the confirmation go to?",
    "phone": "what mobile number can we reach you on, in case we need to?",
}


def ask_contact_again(state, ctx: TurnContext, reply: Reply) -> None:
    """A bare "yes" while we wait for contact details: keep the held time and ask again."""
    missing = contact_missing(state, ctx)
    if not missing:
        ask_confirmation(state, ctx, reply)
        return
    state.awaiting = "contact"
    reply.say(f"Lovely — {_ASK_AGAIN[missing[0]]}")


def ask_slot_again(state, ctx: TurnContext, reply: Reply) -> None:
    """A bare "yes" to a list of times: keep the list and ask which one."""
    voice = ctx.voice
    offered = [(datetime.fromisoformat(s["start"]), s) for s in state.offered]
    if ctx.spoken:
        options = [f"{voice.moment(start)} with {s['technician'].split()[0]}" for start, s in offered]
        listed = ", ".join(options[:-1]) + (f", or {options[-1]}" if len(options) > 1 else options[-1])
        reply.say(f"Lovely — which time would you like? I have {listed}.")
        return
    reference = state.target_reference if state.offered_for == "reschedule" else ""
    actions = []
    for start, s in offered:
        local = start.strftime("%Y-%m-%dT%H:%M")
        service = ctx.index.services.get(s["service_id"])
        if reference:
            message = f"move {reference} to {local} tech:{s['technician_id']}"
        elif service is not None:
            message = f"book {service.slug} {local} tech:{s['technician_id']}"
        else:
            continue
        actions.append(action(f"{voice.moment(start)} with {s['technician']}", message, "choose_slot"))
    reply.say("Lovely — which of these times would you like?", actions=actions)


def select_slot(state, ctx: TurnContext, reply: Reply, slot: dict, *, intro: str = "") -> None:
    state.selected = slot
    state.offered = []
    missing = contact_missing(state, ctx)
    start = datetime.fromisoformat(slot["start"])
    service = ctx.index.services[slot["service_id"]]
    lead = f"{intro} " if intro else ""
    if missing:
        state.awaiting = "contact"
        held = f"{lead}{service.name} {ctx.voice.moment(start)} with {slot['technician']}."
        reply.say(f"{held} To book it, {_ASK[missing[0]][0].lower()}{_ASK[missing[0]][1:]}")
        return
    ask_confirmation(state, ctx, reply, intro=lead.strip())


def ask_confirmation(state, ctx: TurnContext, reply: Reply, *, intro: str = "") -> None:
    slot = state.selected
    service = ctx.index.services[slot["service_id"]]
    start = datetime.fromisoformat(slot["start"])
    who = ""
    if ctx.user is None:
        contact = state.contact
        who = f" for {contact.get('name')} ({contact.get('email')})"
    text = f"{intro + ' ' if intro else ''}Shall I book {service.name} with {slot['technician']} {ctx.voice.moment(start)}{who}?"
    state.awaiting = "confirm"
    if ctx.spoken:
        reply.say(text + " Please say yes to confirm.")
        return
    reply.say(
        text,
        actions=[
            action("Confirm booking", "confirm booking", "confirm"),
            action("Show pricing", f"show pricing {service.slug}", "price_question"),
            action("Other times", f"when else is {service.name} available?", "availability_question"),
        ],
    )


def take_contact(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Store the name, e-mail and phone the guest gave (validated) and move on."""
    contact = state.contact
    problems = []
    if parse.email:
        try:
            validate_email(parse.email)
            contact["email"] = parse.email
        except ValidationError:
            problems.append("That e-mail address doesn't look right.")
    if parse.phone:
        contact["phone"] = parse.phone
    name = parse.name or _bare_name(parse, state)
    if name:
        contact["name"] = name[:150]
    if problems:
        reply.say(" ".join(problems) + " " + _ASK["email"])
        return
    if not state.selected:
        first = contact.get("name", "").split(" ")[0]
        reply.say(f"Thank you{', ' + first if first else ''}. What would you like to book?")
        return
    missing = contact_missing(state, ctx)
    if missing:
        reply.say(_ASK[missing[0]])
        return
    ask_confirmation(state, ctx, reply, intro="Thank you.")


# Short answers that are not a name ("Alright", "Yes please" when we asked "your name?").
_NOT_A_NAME = frozenset(
    "yes yeah yep yup sure ok okay alright fine please go ahead no nope nah thanks thank you why what".split()  # noqa: SIM905
)


def _bare_name(parse: Parse, state) -> str:
    """When we asked for a name, a short reply of words is the name ('Jane Doe')."""
    if state.awaiting != "contact" or state.contact.get("name"):
        return ""
    words = re.sub(r"[\w.+-]+@[\w.-]+|\+?\d[\d\s().-]{5,}\d", " ", parse.text).replace(",", " ").split()
    if all(w.lower().strip(".!?") in _NOT_A_NAME for w in words):
        return ""
    if 1 <= len(words) <= 4 and all(re.fullmatch(r"[A-Za-zÀ-ÿ'\-.]+", w) for w in words):
        return " ".join(w if any(c.isupper() for c in w) else w.capitalize() for w in words)
    return ""


def book_selected(state, ctx: TurnContext, reply: Reply) -> None:
    """Create the booking through the booking service; only a committed booking is announced."""
    from coresync.bookings.services import GuestDetails, booking_create

    slot = state.selected
    service = ctx.index.services[slot["service_id"]]
    guest = None
    if ctx.user is None:
        contact = state.contact
        guest = GuestDetails(name=contact.get("name", ""), email=contact.get("email", ""), phone=contact.get("phone") or state.caller_phone)
    try:
        booking = booking_create(
            service=_snapshot_service(ctx, service.id),
            start=datetime.fromisoformat(slot["start"]),
            customer=ctx.user,
            guest=guest,
            technician=slot["technician_id"],
            channel=ctx.booking_channel,
            ai_session_id=state.session_id,
            atlas_call_id=state.call_id,
            now=ctx.now,
        )
    except SlotUnavailable:
        when = datetime.fromisoformat(slot["start"])
        state.date_from = state.date_to = when.date().isoformat()
        state.exact_minute, state.technician_id = when.hour * 60 + when.minute, None
        reply.say("I'm sorry, that time was just taken by someone else.")
        offer_slots(state, ctx, reply, booking_intent=False)
        return
    except (OutsideBookingWindow, ValidationFailed, ApplicationError) as error:
        _booking_refused(state, ctx, reply, error)
        return
    announce_booking(state, ctx, reply, booking, service, technician=slot["technician"])


def _booking_refused(state, ctx: TurnContext, reply: Reply, error: ApplicationError) -> None:
    if isinstance(error, ValidationFailed) and error.fields:
        state.awaiting = "contact"
        if "email" in str(error.fields) or "guest" in str(error.fields):
            state.contact.pop("email", None)
            reply.say(f"{error.message} {_ASK['email']}")
            return
        state.contact.pop("phone", None)
        reply.say(f"{error.message} {_ASK['phone']}")
        return
    state.selected, state.awaiting = None, ""
    reply.say(f"I couldn't book that: {error.message}", actions=other_options(ctx))


OWN_BOOKING_PATH = "/accounts/bookings/{reference}/"


def booking_state(booking, ctx: TurnContext, *, previous: dict | None = None, made_here: bool = False) -> dict:
    """What the chat shows of a booking (``state.booking``): reference, status, start, and a link when the viewer may open it.

    The signed-in owner gets their account page; a guest who booked in this very chat
    gets the booking's signed manage link (the one the confirmation e-mail carries),
    kept through later changes. ``previous`` is the session's ``state.booking``.
    """
    start = booking.start.astimezone(ctx.index.timezone) if ctx.index.timezone else booking.start
    out = {"reference": booking.reference, "status": str(booking.status), "start": start.isoformat()}
    if ctx.spoken:
        return out
    if ctx.user is not None and booking.customer_id == ctx.user.pk:
        out["url"] = OWN_BOOKING_PATH.format(reference=booking.reference)
    elif ctx.user is None and booking.customer_id is None:
        if made_here:
            from coresync.core.links import booking_manage_path

            out["url"] = booking_manage_path(booking)
        elif previous and previous.get("reference") == booking.reference and previous.get("url"):
            out["url"] = previous["url"]
    return out


def _after_booking_actions(ctx: TurnContext) -> list[dict] | None:
    if ctx.spoken:
        return None
    return [action("Directions", "where are you located?", "faq_location"), action("What to bring", "what should I bring?", "faq_what_to_bring")]


def already_booked(state, ctx: TurnContext, reply: Reply) -> None:
    """'Confirm booking' again once booked (a double click, an old button): nothing new is booked."""
    booking = state.booking
    start = datetime.fromisoformat(booking["start"])
    reply.say(
        f"You're all set: {booking['reference']} is booked for {ctx.voice.moment(start)}. Is there anything else I can help with?",
        actions=_after_booking_actions(ctx),
    )


def announce_booking(state, ctx: TurnContext, reply: Reply, booking, service, *, technician: str) -> None:
    start = booking.start.astimezone(ctx.index.timezone) if ctx.index.timezone else booking.start
    state.booking = booking_state(booking, ctx, made_here=True)
    state.forget_request()
    reply.booking_id, reply.outcome = booking.id, "booked"
    held = booking.status == "pending_payment"
    text = (
        f"You're booked: {service.name} with {technician} {ctx.voice.moment(start)}. "
        f"Your reference is {booking.reference}."
    )
    if held:
        text += " We're holding it for you until payment is completed."
    elif not ctx.spoken:
        text += f" A confirmation is on its way to {booking.customer_email}."
    if ctx.spoken:
        reply.say(text + " Is there anything else I can help with?")
        return
    reply.say(text, actions=_after_booking_actions(ctx))
