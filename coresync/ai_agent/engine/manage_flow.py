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
from datetime import datetime

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


def _same_name(said: str, on_booking: str) -> bool:
    said = _folded_name(said)
    return bool(said) and said == _folded_name(on_booking)


def _phone_line(ctx: TurnContext) -> str:
    facts = location_facts(ctx.catalog())
    return f" at {facts.phone}" if facts and facts.phone else ""


def start_operation(operation: str, parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Entry for 'cancel …' / 'move my booking …' and for the answers to our identity questions."""
    if state.pending_operation != operation or (parse.reference and parse.reference != state.target_reference):
        state.forget_operation()
    state.pending_operation = operation
    state.offered = []
    reference = parse.reference or state.target_reference
    if not reference:
        reference = _own_booking_reference(operation, state, ctx, reply)
        if not reference:
            return
    state.target_reference = reference
    booking = booking_by_reference(reference)
    if booking is None or not _proven(booking, parse, state, ctx):
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


def _own_booking_reference(operation: str, state, ctx: TurnContext, reply: Reply) -> str:
    """'My booking': the caller's only upcoming booking, a choice among several, or a question."""
    if state.booking and state.booking.get("status") not in ("cancelled", None):
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
    verb = "Cancel" if operation == "cancel" else "Move"
    tz = ctx.index.timezone
    if ctx.spoken:
        listed = "; ".join(f"{b.service.name} {ctx.voice.moment(b.start.astimezone(tz))}" for b in bookings[:3])
        reply.say(f"You have {len(bookings)} upcoming bookings: {listed}. Which one? You can tell me the reference.")
    else:
        reply.say(
            "Which booking do you mean?",
            actions=[
                action(f"{verb} {b.service.name}, {ctx.voice.moment(b.start.astimezone(tz))}", f"{operation} {b.reference}", operation)
                for b in bookings
            ],
        )
    state.awaiting = "reference"
    return ""


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
        state.forget_operation()
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


def _asked_when(booking, parse: Parse, ctx: TurnContext):
    """When the booking should move to: what follows 'to' ("move tomorrow's deep tissue to Friday"), 'same time' its own time."""
    from .dates import parse_when

    when = parse.when
    if m := re.search(r"\b(?:to|for|until|till|onto)\s+(?!move\b)(.+)$", parse.folded):
        after = parse_when(m.group(1), ctx.today)
        if after.has_date or after.has_time:
            when = after
    if when.has_date and not when.has_time and re.search(r"\bsame time\b", parse.folded):
        start = booking.start.astimezone(ctx.index.timezone)
        when.exact_minute = start.hour * 60 + start.minute
    return when


def _offer_new_times(booking, parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    when = _asked_when(booking, parse, ctx)
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
