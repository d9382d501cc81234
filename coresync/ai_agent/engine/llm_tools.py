"""The LLM engine's tools (``llm.TOOLS``): each one calls the same service the rules engine calls, behind a guardrail.

A tool takes the model's arguments and the turn (``llm._Turn``) and returns plain
JSON for the model. Writes are two-step: the first call stores a proposal in the
dialogue state (``state.selected["llm"]``, in the rules engine's shape so either
engine can finish it) and answers ``needs_confirmation``; only the same call in a
later turn does the write.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from coresync.core.errors import ValidationFailed

from ..selectors import booking_by_reference, faq_match, location_facts
from .base import action
from .text import fold

MAX_SLOTS = 8
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def parse_local(value: str, ctx) -> datetime:
    start = datetime.fromisoformat(str(value)[:16])
    return start.replace(tzinfo=ctx.index.timezone, second=0, microsecond=0)


def parse_day(value: str) -> date:
    return date.fromisoformat(str(value)[:10])


def slot_button(slot: dict, slug: str, ctx) -> dict:
    start = datetime.fromisoformat(slot["start"])
    label = f"{ctx.voice.moment(start)} with {slot['technician']}" if slot.get("technician") else ctx.voice.moment(start)
    return action(label, f"book {slug} {start:%Y-%m-%dT%H:%M} tech:{slot['technician_id']}", "choose_slot")


def _service(slug, ctx):
    service = ctx.catalog().services_by_slug.get(str(slug))
    if service is None:
        raise ValidationFailed(f"No service called {slug!r}.", code="unknown_service")
    return service


def _tier(turn):
    from coresync.memberships.selectors import tiers_snapshot

    return tiers_snapshot().tiers.get(turn.state.tier_id) if turn.state.tier_id else None


def _addons(args) -> list[str]:
    return [str(slug) for slug in (args.get("addons") or [])]


def _offered(turn, service_id: int, start: datetime, technician_id=None, people: int = 1) -> dict | None:
    """The slot ``check_availability`` returned for this service and start (this turn or before), or None."""
    for slot in [*turn.offered_now, *turn.offered_before]:
        same = slot.get("service_id") == service_id and datetime.fromisoformat(slot["start"]) == start
        if same and slot.get("people", 1) >= people and (technician_id in (None, slot["technician_id"]) or people > 1):
            return slot
    return None


def _not_offered() -> dict:
    return {"error": "not_offered", "message": "Only a time check_availability returned can be booked: check availability first."}


def _confirmed(turn, op: str, key: dict, summary: str, *, awaiting: str, carry: dict | None = None) -> bool:
    """True when the guest already saw this very proposal (an earlier turn); otherwise propose it now."""
    state = turn.state
    canonical = json.dumps(key, sort_keys=True, default=str)
    proposal = (state.selected or {}).get("llm")
    if proposal and proposal["op"] == op and proposal["key"] == canonical and proposal["turn"] < state.turn:
        state.selected, state.awaiting = None, ""
        return True
    state.selected = {**(carry or {}), "llm": {"op": op, "key": canonical, "args": key, "summary": summary, "turn": state.turn}}
    state.awaiting = awaiting
    if not turn.ctx.spoken:
        turn.buttons = [action("Yes, please", "yes, please go ahead", "confirm"), action("No, thanks", "no, thanks", "deny")]
    return False


def _contact(args, turn) -> tuple[dict, list[str]]:
    """The guest's contact (what the model passed, remembered in the state) and what is still missing."""
    state, ctx = turn.state, turn.ctx
    for key in ("name", "email", "phone"):
        if args.get(key):
            state.contact[key] = str(args[key])[:254]
    if ctx.user is not None:
        return state.contact, []
    missing = [k for k in ("name", "email") if not state.contact.get(k)]
    if not state.contact.get("phone") and not state.caller_phone:
        missing.append("phone")
    return state.contact, missing


def _guest(turn):
    from coresync.bookings.services import GuestDetails

    if turn.ctx.user is not None:
        return None
    c = turn.state.contact
    return GuestDetails(name=c.get("name", ""), email=c.get("email", ""), phone=c.get("phone") or turn.state.caller_phone)


def _booked(turn, booking, words: str, outcome: str = "booked") -> dict:
    from .booking_flow import booking_state

    turn.state.booking = booking_state(booking, turn.ctx, previous=turn.state.booking, made_here=outcome == "booked")
    if outcome != "booked":
        turn.state.booking["status"] = str(booking.status)
    turn.reply.booking_id, turn.reply.outcome = booking.id, outcome
    turn.done.append(words)
    turn.buttons = []
    return {"status": str(booking.status), "reference": booking.reference, "start": turn.state.booking["start"]}


# --- reads ---------------------------------------------------------------------------------------------


def tool_check_availability(args: dict, turn) -> dict:
    from coresync.bookings.groups import group_availability
    from coresync.bookings.selectors import availability_for

    ctx = turn.ctx
    info, day, people = _service(args["service"], ctx), parse_day(args["date"]), int(args.get("people") or 1)
    after, before = args.get("after") or "00:00", args.get("before") or "24:00"
    if people > 1:
        starts = group_availability(service=info, day=day, people=people, viewer=ctx.user, addons=_addons(args), now=ctx.now)
        slots = [{"start": s.isoformat(), "technician_id": None, "technician": "", "service_id": info.id, "people": people}
                 for s in starts if after <= s.strftime("%H:%M") < before][:MAX_SLOTS]  # fmt: skip
        from coresync.bookings.selectors import booking_window_for

        window = booking_window_for(viewer=ctx.user, location=ctx.catalog().locations[info.location_id], now=ctx.now)
        window_ends = window.ends
    else:
        found = availability_for(service=info, date_from=day, date_to=day, viewer=ctx.user, addon_slugs=_addons(args), now=ctx.now)
        slots = [{"start": s.start_iso, "technician_id": s.technician_id, "technician": s.technician_name, "service_id": info.id}
                 for s in found.slots if after <= s.start.strftime("%H:%M") < before][:MAX_SLOTS]  # fmt: skip
        window_ends = found.window_ends
    turn.offered_now.extend(slots)
    for slot in slots[:5]:
        if people == 1:
            turn.buttons.append(slot_button(slot, info.slug, ctx))
    return {"window_ends": window_ends.isoformat(), "people": people,
            "slots": [{"start": s["start"], "technician": {"id": s["technician_id"], "name": s["technician"]}} for s in slots]}


def tool_get_price(args: dict, turn) -> dict:
    from coresync.bookings.services import booking_quote

    quote = booking_quote(service=_service(args["service"], turn.ctx), addons=_addons(args), tier=_tier(turn))
    answer = quote.as_dict()
    turn.quoted |= {Decimal(str(v)) for v in (quote.subtotal, quote.discount, quote.tax, quote.total, quote.subtotal - quote.discount)}
    turn.quoted |= {Decimal(str(line.get("amount"))) for line in answer.get("lines", []) if line.get("amount") is not None}
    return answer


def tool_faq(args: dict, turn) -> dict:
    entry = faq_match(fold(str(args.get("question", ""))), turn.ctx.faq)
    if entry:
        return {"question": entry[0], "answer": entry[1]}
    facts = location_facts(turn.ctx.catalog())
    if facts is None:
        return {"answer": ""}
    return {"name": facts.name, "address": facts.address, "phone": facts.phone, "parking": facts.parking,
            "what_to_bring": facts.what_to_bring, "cancellation_policy": facts.cancellation_policy,
            "hours": [f"{_DAYS[d]} {o}-{c}" for d, o, c in facts.hours]}  # fmt: skip


def tool_handoff(args: dict, turn) -> dict:
    turn.state.handoff, turn.state.awaiting = True, ""
    turn.reply.handoff_reason, turn.reply.outcome = "asked", "handoff"
    return {"status": "a person from the spa has been told and will take over"}


# --- writes --------------------------------------------------------------------------------------------


def tool_create_booking(args: dict, turn) -> dict:
    from coresync.bookings.services import booking_create

    ctx, state = turn.ctx, turn.state
    info, start = _service(args["service"], ctx), parse_local(args["start"], ctx)
    slot = _offered(turn, info.id, start, args.get("technician_id"))
    if slot is None:
        return _not_offered()
    contact, missing = _contact(args, turn)
    if missing:
        return {"error": "contact_needed", "missing": missing}
    addons = _addons(args)
    who = f" for {contact.get('name')} ({contact.get('email')})" if ctx.user is None else ""
    extra = f" with {', '.join(addons)}" if addons else ""
    summary = f"{info.name}{extra} {ctx.voice.moment(start)} with {slot['technician']}{who}"
    key = {"service": info.slug, "start": start.isoformat(), "technician_id": slot["technician_id"], "addons": sorted(addons)}
    if not _confirmed(turn, "create_booking", key, summary, awaiting="confirm", carry=slot):
        return {"status": "needs_confirmation", "summary": summary}
    booking = booking_create(
        service=info, start=start, customer=ctx.user, guest=_guest(turn), technician=slot["technician_id"], addons=addons,
        channel=ctx.booking_channel, ai_session_id=state.session_id, atlas_call_id=state.call_id, now=ctx.now,
    )  # fmt: skip
    return _booked(turn, booking, f"You're booked: {summary}. Your reference is {booking.reference}.")


def tool_create_group_booking(args: dict, turn) -> dict:
    from coresync.bookings.groups import PartyMember, booking_create_group, check_party_size

    ctx, state = turn.ctx, turn.state
    info, start = _service(args["service"], ctx), parse_local(args["start"], ctx)
    party = [PartyMember(name=str(p.get("name", "")), email=str(p.get("email") or ""), service=p.get("service") or None,
                         addons=[str(a) for a in p.get("addons") or []]) for p in args["party"]]  # fmt: skip
    check_party_size(len(party))
    if _offered(turn, info.id, start, people=len(party)) is None:
        return _not_offered()
    _contact_now, missing = _contact(args, turn)
    if missing:
        return {"error": "contact_needed", "missing": missing}
    names = ", ".join(p.name for p in party)
    summary = f"{info.name} for {len(party)} ({names}) {ctx.voice.moment(start)}"
    key = {"service": info.slug, "start": start.isoformat(), "party": [vars(p) | {"addons": list(p.addons)} for p in party]}
    if not _confirmed(turn, "create_group_booking", key, summary, awaiting="group_confirm"):
        return {"status": "needs_confirmation", "summary": summary}
    result = booking_create_group(
        service=info.slug, start=start, party=party, customer=ctx.user, guest=_guest(turn), channel=ctx.booking_channel,
        ai_session_id=state.session_id, atlas_call_id=state.call_id, now=ctx.now,
    )  # fmt: skip
    references = ", ".join(b.reference for b in result.bookings)
    answer = _booked(turn, result.bookings[0], f"You're booked: {summary}. Your references are {references}.")
    return {**answer, "group": str(result.group.public_id), "references": [b.reference for b in result.bookings]}


def _proven(booking, args: dict, turn) -> bool:
    """The same proof as the rules engine: made here, the signed-in owner (not by phone), the e-mail, or on the phone the name."""
    state, ctx = turn.state, turn.ctx
    if state.booking and state.booking.get("reference") == booking.reference:
        return True
    if state.target_verified and state.target_reference == booking.reference:
        return True
    email = str(args.get("email") or "").strip().lower()
    if email and email == booking.customer_email.lower():
        return True
    if ctx.spoken:
        said = " ".join(str(args.get("name") or "").casefold().split())
        return bool(said) and said == " ".join(booking.customer_name.casefold().split())
    return ctx.user is not None and (booking.customer_id == ctx.user.pk or getattr(ctx.user, "is_staff", False))


def _own_booking(args: dict, turn):
    booking = booking_by_reference(str(args.get("reference", "")))
    if booking is None or not _proven(booking, args, turn):
        return None  # the same answer for a missing booking: a reference alone reveals nothing
    turn.state.target_reference, turn.state.target_verified = booking.reference, True
    return booking


_NOT_VERIFIED = {"error": "not_verified", "message": "Ask for the booking reference and the e-mail it was made with."}


def tool_cancel_booking(args: dict, turn) -> dict:
    from coresync.bookings.groups import booking_cancel_group
    from coresync.bookings.services import booking_cancel

    ctx = turn.ctx
    booking = _own_booking(args, turn)
    if booking is None:
        return _NOT_VERIFIED
    everyone = args.get("scope") == "all" and booking.group_id is not None
    when = ctx.voice.moment(booking.start.astimezone(ctx.index.timezone))
    summary = f"Cancel {booking.service.name} {when} ({booking.reference}){' for everyone in the group' if everyone else ''}"
    turn.state.pending_operation = "cancel"
    if not _confirmed(turn, "cancel_booking", {"reference": booking.reference, "all": everyone}, summary, awaiting="cancel_confirm"):
        return {"status": "needs_confirmation", "summary": summary, "free_until_hours_before": booking.location.free_cancellation_hours}
    actor, reason = (None if ctx.spoken else ctx.user), f"Cancelled by the guest via the concierge ({ctx.channel})."
    if everyone:
        cancelled = booking_cancel_group(booking=booking, actor=actor, reason=reason, now=ctx.now)
    else:
        cancelled = [booking_cancel(booking=booking, actor=actor, reason=reason, now=ctx.now)]
    turn.state.forget_operation()
    return _booked(turn, cancelled[0], f"Done: {', '.join(b.reference for b in cancelled)} cancelled.", outcome="cancelled")


def tool_reschedule_booking(args: dict, turn) -> dict:
    from coresync.bookings.groups import booking_reschedule_group
    from coresync.bookings.services import booking_reschedule

    ctx = turn.ctx
    booking = _own_booking(args, turn)
    if booking is None:
        return _NOT_VERIFIED
    start = parse_local(args["start"], ctx)
    everyone = args.get("scope") == "all" and booking.group_id is not None
    slot = _offered(turn, booking.service_id, start)  # a group's start was offered for the whole party
    if slot is None:
        return _not_offered()
    old = ctx.voice.moment(booking.start.astimezone(ctx.index.timezone))
    summary = f"Move {booking.service.name} ({booking.reference}) from {old} to {ctx.voice.moment(start)}"
    summary += " for everyone in the group" if everyone else ""
    turn.state.pending_operation = "reschedule"
    key = {"reference": booking.reference, "start": start.isoformat(), "all": everyone}
    if not _confirmed(turn, "reschedule_booking", key, summary, awaiting="reschedule_confirm", carry=slot):
        return {"status": "needs_confirmation", "summary": summary}
    actor = None if ctx.spoken else ctx.user
    if everyone:
        moved = booking_reschedule_group(booking=booking, start=start, actor=actor, now=ctx.now)
    else:
        moved = [booking_reschedule(booking=booking, start=start, actor=actor, technician=slot["technician_id"], now=ctx.now)]
    turn.state.forget_operation()
    words = f"Done: {booking.service.name} ({booking.reference}) is now {ctx.voice.moment(start)}."
    return _booked(turn, moved[0], words, outcome="rescheduled")
