"""The waitlist and paying from the chat: "put me on the waitlist for Saturday afternoon", "pay with my card on file".

Both go through their apps' own services (``waitlist.services.waitlist_join``,
``payments.services.payment_start``), the same ones the API uses: the concierge
adds no rule of its own, it only reads the request and tells what happened.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from coresync.core.errors import ApplicationError, OutsideBookingWindow

from .base import Reply, TurnContext, action
from .booking_flow import chosen_service, contact_missing
from .nlu import Parse, name_in, whole_name

WAITLIST_DAYS = 7  # the days waited for when none is named


def _minutes(value: int) -> time:
    value = max(0, min(value, 23 * 60 + 59))
    return time(value // 60, value % 60)


def _wanted_range(parse: Parse, state, ctx: TurnContext) -> tuple[date, date, time | None, time | None]:
    when = parse.when
    if when.has_date:
        date_from, date_to = when.date_from, when.date_to or when.date_from
    elif state.date_from:
        date_from, date_to = date.fromisoformat(state.date_from), date.fromisoformat(state.date_to or state.date_from)
    else:
        date_from, date_to = ctx.today, ctx.today + timedelta(days=WAITLIST_DAYS - 1)
    exact, low, high = (when.exact_minute, when.minute_from, when.minute_to) if when.has_time else (state.exact_minute, state.minute_from, state.minute_to)
    if exact is not None:
        return date_from, date_to, _minutes(exact), _minutes(exact + 60)
    if low is not None or high is not None:
        return date_from, date_to, _minutes(low if low is not None else 9 * 60), _minutes(high if high is not None else 21 * 60)
    return date_from, date_to, None, None


def waitlist(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Join the waitlist for the treatment asked (or being booked), the day(s) and the part of the day said."""
    if parse.services:
        state.service_id = parse.services[0]
    if parse.categories and not parse.services:
        state.category_id, state.service_id = parse.categories[0], None
    service = chosen_service(state, ctx)
    if service is None:
        when = parse.when
        if when.has_date:
            state.date_from, state.date_to = when.date_from.isoformat(), (when.date_to or when.date_from).isoformat()
        if when.has_time:
            state.exact_minute, state.minute_from, state.minute_to = when.exact_minute, when.minute_from, when.minute_to
        reply.say("Which treatment should I put you on the waitlist for?")
        state.waitlist = {"asked": True}
        return
    state.service_id, state.category_id = service.id, service.category_id
    date_from, date_to, time_from, time_to = _wanted_range(parse, state, ctx)
    ends = _window_ends(service, ctx)
    if date_from > ends:
        reply.say(f"I can't put you on the waitlist that far ahead: you can book and wait for times up to {ctx.voice.day(ends)}.")
        return
    date_to = min(date_to, ends)
    state.waitlist = {
        "service_id": service.id, "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
        "time_from": time_from.isoformat() if time_from else "", "time_to": time_to.isoformat() if time_to else "",
    }  # fmt: skip
    missing = [m for m in contact_missing(state, ctx) if m != "phone"]
    if missing:
        state.awaiting = "contact"
        reply.say("I'll put you on the waitlist. " + ("May I have your full name?" if "name" in missing else "What e-mail address should we write to when a time frees up?"))
        return
    join_waitlist(state, ctx, reply)


def _window_ends(service, ctx: TurnContext) -> date:
    from coresync.bookings.selectors import booking_window_for

    location = ctx.catalog().locations[ctx.catalog().services[service.id].location_id]
    return booking_window_for(viewer=ctx.user, location=location, now=ctx.now).ends


def waitlist_contact(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """The guest's name and e-mail for the waitlist (asked because a guest has no account); then they join."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    contact = state.contact
    if parse.email:
        try:
            validate_email(parse.email)
            contact["email"] = parse.email
        except ValidationError:
            reply.say("That e-mail address doesn't look right. What e-mail address should we write to?")
            return
    if parse.phone:
        contact["phone"] = parse.phone
    if not contact.get("name"):
        name = parse.name or whole_name(parse.text) or name_in(parse.text)
        if name:
            contact["name"] = name[:150]
    if contact.get("name") and contact.get("email"):
        join_waitlist(state, ctx, reply)
        return
    state.awaiting = "contact"
    reply.say("What e-mail address should we write to when a time frees up?" if contact.get("name") else "May I have your full name?")


def join_waitlist(state, ctx: TurnContext, reply: Reply) -> None:
    """``waitlist_join`` with what the state holds; the guest is told what they wait for (or why not)."""
    from coresync.bookings.services import GuestDetails
    from coresync.waitlist.services import waitlist_join

    wanted = state.waitlist or {}
    service = ctx.index.services.get(wanted.get("service_id"))
    state.waitlist, state.awaiting = {}, ""
    if service is None:
        reply.say("Which treatment should I put you on the waitlist for?")
        return
    date_from, date_to = date.fromisoformat(wanted["date_from"]), date.fromisoformat(wanted["date_to"])
    time_from = time.fromisoformat(wanted["time_from"]) if wanted.get("time_from") else None
    time_to = time.fromisoformat(wanted["time_to"]) if wanted.get("time_to") else None
    guest = None
    if ctx.user is None:
        contact = state.contact
        guest = GuestDetails(name=contact.get("name", ""), email=contact.get("email", ""), phone=contact.get("phone") or state.caller_phone)
    try:
        waitlist_join(service=service.slug, date_from=date_from, date_to=date_to, time_from=time_from, time_to=time_to,
                      customer=ctx.user, guest=guest, now=ctx.now)  # fmt: skip
    except OutsideBookingWindow as error:
        reply.say(f"I can't put you on the waitlist that far ahead: {error.message}")
        return
    except ApplicationError as error:
        reply.say(f"I couldn't add you to the waitlist: {error.message}")
        return
    voice = ctx.voice
    days = voice.day(date_from) if date_from == date_to else f"{voice.day(date_from)} to {voice.day(date_to)}"
    clock = [voice.time(datetime.combine(date_from, t)) for t in (time_from, time_to) if t]
    hours = f", between {clock[0]} and {clock[1]}" if len(clock) == 2 else ""
    email = state.contact.get("email") or getattr(ctx.user, "email", "")
    reply.say(
        f"You're on the waitlist for {service.name} {days}{hours}. If a time frees up we'll e-mail you"
        f"{' at ' + email if email else ''} and hold it for you for a little while."
    )


_SAVED_CARD = re.compile(r"\b(?:card on file|saved card|my card|stored card|card you have|same card|usual card|one[- ]tap)\b")


def pay(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Pay a booking of the signed-in guest (by default the one made in this chat) — with the card on file when asked."""
    from coresync.integrations.payments import AuthenticationRequired, CardDeclined
    from coresync.payments.services import payment_start

    from ..selectors import booking_by_reference, upcoming_bookings_for

    if ctx.user is None or ctx.spoken:
        reply.say("To pay, please use the payment link in your confirmation e-mail, or sign in and ask me again.")
        return
    reference = parse.reference or (state.booking or {}).get("reference", "")
    booking = booking_by_reference(reference) if reference else None
    if booking is None and not reference:
        upcoming = upcoming_bookings_for(user=ctx.user, now=ctx.now)
        booking = upcoming[0] if len(upcoming) == 1 else None
        if len(upcoming) > 1:
            reply.say("Which booking would you like to pay?", actions=[
                action(f"Pay {b.service.name}, {ctx.voice.moment(b.start.astimezone(ctx.index.timezone))}", f"pay {b.reference} with my card on file", "pay")
                for b in upcoming[:5]
            ])  # fmt: skip
            return
    if booking is None or booking.customer_id != ctx.user.pk:
        reply.say("I can't find a booking of yours to pay. Which booking reference is it?")
        return
    try:
        result = payment_start(booking=booking, actor=ctx.user, use_saved_card=bool(_SAVED_CARD.search(parse.folded)))
    except AuthenticationRequired:
        reply.say(f"Your bank wants you to confirm this payment yourself, so I've e-mailed a payment link for {booking.reference} to {ctx.user.email}.")
        return
    except CardDeclined:
        reply.say("I'm sorry, your card was declined. You can pay with another card from the link in your confirmation e-mail.")
        return
    except ApplicationError as error:
        reply.say(f"I couldn't take the payment: {error.message}")
        return
    if result.status == "paid":
        reply.say(f"Done: {booking.reference} is paid with your card on file ({ctx.voice.money(result.amount)}). A receipt is on its way to {ctx.user.email}.")
    elif result.checkout_url:
        reply.say(f"You can pay {booking.reference} here: {result.checkout_url}")
    else:
        reply.say(f"The payment for {booking.reference} is {result.status}. We'll e-mail you as soon as it goes through.")


def adds_to_booking_just_made(parse: Parse, state) -> bool:
    """'Can you also add hot stones?' once the booking of this chat is confirmed (nothing else held or asked)."""
    booking = state.booking or {}
    if not booking or booking.get("status") == "cancelled" or state.selected or state.offered or state.pending_operation:
        return False
    return bool(parse.addons) and not (parse.services or parse.categories or parse.when.has_date or parse.when.has_time or parse.reference)


def offer_rebook(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """A confirmed booking cannot take an add-on in place: offer to rebook it, same time, with the add-on (asked first)."""
    from ..selectors import booking_by_reference

    booking = booking_by_reference(state.booking["reference"])
    if booking is None or not booking.is_active:
        reply.say("Which treatment would you like to add that to?")
        return
    allowed = {ctx.index.addons[a].slug for a in ctx.catalog().services[booking.service_id].addon_ids if a in ctx.index.addons}
    have = list(booking.booking_addons.values_list("addon__slug", flat=True))
    wanted = [ctx.index.addons[a].slug for a in parse.addons if ctx.index.addons[a].slug in allowed and ctx.index.addons[a].slug not in have]
    if not wanted:
        reply.say(f"That add-on can't be added to {booking.service.name}. Is there anything else I can help with?")
        return
    names = " and ".join(ctx.index.addons[a].name for a in parse.addons if ctx.index.addons[a].slug in wanted)
    start = booking.start.astimezone(ctx.index.timezone)
    state.rebook = {"reference": booking.reference, "addons": have + wanted}
    state.awaiting = "rebook_confirm"
    text = (f"{booking.reference} is already booked for {ctx.voice.moment(start)}. To add {names}, I'll rebook it at the same time "
            f"with {names} (you'll get a new reference). Shall I?")  # fmt: skip
    if ctx.spoken:
        reply.say(text + " Please say yes or no.")
        return
    reply.say(text, actions=[action("Yes, rebook it", "yes, rebook it", "confirm"), action("Keep my booking", "keep my booking", "deny")])


def rebook(state, ctx: TurnContext, reply: Reply) -> None:
    """The yes: cancel and book again with the add-ons, in one transaction (the original stays if the new one fails)."""
    from django.db import transaction

    from coresync.bookings.services import GuestDetails, booking_cancel, booking_create
    from coresync.core.errors import SlotUnavailable

    from ..selectors import booking_by_reference
    from .booking_flow import announce_booking, booking_state

    wanted, state.awaiting = state.rebook or {}, ""
    state.rebook = {}
    old = booking_by_reference(wanted.get("reference", ""))
    if old is None or not old.is_active:
        reply.say("I can't find that booking any more. Is there anything else I can help with?")
        return
    guest = None if old.customer_id else GuestDetails(name=old.customer_name, email=old.customer_email, phone=old.customer_phone)
    actor = None if ctx.spoken else ctx.user
    try:
        with transaction.atomic():
            booking_cancel(booking=old, actor=actor, reason="Rebooked with add-ons via the concierge.", now=ctx.now)
            new = booking_create(
                service=ctx.catalog().services[old.service_id], start=old.start, customer=old.customer, guest=guest,
                technician=old.technician_id, addons=wanted.get("addons", []), channel=ctx.booking_channel,
                ai_session_id=state.session_id, atlas_call_id=state.call_id, now=ctx.now,
            )  # fmt: skip
    except SlotUnavailable:
        state.booking = booking_state(old, ctx, previous=state.booking)
        reply.say(f"I'm sorry, the add-on doesn't fit at that time with your therapist, so {old.reference} stays as it is.")
        return
    except ApplicationError as error:
        reply.say(f"I couldn't change it: {error.message} {old.reference} stays as it is.")
        return
    announce_booking(state, ctx, reply, new, ctx.index.services[new.service_id], technician=new.technician.display_name if new.technician else "")
