"""Cancel and reschedule an existing booking, only once the caller has proven it is theirs.

Proof is one of: the signed-in owner; the e-mail the booking was made with;
the phone number the caller rings from matching the booking's phone; or the
booking having been made in this very session. Until then nothing about the
booking (not even whether the reference exists) is said.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from coresync.core.errors import ApplicationError, CancellationWindowClosed, SlotUnavailable

from ..selectors import booking_by_reference, location_facts, phone_digits, upcoming_bookings_for
from .base import Reply, TurnContext, action
from .booking_flow import offer_slots
from .nlu import Parse

MAX_IDENTITY_ATTEMPTS = 3


def _proven(booking, parse: Parse, state, ctx: TurnContext) -> bool:
    if state.target_verified and state.target_reference == booking.reference:
        return True
    user = ctx.user
    if user is not None and (booking.customer_id == user.pk or getattr(user, "is_staff", False)):
        return True
    if state.booking and state.booking.get("reference") == booking.reference:
        return True
    if ctx.spoken and state.caller_phone and phone_digits(state.caller_phone) == phone_digits(booking.customer_phone):
        return True
    email = parse.email or ""
    return bool(email) and email.lower() == booking.customer_email.lower()


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
    if ctx.user is None and not (ctx.spoken and state.caller_phone):
        state.awaiting = "reference"
        reply.say("Of course. What's your booking reference? It starts with CS-, and it's in your confirmation e-mail.")
        return ""
    if state.booking:
        return state.booking["reference"]
    bookings = upcoming_bookings_for(user=ctx.user, phone=state.caller_phone if ctx.spoken else "", now=ctx.now)
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
    if parse.email:
        state.identity_attempts += 1
    if state.identity_attempts >= MAX_IDENTITY_ATTEMPTS:
        state.forget_operation()
        reply.say(f"I can't match those details to a booking. Please call us{_phone_line(ctx)} and our team will help.")
        reply.handoff_reason = "identity"
        return
    state.awaiting = "identity"
    if parse.email:
        reply.say("Those details don't match a booking I can change. Please check the reference and the e-mail you booked with.")
        return
    reply.say(f"To protect your booking, please tell me the e-mail address booking {state.target_reference} was made with.")


def _changeable(booking, state, ctx: TurnContext, reply: Reply) -> bool:
    if not booking.is_active or booking.status not in ("confirmed", "pending_payment"):
        state.forget_operation()
        reply.say(f"Booking {booking.reference} is {booking.get_status_display().lower()}, so there's nothing to change.")
        return False
    hours = booking.location.free_cancellation_hours
    staff = ctx.user is not None and getattr(ctx.user, "is_staff", False)
    if not staff and booking.start - ctx.now < timedelta(hours=hours):
        state.forget_operation()
        reply.say(
            f"Bookings can be changed here until {hours} hours before the start, and {booking.reference} starts "
            f"{ctx.voice.moment(booking.start.astimezone(ctx.index.timezone))}. Please call us{_phone_line(ctx)} and we'll help.",
            actions=None if ctx.spoken else [action("Talk to a person", "talk to a person", "handoff")],
        )
        return False
    return True


def _offer_cancel(booking, state, ctx: TurnContext, reply: Reply) -> None:
    start = booking.start.astimezone(ctx.index.timezone)
    free_until = start - timedelta(hours=booking.location.free_cancellation_hours)
    policy = (booking.location.cancellation_policy or "").strip()
    text = (
        f"{booking.reference} is {booking.service.name} with {booking.technician.display_name} {ctx.voice.moment(start)}. "
        f"Cancelling is free until {ctx.voice.moment(free_until)}, so there's no charge. "
    )
    if policy:
        text += f"Our policy: {policy} "
    state.awaiting = "cancel_confirm"
    if ctx.spoken:
        reply.say(text + "Shall I cancel it? Please say yes or no.")
        return
    reply.say(
        text + "Shall I cancel it?",
        actions=[action(f"Yes, cancel {booking.reference}", f"confirm cancel {booking.reference}", "confirm"), action("Keep my booking", "keep my booking", "deny")],
    )


def confirm_cancel(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    from coresync.bookings.services import booking_cancel

    reference = parse.reference or state.target_reference
    booking = booking_by_reference(reference) if reference else None
    if booking is None or not (state.target_verified and state.target_reference == booking.reference):
        start_operation("cancel", parse, state, ctx, reply)
        return
    try:
        booking_cancel(booking=booking, actor=ctx.user, reason=f"Cancelled by the guest via the concierge ({ctx.channel}).", now=ctx.now)
    except ApplicationError as error:
        state.forget_operation()
        reply.say(f"I couldn't cancel it: {error.message}")
        return
    state.forget_operation()
    if state.booking and state.booking.get("reference") == booking.reference:
        state.booking["status"] = "cancelled"
    reply.outcome, reply.booking_id = "cancelled", booking.id
    reply.say(f"Done: booking {booking.reference} is cancelled, free of charge. We hope to see you another time.")


def _offer_new_times(booking, parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    when = parse.when
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
    )  # fmt: skip
    if state.offered:
        state.pending_operation, state.target_reference, state.target_verified = "reschedule", booking.reference, True


def do_reschedule(parse: Parse, state, ctx: TurnContext, reply: Reply, slot: dict) -> None:
    from coresync.bookings.services import booking_reschedule

    reference = parse.reference or state.target_reference
    booking = booking_by_reference(reference) if reference else None
    if booking is None or not (state.target_verified and state.target_reference == booking.reference):
        start_operation("reschedule", parse, state, ctx, reply)
        return
    start = datetime.fromisoformat(slot["start"])
    try:
        booking = booking_reschedule(booking=booking, start=start, actor=ctx.user, technician=slot.get("technician_id"), now=ctx.now)
    except SlotUnavailable:
        reply.say("Sorry, that time was just taken.")
        state.date_from = state.date_to = start.date().isoformat()
        _offer_new_times(booking, parse, state, ctx, reply)
        return
    except (CancellationWindowClosed, ApplicationError) as error:
        state.forget_operation()
        reply.say(f"I couldn't move it: {error.message}")
        return
    state.forget_operation()
    state.forget_request()
    new_start = booking.start.astimezone(ctx.index.timezone)
    if state.booking and state.booking.get("reference") == booking.reference:
        state.booking["start"] = new_start.isoformat()
    reply.outcome, reply.booking_id = "rescheduled", booking.id
    reply.say(f"Done: {booking.reference} is now {ctx.voice.moment(new_start)} with {slot.get('technician', 'your therapist')}.")
