"""Cancel and reschedule an existing booking, only once the caller has proven it is theirs, and only when asked twice.

Proof is one of: the signed-in owner (web and HTTP chat); the e-mail the booking
was made with; or the booking having been made (or already proven) in this very
session. On the phone the number a caller rings from proves nothing (caller ID
can be forged, and may be a colleague's phone): a caller gives the reference plus
the name or the e-mail on the booking. Until then nothing about the booking (not
even whether the reference exists) is said. A cancel or a move is then summed up
("Cancel your Deep Tissue Massage on Friday, December 4 at 2:00 PM (CS-…)?") and
done only on a yes.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from coresync.core.errors import ApplicationError, CancellationWindowClosed, SlotUnavailable
from coresync.core.formatting import format_datetime

from ..selectors import booking_by_reference, location_facts, upcoming_bookings_for
from .base import Reply, TurnContext, action
from .booking_flow import booking_state, offer_slots
from .nlu import Parse

MAX_IDENTITY_ATTEMPTS = 3


def _proven(booking, parse: Parse, state, ctx: TurnContext) -> bool:
    if state.target_verified and state.target_reference == booking.reference:
        return True
    if state.booking and state.booking.get("reference") == booking.reference:
        return True  # made, or already proven, in this very session
    email = parse.email or ""
    if email and email.lower() == booking.customer_email.lower():
        return True
    if ctx.spoken:
        # Caller ID is not proof: only what the caller knows (the reference plus the name on it) counts.
        return _same_name(_said_name(parse, state), booking.customer_name)
    user = ctx.user
    return user is not None and (booking.customer_id == user.pk or getattr(user, "is_staff", False))


_NAME_LEAD = re.compile(r"^(?:(?:it'?s|it is|that'?s|my name is|my name'?s|the name is|name is|under|in the name of|for|sure|yes|ok|okay)[\s,]+)+", re.I)


def _said_name(parse: Parse, state) -> str:
    """The name a caller gives when we asked whose booking it is ("It's Ann Lee", "Ann Lee")."""
    if parse.name:
        return parse.name
    if state.awaiting != "identity":
        return ""
    return _NAME_LEAD.sub("", parse.text.strip(" .!?")).strip()


def _folded_name(name: str) -> str:
    return " ".join(re.findall(r"[^\W\d_]+", name.casefold()))


_NAME_FILLER = frozenset("it its it's is the name names under booked booking made for in of a my was that's thats".split())  # noqa: SIM905


def _same_name(said: str, on_booking: str) -> bool:
    """The full name on the booking, said with or without leading words ("it's under Carla Diaz", "the name's Ann Lee")."""
    said, wanted = _folded_name(said), _folded_name(on_booking)
    if not said or not wanted:
        return False
    if said == wanted:
        return True
    words = [w for w in said.replace("'", " ").split() if w not in _NAME_FILLER and len(w) > 1]  # spelled letters dropped
    if " ".join(words) == wanted:
        return True
    half = len(words) // 2
    return bool(half) and words[:half] == words[half:] and " ".join(words[:half]) == wanted  # "Ann Lee, Ann Lee"


def _phone_line(ctx: TurnContext) -> str:
    facts = location_facts(ctx.catalog())
    return f" at {facts.phone}" if facts and facts.phone else ""


def start_operation(operation: str, parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Entry for 'cancel …' / 'move my booking …' and for the answers to our identity questions."""
    if state.pending_operation != operation or (parse.reference and parse.reference != state.target_reference):
        state.forget_operation()
    state.pending_operation = operation
    state.offered = []
    if operation == "cancel" and len(parse.references) > 1:
        _cancel_references(parse.references, parse, state, ctx, reply)  # "cancel CS-… and CS-…"
        return
    reference = parse.reference or state.target_reference
    if not reference:
        reference = _own_booking_reference(operation, parse, state, ctx, reply)
        if not reference:
            return
    state.target_reference = reference
    booking = booking_by_reference(reference)
    if booking is None or not _proven(booking, parse, state, ctx):
        if parse.when.has_date or parse.when.has_time or parse.shift_minutes:
            state.operation_text = parse.text[:500]  # the new time asked, for when the booking is proven
        _ask_identity(parse, state, ctx, reply)
        return
    state.target_verified = True
    state.awaiting = ""
    if not _changeable(booking, state, ctx, reply):
        return
    if operation == "cancel":
        _offer_cancel(booking, state, ctx, reply)
    else:
        _offer_new_times(booking, parse, state, ctx, reply)


def _described(bookings: list, parse: Parse, operation: str, ctx: TurnContext) -> list:
    """The bookings the message describes: by treatment or kind, day, time or position ("the facial", "my Friday
    massage", "the saturday one", "the second one"); for a move only what comes before "to" describes the booking."""
    from .dates import parse_when

    text = parse.folded
    if operation == "reschedule" and (m := re.search(r"\b(?:to|for|until|till|onto|back|forward|later|earlier)\b", text)):
        text = text[: m.start()]
    found = ctx.index.find(text)
    services, categories = set(found.get("service", [])), set(found.get("category", []))
    when = parse_when(text, ctx.today)
    tz = ctx.index.timezone
    chosen = list(bookings)
    if services:
        chosen = [b for b in chosen if b.service_id in services]
    elif categories:
        chosen = [b for b in chosen if ctx.index.services.get(b.service_id) and ctx.index.services[b.service_id].category_id in categories]
    if when.has_date:
        last = when.date_to or when.date_from
        chosen = [b for b in chosen if when.date_from <= b.start.astimezone(tz).date() <= last]
    if when.exact_minute is not None:
        at = [b for b in chosen if b.start.astimezone(tz).hour * 60 + b.start.astimezone(tz).minute == when.exact_minute]
        chosen = at or chosen
    if parse.ordinal is not None and not (services or categories or when.has_date) and bookings:
        index = parse.ordinal if parse.ordinal >= 0 else len(bookings) - 1
        chosen = [bookings[index]] if index < len(bookings) else []
    return chosen


def _own_booking_reference(operation: str, parse: Parse, state, ctx: TurnContext, reply: Reply) -> str:
    """'My booking': the caller's only upcoming booking, the one described, several at once, a choice, or a question."""
    if state.booking and state.booking.get("status") not in ("cancelled", None) and not (ctx.user is not None and parse.every):
        return state.booking["reference"]
    if ctx.user is None or ctx.spoken:
        # On the phone the caller's number is not enough to look their bookings up: the reference is asked.
        state.awaiting = "reference"
        spelled = "It starts with C S" if ctx.spoken else "It starts with CS-"
        reply.say(f"Of course. What's your booking reference? {spelled}, and it's in your confirmation e-mail.")
        return ""
    bookings = upcoming_bookings_for(user=ctx.user, now=ctx.now)
    if not bookings:
        state.forget_operation()
        reply.say("I can't find an upcoming booking for you. Do you have the reference? It starts with CS-.")
        state.pending_operation, state.awaiting = operation, "reference"
        return ""
    if len(bookings) == 1:
        return bookings[0].reference
    described = _described(bookings, parse, operation, ctx)
    if len(described) == 1:
        return described[0].reference
    if operation == "cancel" and parse.every and len(described) > 1:
        _offer_cancel_many(described, state, ctx, reply)  # "cancel both", "all of them", "my bookings on Friday"
        return ""
    bookings = described or bookings
    verb = "Cancel" if operation == "cancel" else "Move"
    tz = ctx.index.timezone
    if ctx.spoken:
        listed = "; ".join(f"{b.service.name} {ctx.voice.moment(b.start.astimezone(tz))}" for b in bookings[:3])
        reply.say(f"You have {len(bookings)} upcoming bookings: {listed}. Which one? You can tell me the reference.")
    else:
        choices = [
            action(f"{verb} {b.service.name}, {ctx.voice.moment(b.start.astimezone(tz))}", f"{operation} {b.reference}", operation)
            for b in bookings
        ]
        if operation == "cancel":
            choices.append(action(f"Cancel all {len(bookings)}", f"cancel all {len(bookings)} bookings", "cancel"))
        reply.say("Which booking do you mean?", actions=choices)
    state.awaiting = "reference"
    return ""


def _cancel_references(references: list[str], parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Several references in one message: each must be proven (as one alone would), then all are summed up together."""
    bookings = [booking_by_reference(r) for r in references]
    if any(b is None or not _proven(b, parse, state, ctx) for b in bookings):
        state.target_reference = next((r for r, b in zip(references, bookings, strict=True) if b is None or not _proven(b, parse, state, ctx)), "")
        _ask_identity(parse, state, ctx, reply)
        return
    _offer_cancel_many(bookings, state, ctx, reply)


def _offer_cancel_many(bookings: list, state, ctx: TurnContext, reply: Reply) -> None:
    """Sum up several bookings to cancel at once; nothing changes before the yes."""
    from coresync.bookings.services import booking_changeable

    tz = ctx.index.timezone
    changeable = [b for b in bookings if b.is_active and booking_changeable(b, actor=_actor(ctx), now=ctx.now)]
    if len(changeable) < 2:
        if changeable:
            state.target_reference, state.target_verified, state.awaiting = changeable[0].reference, True, ""
            if _changeable(changeable[0], state, ctx, reply):
                _offer_cancel(changeable[0], state, ctx, reply)
            return
        state.forget_operation()
        reply.say(f"Those bookings can't be changed here any more. Please call us{_phone_line(ctx)} and we'll help.")
        return
    listed = "; ".join(f"{b.service.name} {_on(b.start.astimezone(tz), ctx)} ({b.reference})" for b in changeable)
    kept = [b.reference for b in bookings if b not in changeable]
    text = f"Cancel these {len(changeable)} bookings: {listed}? Cancelling them is free of charge."
    if kept:
        text += f" ({', '.join(kept)} can't be changed here any more.)"
    state.targets = [b.reference for b in changeable]
    state.target_reference, state.target_verified, state.awaiting = changeable[0].reference, True, "cancel_confirm"
    if ctx.spoken:
        reply.say(text + " Shall I cancel them? Please say yes or no.")
        return
    reply.say(text, actions=[action(f"Yes, cancel all {len(changeable)}", "yes, cancel them all", "confirm"),
                             action("Keep my bookings", "keep my bookings", "deny")])  # fmt: skip


def _cancel_many(state, ctx: TurnContext, reply: Reply) -> None:
    """The yes to "Cancel these N bookings?": all of them in one transaction, or none."""
    from django.db import transaction

    from coresync.bookings.services import booking_cancel

    references = list(state.targets)
    try:
        with transaction.atomic():
            done = []
            for reference in references:
                booking = booking_by_reference(reference)
                if booking is None:
                    continue
                done.append(booking_cancel(booking=booking, actor=_actor(ctx), now=ctx.now,
                                           reason=f"Cancelled by the guest via the concierge ({ctx.channel})."))  # fmt: skip
    except ApplicationError as error:
        state.forget_operation()
        reply.say(f"I couldn't cancel them: {error.message} Nothing was changed.")
        return
    state.forget_operation()
    if done:
        state.booking = booking_state(done[-1], ctx, previous=state.booking)
        state.booking["status"] = "cancelled"
        reply.outcome, reply.booking_id = "cancelled", done[-1].id
    reply.say(f"Done: {', '.join(b.reference for b in done)} are cancelled, free of charge. We hope to see you another time.")


def list_bookings(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """'What bookings do I have?': the signed-in guest's upcoming bookings, each with its own actions."""
    if ctx.user is None or ctx.spoken:
        state.pending_operation, state.awaiting = "", ""
        spelled = "It starts with C S" if ctx.spoken else "It starts with CS-"
        reply.say(f"I can look a booking up by its reference ({spelled}, in your confirmation e-mail). Would you like to change or cancel one?")
        return
    bookings = upcoming_bookings_for(user=ctx.user, now=ctx.now)
    if not bookings:
        reply.say("You have no upcoming bookings. Would you like to book something?")
        return
    tz = ctx.index.timezone
    listed = "; ".join(f"{b.service.name} {_on(b.start.astimezone(tz), ctx)} ({b.reference})" for b in bookings)
    actions = []
    for b in bookings[:3]:
        actions.append(action(f"Move {b.service.name}", f"reschedule {b.reference}", "reschedule"))
        actions.append(action(f"Cancel {b.service.name}", f"cancel {b.reference}", "cancel"))
    reply.say(f"Your upcoming bookings: {listed}.", actions=actions)


def _ask_identity(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    answered = bool(parse.email) or (ctx.spoken and state.awaiting == "identity" and bool(_said_name(parse, state)))
    if answered:
        state.identity_attempts += 1
    if state.identity_attempts >= MAX_IDENTITY_ATTEMPTS:
        state.forget_operation()
        reply.say(f"I can't match those details to a booking. Please call us{_phone_line(ctx)} and our team will help.")
        reply.handoff_reason = "identity"
        return
    state.awaiting = "identity"
    if ctx.spoken:
        if answered:
            reply.say("Those details don't match a booking I can change. Please check the reference, and tell me the name or the e-mail it was booked under.")
            return
        reply.say(f"To protect your booking, please tell me the full name or the e-mail address booking {state.target_reference} was made under.")
        return
    if answered:
        reply.say("Those details don't match a booking I can change. Please check the reference and the e-mail you booked with.")
        return
    reply.say(f"To protect your booking, please tell me the e-mail address booking {state.target_reference} was made with.")


def _changeable(booking, state, ctx: TurnContext, reply: Reply) -> bool:
    if not booking.is_active or booking.status not in ("confirmed", "pending_payment"):
        state.forget_operation()
        reply.say(f"Booking {booking.reference} is {booking.get_status_display().lower()}, so there's nothing to change.")
        return False
    from coresync.bookings.services import booking_changeable  # the one change policy (API, account pages, concierge)

    hours = booking.location.free_cancellation_hours
    if not booking_changeable(booking, actor=_actor(ctx), now=ctx.now):
        operation = state.pending_operation or "cancel"
        state.forget_operation()
        state.late_change = f"{operation}:{booking.reference}"
        reply.say(
            f"Bookings can be changed here until {hours} hours before the start, and {booking.reference} starts "
            f"{ctx.voice.moment(booking.start.astimezone(ctx.index.timezone))}. Please call us{_phone_line(ctx)} and we'll help.",
            actions=None if ctx.spoken else [action("Talk to a person", "talk to a person", "handoff")],
        )
        return False
    return True


def _at(start: datetime) -> str:
    """'Friday, December 4 at 2:00 PM' (on screen)."""
    return format_datetime(start)


def _on(start: datetime, ctx: TurnContext) -> str:
    """'on Friday, December 4 at 2:00 PM' on screen; 'at three p.m. on Friday' on the phone."""
    return f"at {ctx.voice.moment(start)}" if ctx.spoken else f"on {_at(start)}"


def _actor(ctx: TurnContext):
    """Who acts on the booking: the signed-in person on the web; on the phone nobody's account (caller ID is not one)."""
    return None if ctx.spoken else ctx.user


def _offer_cancel(booking, state, ctx: TurnContext, reply: Reply) -> None:
    start = booking.start.astimezone(ctx.index.timezone)
    from coresync.bookings.services import booking_change_deadline

    free_until = booking_change_deadline(booking).astimezone(ctx.index.timezone)
    policy = (booking.location.cancellation_policy or "").strip()
    text = (
        f"Cancel your {booking.service.name} {_on(start, ctx)} ({booking.reference})? "
        f"Cancelling is free until {ctx.voice.moment(free_until)}, so there's no charge."
    )
    if policy:
        text += f" Our policy: {policy}"
    state.awaiting = "cancel_confirm"
    if ctx.spoken:
        reply.say(text + " Shall I cancel it? Please say yes or no.")
        return
    reply.say(
        text,
        actions=[
            action("Yes, cancel it", f"confirm cancel {booking.reference}", "confirm"),
            action("Keep my booking", "keep my booking", "deny"),
        ],
    )


def confirm_cancel(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """The yes to 'Cancel your …?': only then is the booking cancelled."""
    from coresync.bookings.services import booking_cancel

    if state.targets and state.awaiting == "cancel_confirm" and state.target_verified and not parse.reference:
        _cancel_many(state, ctx, reply)
        return
    reference = parse.reference or state.target_reference
    booking = booking_by_reference(reference) if reference else None
    asked = state.awaiting == "cancel_confirm" and state.target_verified
    if booking is None or not (asked and state.target_reference == booking.reference):
        start_operation("cancel", parse, state, ctx, reply)  # proves, sums up and asks (again)
        return
    try:
        booking = booking_cancel(booking=booking, actor=_actor(ctx), reason=f"Cancelled by the guest via the concierge ({ctx.channel}).", now=ctx.now)
    except ApplicationError as error:
        state.forget_operation()
        reply.say(f"I couldn't cancel it: {error.message}")
        return
    state.forget_operation()
    state.booking = booking_state(booking, ctx, previous=state.booking)
    state.booking["status"] = "cancelled"
    reply.outcome, reply.booking_id = "cancelled", booking.id
    reply.say(f"Done: booking {booking.reference} is cancelled, free of charge. We hope to see you another time.")


def _asked_when(booking, parse: Parse, ctx: TurnContext, state=None):
    """When the booking should move to: what follows 'to' ("move tomorrow's deep tissue to Friday"), 'same time' its own
    time, a time alone its own day ("move it to 5pm"), "an hour later" its own time shifted; else the request made before
    the booking was proven."""
    from .dates import parse_when
    from .nlu import parse_message

    folded = parse.folded
    if state is not None and state.operation_text and not (parse.when.has_date or parse.when.has_time or parse.shift_minutes):
        parse = parse_message(state.operation_text, index=ctx.index, today=ctx.today)
        folded = parse.folded
    when = parse.when
    if m := re.search(r"\b(?:to|for|until|till|onto)\s+(?!move\b)(.+)$", folded):
        after = parse_when(m.group(1), ctx.today)
        if after.has_date or after.has_time:
            when = after
    start = booking.start.astimezone(ctx.index.timezone)
    if when.has_date and not when.has_time and (re.search(r"\bsame time\b", folded) or parse.correction):  # "I meant Saturday"
        when.exact_minute = start.hour * 60 + start.minute
    if parse.shift_minutes and not when.has_time:
        when.exact_minute = start.hour * 60 + start.minute + parse.shift_minutes
    if when.has_time and not when.has_date and (when.exact_minute is not None or parse.shift_minutes):
        listed = state is not None and state.offered_for == "reschedule" and state.date_from
        day = date.fromisoformat(state.date_from) if listed else start.date()
        when.date_from = when.date_to = day  # "move it to 5pm": the day asked (or its own day)
    return when


def _offer_new_times(booking, parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    when = _asked_when(booking, parse, ctx, state)
    if not (when.has_date or when.has_time):
        state.awaiting = "reschedule_when"
        reply.say(
            f"{booking.reference} is {booking.service.name} {ctx.voice.moment(booking.start.astimezone(ctx.index.timezone))}. "
            "When would you like to move it to?"
        )
        return
    state.forget_request()
    if when.has_date:
        state.date_from, state.date_to = when.date_from.isoformat(), (when.date_to or when.date_from).isoformat()
    state.exact_minute, state.minute_from, state.minute_to = when.exact_minute, when.minute_from, when.minute_to
    offer_slots(
        state, ctx, reply, booking_intent=False, reference=booking.reference,
        viewer=booking.customer, service_id=booking.service_id,
        on_exact=lambda slot: propose_move(parse, state, ctx, reply, slot),
    )  # fmt: skip
    if state.offered:
        state.pending_operation, state.target_reference, state.target_verified = "reschedule", booking.reference, True


def propose_move(parse: Parse, state, ctx: TurnContext, reply: Reply, slot: dict) -> None:
    """A new time was chosen: sum the move up and ask before anything changes."""
    reference = parse.reference or state.target_reference
    booking = booking_by_reference(reference) if reference else None
    start = datetime.fromisoformat(slot["start"])
    if booking is not None and _already_there(booking, state, start):
        state.forget_operation()
        _say_where_it_is(booking, state, ctx, reply)
        return
    if booking is None or not (state.target_verified and state.target_reference == booking.reference):
        start_operation("reschedule", parse, state, ctx, reply)
        return
    if booking.start == start:
        state.selected, state.offered, state.awaiting = None, [], "reschedule_when"
        reply.say(f"{booking.reference} is already {ctx.voice.moment(start.astimezone(ctx.index.timezone))}. When would you like to move it to?")
        return
    old = booking.start.astimezone(ctx.index.timezone)
    new = start.astimezone(ctx.index.timezone)
    technician = slot.get("technician") or "your therapist"
    state.selected, state.offered, state.awaiting = slot, [], "reschedule_confirm"
    state.pending_operation, state.target_reference = "reschedule", booking.reference
    text = f"Move your {booking.service.name} from {_at(old)} to {_at(new)} with {technician} ({booking.reference})?"
    if ctx.spoken:
        reply.say(
            f"Move your {booking.service.name} from {ctx.voice.moment(old)} to {ctx.voice.moment(new)} with {technician.split()[0]}? "
            "Please say yes or no."
        )
        return
    reply.say(
        text,
        actions=[
            action("Yes, move it", f"confirm move {booking.reference}", "confirm"),
            action("Keep my booking", "keep my booking", "deny"),
            action("Other times", f"reschedule {booking.reference}", "reschedule"),
        ],
    )


def _already_there(booking, state, start: datetime) -> bool:
    """A second press of a move already made (the session knows the booking, and it starts then)."""
    known = bool(state.booking) and state.booking.get("reference") == booking.reference
    return known and booking.is_active and booking.start == start


def _say_where_it_is(booking, state, ctx: TurnContext, reply: Reply) -> None:
    start = booking.start.astimezone(ctx.index.timezone)
    state.booking = booking_state(booking, ctx, previous=state.booking)
    reply.say(f"{booking.reference} is booked for {ctx.voice.moment(start)}. Is there anything else I can help with?")


def confirm_reschedule(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """The yes to 'Move your …?': only then is the booking moved."""
    from coresync.bookings.services import booking_reschedule

    reference = parse.reference or state.target_reference
    booking = booking_by_reference(reference) if reference else None
    slot = state.selected
    asked = state.awaiting == "reschedule_confirm" and state.target_verified and slot is not None
    if booking is None or not (asked and state.target_reference == booking.reference):
        known = booking is not None and state.booking and state.booking.get("reference") == booking.reference
        if known and booking.is_active:
            state.forget_operation()
            _say_where_it_is(booking, state, ctx, reply)  # pressed again after the move: where it is now
            return
        start_operation("reschedule", parse, state, ctx, reply)
        return
    start = datetime.fromisoformat(slot["start"])
    try:
        booking = booking_reschedule(booking=booking, start=start, actor=_actor(ctx), technician=slot.get("technician_id"), now=ctx.now)
    except SlotUnavailable:
        state.selected, state.awaiting = None, ""
        reply.say("Sorry, that time was just taken.")
        parse.when.date_from = parse.when.date_to = start.astimezone(ctx.index.timezone).date()
        _offer_new_times(booking, parse, state, ctx, reply)
        return
    except (CancellationWindowClosed, ApplicationError) as error:
        state.forget_operation()
        reply.say(f"I couldn't move it: {error.message}")
        return
    state.forget_operation()
    state.forget_request()
    new_start = booking.start.astimezone(ctx.index.timezone)
    state.booking = booking_state(booking, ctx, previous=state.booking)
    reply.outcome, reply.booking_id = "rescheduled", booking.id
    text = f"Done: {booking.reference} is now {ctx.voice.moment(new_start)} with {slot.get('technician', 'your therapist')}."
    if ctx.spoken:
        reply.say(text + " Is there anything else I can help with?")
        return
    reply.say(
        text + " Is there anything else I can help with?",
        actions=[action("Directions", "where are you located?", "faq_location"), action("What to bring", "what should I bring?", "faq_what_to_bring")],
    )


def late_change_handoff(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Asked again to cancel or move a booking too close to its start ("cancel it anyway"): the team takes it, with its reference.

    The concierge never breaks the change policy (staff may cancel late, under the late-cancellation fee); it does not
    repeat its refusal either.
    """
    operation, _, reference = state.late_change.partition(":")
    state.late_change, state.handoff, state.awaiting = "", True, ""
    reply.handoff_reason, reply.outcome = "asked", "handoff"
    verb = "move" if operation == "reschedule" else "cancel"
    if ctx.spoken:
        reply.say(f"I can't {verb} {reference} myself this close to the start. I'm passing you to a member of our team now; please stay on the line.")
        return
    reply.say(
        f"I can't {verb} {reference} here this close to the start, so I've passed your request to our team with the booking's "
        f"details: they can {verb} it for you under our late-change policy and will get back to you shortly. "
        f"You can also call us{_phone_line(ctx)}."
    )
