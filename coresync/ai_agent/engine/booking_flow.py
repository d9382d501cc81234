"""Booking by conversation: find real free slots, offer them, collect contact details, confirm, book.

Every slot offered comes from ``availability_for`` for this caller (their tier
and window); a booking is claimed only after ``booking_create`` returned it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from coresync.core.errors import ApplicationError, OutsideBookingWindow, SlotUnavailable, ValidationFailed

from .base import Reply, TurnContext, action
from .nlu import Parse, name_in, names_in, whole_name

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


def addons_for(state, ctx: TurnContext, service_id: int) -> list[str]:
    """The add-ons asked for that this treatment takes (slugs, in the order asked)."""
    if not state.addons:
        return []
    allowed = {ctx.index.addons[a].slug for a in _snapshot_service(ctx, service_id).addon_ids if a in ctx.index.addons}
    return [slug for slug in state.addons if slug in allowed]


def _addon_names(slugs, ctx: TurnContext) -> list[str]:
    by_slug = {a.slug: a.name for a in ctx.index.addons.values()}
    return [by_slug.get(slug, slug) for slug in slugs]


def party_services(state, service_id: int) -> list[int]:
    """The treatment of each other person of the party (persons 2..N): their own when said, else the same one."""
    own = list(getattr(state, "party_services", []) or [])
    return [own[i] if i < len(own) else service_id for i in range(max(0, (state.party or 1) - 1))]


def _availability(ctx: TurnContext, service_id: int, date_from: date, date_to: date, *, technician_id=None, viewer=None, addons=(), party=1,
                  others=()):  # fmt: skip
    from coresync.bookings.selectors import availability_for

    result = availability_for(
        service=_snapshot_service(ctx, service_id),
        date_from=date_from,
        date_to=date_to,
        viewer=viewer if viewer is not None else ctx.user,
        technician_id=technician_id,
        addon_slugs=addons,
        now=ctx.now,
    )
    if party > 1:
        others = list(others) or [service_id] * (party - 1)
        return _Found(result.window_ends, _group_slots(ctx, service_id, result, others=others, viewer=viewer, addons=addons))
    return result


@dataclass(frozen=True)
class _Found:
    window_ends: date
    slots: list


def _group_slots(ctx: TurnContext, service_id: int, availability, *, others: list[int], viewer, addons) -> list:
    """Only the starts at which the whole party fits together (different technicians, rooms that hold them).

    With different treatments each one is checked for the people having it (the booking service's group
    booking stays the judge: a start it refuses is answered with the nearest free ones).
    """
    from collections import Counter

    from coresync.bookings.groups import group_availability
    from coresync.bookings.selectors import availability_for

    days = sorted({s.start.date() for s in availability.slots})
    who = viewer if viewer is not None else ctx.user
    counts = Counter([service_id, *others])
    fits: set | None = None
    for other, people in counts.items():
        found: set = set()
        for day in days:
            if people > 1:
                starts = group_availability(service=_snapshot_service(ctx, other), day=day, people=people, viewer=who,
                                            addons=addons if other == service_id else (), now=ctx.now)  # fmt: skip
            else:
                starts = [s.start for s in availability_for(service=_snapshot_service(ctx, other), date_from=day, date_to=day,
                                                            viewer=who, now=ctx.now).slots]  # fmt: skip
            found |= {start.replace(second=0, microsecond=0) for start in starts}
        fits = found if fits is None else fits & found
    return [s for s in availability.slots if s.start in (fits or set())]


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


def offer_slots(state, ctx: TurnContext, reply: Reply, *, booking_intent: bool, reference: str = "", viewer=None, service_id=None,
                on_exact=None) -> None:  # fmt: skip
    """Look up real availability for what the state asks and answer with slots (or hold the exact one asked for).

    ``on_exact(slot)``, for a move, takes the asked time when it is free (the move is summed up at once).
    """
    service = ctx.index.services[service_id] if service_id else chosen_service(state, ctx)
    if service is None:
        ask_service(ctx, reply)
        return
    state.service_id, state.category_id = service.id, service.category_id
    date_from, date_to, asked = _search_range(state, ctx)
    party = 1 if reference else max(1, state.party or 1)
    look = {"technician_id": state.technician_id, "viewer": viewer, "addons": () if reference else addons_for(state, ctx, service.id), "party": party,
            "others": party_services(state, service.id) if party > 1 else ()}  # fmt: skip
    availability = _availability(ctx, service.id, date_from, date_to, **look)
    slots = availability.slots
    voice = ctx.voice
    if asked and asked > availability.window_ends:
        _explain_window(state, ctx, reply, availability.window_ends, service, viewer=viewer)
        slots = _availability(ctx, service.id, ctx.today, availability.window_ends, **look).slots
        asked = None
    asked_days = _on_days(slots, asked, date.fromisoformat(state.date_to or state.date_from), ctx) if asked else []
    if state.exact_minute is not None and asked:
        exact = [s for s in asked_days if _minute_of(s) == state.exact_minute]
        if exact and not reference:
            intro = "Good news: that time is free." if booking_intent else f"Yes, {voice.moment(exact[0].start)} is free."
            select_slot(state, ctx, reply, slot_dict(exact[0], service.id), intro=intro)
            return
        if exact and on_exact is not None:
            on_exact(slot_dict(exact[0], service.id))
            return
        if exact:
            others = [s for s in _nearest(slots, asked, state.exact_minute, 3) if s.start != exact[0].start][:2]
            _present(state, ctx, reply, service, [exact[0], *others], reference,
                     intro=f"Yes, {voice.moment(exact[0].start)} is free for {service.name}.")  # fmt: skip
            return
        alternatives = _nearest(slots, asked, state.exact_minute, 5 if not ctx.spoken else 3)
        when = voice.time(datetime.combine(asked, datetime.min.time()) + timedelta(minutes=state.exact_minute))
        closed = _outside_hours(ctx, asked, state.exact_minute, service)
        intro = closed or f"Sorry, {when} {voice.day(asked)} is taken for {service.name}."
        _present(state, ctx, reply, service, alternatives, reference, intro=intro + (" The nearest free times:" if alternatives else ""))
        return
    if state.exact_minute is not None and not asked:
        _offer_at_time(state, ctx, reply, service, slots, reference)
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
    _present(state, ctx, reply, service, _first_days(later, 3), reference, intro=intro + (" The nearest free times:" if later else ""))


def _on_days(slots: list, first: date, last: date, ctx: TurnContext) -> list:
    """The slots on the days ``first``..``last`` (local), by their epoch minutes: no datetime made per slot."""
    tz = ctx.index.timezone
    if tz is None:
        return [s for s in slots if first <= s.start.date() <= last]
    low = int(datetime.combine(first, datetime.min.time(), tz).timestamp()) // 60
    high = int(datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).timestamp()) // 60
    return [s for s in slots if low <= s.start_minute < high]


def _first_days(slots: list, count: int) -> list:
    """The soonest alternatives (one per day first), not a spread over the whole window."""
    picked, days = [], set()
    for s in slots:
        if s.start.date() not in days:
            picked.append(s)
            days.add(s.start.date())
        if len(picked) >= count:
            break
    return sorted(picked, key=lambda s: s.start)


def _offer_at_time(state, ctx: TurnContext, reply: Reply, service, slots: list, reference: str) -> None:
    """A time without a day ("at 3"): that time on the soonest days, else the closest times on the soonest day."""
    target = state.exact_minute
    at_time = [s for s in slots if _minute_of(s) == target]
    if at_time:
        picked = _first_days(at_time, 3)
        intro = f"{service.name} at {ctx.voice.time(picked[0].start)} is free on these days:"
    elif slots:
        first_day = slots[0].start.date()
        picked = _nearest(slots, first_day, target, 3)
        intro = f"That time isn't free in the next few days for {service.name}. The nearest free times:"
    else:
        picked, intro = [], f"Nothing is free for {service.name} in the next few days."
    _present(state, ctx, reply, service, picked, reference, intro=intro)


def _outside_hours(ctx: TurnContext, day: date, minute: int, service) -> str:
    """'We open at 9:00 AM on Friday' for a time before opening (or after the last start), not 'taken'."""
    from ..selectors import location_facts

    facts = location_facts(ctx.catalog())
    if facts is None:
        return ""
    blocks = [(int(o[:2]) * 60 + int(o[3:5]), int(c[:2]) * 60 + int(c[3:5])) for wd, o, c in facts.hours if wd == day.weekday()]
    base = datetime.combine(day, datetime.min.time())
    if not blocks:
        return f"We're closed {ctx.voice.day(day)}."
    opens, closes = min(b[0] for b in blocks), max(b[1] for b in blocks)
    if minute < opens:
        return f"We open at {ctx.voice.time(base + timedelta(minutes=opens))} {ctx.voice.day(day)}."
    if minute + service.duration > closes:
        return f"We close at {ctx.voice.time(base + timedelta(minutes=closes))} {ctx.voice.day(day)}, so {service.name} can't start that late."
    return ""


def _intro(service, state, ctx: TurnContext, asked: date | None) -> str:
    day = f" {ctx.voice.day(asked)}" if asked else ""
    return f"Here's what's free for {service.name} ({ctx.voice.minutes(service.duration)}){day}:"


def _explain_window(state, ctx: TurnContext, reply: Reply, window_ends: date, service, *, viewer=None) -> None:
    days = (window_ends - ctx.today).days
    member = state.tier_id is not None if viewer is None else _is_member(viewer)
    if member:
        tier = ctx.index.tiers.get(state.tier_id)
        name = f"Your {tier.name} membership" if tier else "Your membership"
        reply.say(f"{name} lets you book up to {days} days ahead (until {ctx.voice.day(window_ends)}), so that day isn't open yet.")
    else:
        who = "As a guest you" if (viewer or ctx.user) is None else "Without a membership you"
        reply.say(
            f"{who} can book up to {days} days ahead (until {ctx.voice.day(window_ends)}), so that day isn't open for booking yet. "
            "Members book further ahead.",
            actions=None if ctx.spoken else [action("Membership options", "tell me about membership", "membership_info")],
        )
    state.date_from = state.date_to = ""


def _is_member(user) -> bool:
    from coresync.bookings.selectors import viewer_tier

    return viewer_tier(user) is not None


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


def ask_slot_again(state, ctx: TurnContext, reply: Reply, *, lead: str = "Lovely — ") -> None:
    """A bare "yes" to a list of times: keep the list and ask which one."""
    voice = ctx.voice
    offered = [(datetime.fromisoformat(s["start"]), s) for s in state.offered]
    if ctx.spoken:
        options = [f"{voice.moment(start)} with {s['technician'].split()[0]}" for start, s in offered]
        listed = ", ".join(options[:-1]) + (f", or {options[-1]}" if len(options) > 1 else options[-1])
        reply.say(f"{lead}Which time would you like? I have {listed}." if lead != "Lovely — " else f"Lovely — which time would you like? I have {listed}.")
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
    reply.say(f"{lead}Which of these times would you like?" if lead != "Lovely — " else "Lovely — which of these times would you like?", actions=actions)


def select_slot(state, ctx: TurnContext, reply: Reply, slot: dict, *, intro: str = "") -> None:
    state.selected = slot
    state.offered = []
    start = datetime.fromisoformat(slot["start"])
    service = ctx.index.services[slot["service_id"]]
    lead = f"{intro} " if intro else ""
    question = next_question(state, ctx)
    if question:
        state.awaiting = "contact"
        held = f"{lead}{_what(state, ctx, service)} {ctx.voice.moment(start)}{_with(slot, state)}."
        reply.say(f"{held} To book it, {question[0].lower()}{question[1:]}")
        return
    ask_confirmation(state, ctx, reply, intro=lead.strip())


def _what(state, ctx: TurnContext, service) -> str:
    """'Swedish Massage with Hot Stones', 'Swedish Massage for 2 people'."""
    text = service.name
    names = _addon_names(addons_for(state, ctx, service.id), ctx)
    if names:
        text += " with " + " and ".join(names)
    if (state.party or 1) > 1:
        others = party_services(state, service.id)
        if any(other != service.id for other in others):
            names = [g["name"] for g in state.guests] + [""] * len(others)
            parts = [f"{ctx.index.services[o].name}{' for ' + names[i] if names[i] else ''}" for i, o in enumerate(others)]
            return f"{text} for you, and " + ", and ".join(parts)
        text += f" for {state.party} people"
    return text


def _with(slot: dict, state) -> str:
    return f" with {slot['technician']}" if (state.party or 1) <= 1 else ""


def next_question(state, ctx: TurnContext) -> str:
    """The one thing still to ask before booking: the guest's details, then each other person's name."""
    missing = contact_missing(state, ctx)
    if missing:
        return _ASK[missing[0]]
    if (state.party or 1) > 1 and len(state.guests) < state.party - 1:
        number = len(state.guests) + 2
        return "And the name of the person joining you?" if state.party == 2 else f"And the name of person {number}?"
    return ""


def ask_confirmation(state, ctx: TurnContext, reply: Reply, *, intro: str = "") -> None:
    slot = state.selected
    service = ctx.index.services[slot["service_id"]]
    start = datetime.fromisoformat(slot["start"])
    who = ""
    if ctx.user is None:
        contact = state.contact
        who = f" for {contact.get('name')} ({contact.get('email')})"
    if state.guests:
        who += (" and " if who else " for you and ") + " and ".join(g["name"] for g in state.guests)
    text = f"{intro + ' ' if intro else ''}Shall I book {_what(state, ctx, service)}{_with(slot, state)} {ctx.voice.moment(start)}{who}?"
    state.awaiting = "confirm"
    if ctx.spoken:
        reply.say(text + " Please say yes to confirm.")
        return
    reply.say(text, actions=confirm_actions(service))


def confirm_actions(service) -> list[dict]:
    return [
        action("Confirm booking", "confirm booking", "confirm"),
        action("Show pricing", f"show pricing {service.slug}", "price_question"),
        action("Other times", f"when else is {service.name} available?", "availability_question"),
    ]


def held_quote(state, ctx: TurnContext):
    """The price of the held booking (its add-ons, the caller's tier), as ``booking_quote`` gives it, or None."""
    from coresync.bookings.services import booking_quote

    if not state.selected:
        return None
    service_id = state.selected["service_id"]
    tier = ctx.index.tiers.get(state.tier_id) if state.tier_id else None
    return booking_quote(service=_snapshot_service(ctx, service_id), addons=addons_for(state, ctx, service_id), tier=tier)


def take_contact(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Store the name, e-mail and phone the guest gave (validated) and move on, asking only what is missing."""
    contact = state.contact
    problems = []
    companion_email = any(email == parse.email for _name, email in parse.companions)
    # Our details are complete and we asked for the next person: "Lily Evans lily@…" is about her, not a correction of ours.
    for_guest = not contact_missing(state, ctx) and (state.party or 1) > 1 and len(state.guests) < state.party - 1
    if parse.email and not ((companion_email or for_guest) and contact.get("email")):  # "her email is …" is hers
        try:
            validate_email(parse.email)
            contact["email"] = parse.email
        except ValidationError:
            problems.append("That e-mail address doesn't look right.")
    if parse.phone and not for_guest:
        contact["phone"] = parse.phone
    absorb_details(parse, state, ctx, contact_too=False)  # "…, my friend is Zoe Park zoe@…"
    known = len(state.guests)
    _take_names(parse, state, ctx)
    _take_people(parse, state, ctx)
    if for_guest and parse.email and len(state.guests) > known and not companion_email and parse.email != contact.get("email"):
        state.guests[known].setdefault("email", parse.email)
    if problems:
        reply.say(" ".join(problems) + " " + _ASK["email"])
        return
    if not state.selected:
        first = contact.get("name", "").split(" ")[0]
        if state.offered:
            ask_slot_again(state, ctx, reply, lead=f"Thank you{', ' + first if first else ''}. ")
            return
        reply.say(f"Thank you{', ' + first if first else ''}. What would you like to book?")
        return
    question = next_question(state, ctx)
    if question:
        state.awaiting = "contact"
        reply.say(question)
        return
    ask_confirmation(state, ctx, reply, intro="Thank you.")


# Short answers that are not a name ("Alright", "Yes please" when we asked "your name?").
_NOT_A_NAME = frozenset(
    "yes yeah yep yup sure ok okay alright fine please go ahead no nope nah thanks thank you why what".split()  # noqa: SIM905
)


def _take_names(parse: Parse, state, ctx: TurnContext) -> None:
    """The names in a reply: the guest's own first (when missing), then each other person of the party still unnamed.

    "Amy Chen amy@x.com 646…, and Lucy Chen", "Ella Whitman and Joe Whitman": every name is kept, in order.
    """
    contact = state.contact
    names = [parse.name] if parse.name else []
    if state.awaiting == "contact":
        names += [n for n in names_in(parse.text) if n.casefold() not in {x.casefold() for x in names}]
        plain = not (parse.services or parse.categories or parse.when.has_date or parse.when.has_time or parse.email or parse.phone)
        if not names and plain and (lower := whole_name(parse.text, lower_case=True)):
            names = [lower]  # "hope price": a name, whatever its words mean elsewhere
    known = {g["name"].casefold() for g in state.guests} | {contact.get("name", "").casefold()}
    if ctx.user is not None:
        known.add((getattr(ctx.user, "name", "") or "").casefold())
    for name in names:
        name = name[:150]
        if ctx.user is None and not contact.get("name"):
            contact["name"] = name
            known.add(name.casefold())
        elif name.casefold() not in known and (state.party or 1) > 1 and len(state.guests) < state.party - 1:
            state.guests.append({"name": name})
            known.add(name.casefold())


def _take_people(parse: Parse, state, ctx: TurnContext) -> None:
    """Several people's details in one message, each e-mail and phone written after its person's name: each keeps their own.

    The first person is the guest (when we have no name for them yet); the others join the party with their details.
    """
    if not parse.people or state.pending_operation:
        return
    contact = state.contact
    own = {(getattr(ctx.user, "name", "") or "").casefold()} if ctx.user is not None else {contact.get("name", "").casefold()}
    people = list(parse.people)
    if ctx.user is None and (not contact.get("name") or people[0]["name"].casefold() in own):
        _take_organiser(parse, contact, people.pop(0))
        own.add(contact["name"].casefold())
    for person in people:
        if person["name"].casefold() in own:
            continue
        guest = next((g for g in state.guests if g["name"].casefold() == person["name"].casefold()), None)
        if guest is None:
            if len(state.guests) >= 5:
                continue
            guest = {"name": person["name"][:150]}
            state.guests.append(guest)
        if person["email"]:
            guest["email"] = person["email"]
    if state.guests and (state.party or 1) < 1 + len(state.guests):
        state.party = 1 + len(state.guests)


def _take_organiser(parse: Parse, contact: dict, first: dict) -> None:
    """The guest's own details from the first person of a list (theirs win over the message's first e-mail or phone)."""
    contact["name"] = contact.get("name") or first["name"][:150]
    for key in ("email", "phone"):
        if not first[key] or (contact.get(key) and contact[key] not in (parse.email, parse.phone)):
            continue
        if key == "email":
            try:
                validate_email(first[key])
            except ValidationError:
                continue
        contact[key] = first[key]


def _known_people(parse: Parse, state, ctx: TurnContext) -> set[str]:
    """Names already in the party: the others named, and the speaker (never their own companion)."""
    known = {g["name"].casefold() for g in state.guests} | {state.contact.get("name", "").casefold(), (parse.name or "").casefold()}
    if ctx.user is not None:
        known.add((getattr(ctx.user, "name", "") or "").casefold())
    return known


def absorb_details(parse: Parse, state, ctx: TurnContext, *, contact_too: bool = True) -> None:
    """Details given unasked, in any message ("…tomorrow at 1pm. Amelia Stone, amelia@x.com, 212…"): all kept."""
    if state.pending_operation:
        return  # an e-mail given to prove a booking is not the contact for a new one
    if ctx.user is None and contact_too:
        contact = state.contact
        if parse.email and not contact.get("email"):
            try:
                validate_email(parse.email)
                contact["email"] = parse.email
            except ValidationError:
                pass
        if parse.phone and not contact.get("phone"):
            contact["phone"] = parse.phone
        name = parse.name or (name_in(parse.text, capitals=True) if (parse.email or parse.phone) else "")
        if name and not contact.get("name"):
            contact["name"] = name[:150]
    known = _known_people(parse, state, ctx)
    for name, email in parse.companions:
        if name.casefold() not in known and len(state.guests) < 5:
            state.guests.append({"name": name[:150], **({"email": email} if email else {})})
            known.add(name.casefold())
    _take_people(parse, state, ctx)
    if parse.guest_services:
        state.party_services = list(parse.guest_services)
    if parse.party and len(state.guests) > parse.party - 1:
        state.guests = state.guests[: parse.party - 1]  # "two facials for me and my mum": two people, whatever else was read
    if state.guests and (state.party or 1) < 1 + len(state.guests):
        state.party = 1 + len(state.guests)


def book_selected(state, ctx: TurnContext, reply: Reply) -> None:
    """Create the booking through the booking service; only a committed booking is announced."""
    from coresync.bookings.services import GuestDetails, booking_create

    slot = state.selected
    service = ctx.index.services[slot["service_id"]]
    guest = None
    if ctx.user is None:
        contact = state.contact
        guest = GuestDetails(name=contact.get("name", ""), email=contact.get("email", ""), phone=contact.get("phone") or state.caller_phone)
    addons = addons_for(state, ctx, service.id)
    try:
        if (state.party or 1) > 1:
            _book_group(state, ctx, reply, service, slot, guest, addons)
            return
        booking = booking_create(
            service=_snapshot_service(ctx, service.id),
            start=datetime.fromisoformat(slot["start"]),
            customer=ctx.user,
            guest=guest,
            technician=slot["technician_id"],
            addons=addons,
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


def _book_group(state, ctx: TurnContext, reply: Reply, service, slot: dict, guest, addons: list[str]) -> None:
    """Everyone at the same start, one booking each, all or nothing (the booking service's group booking)."""
    organiser = guest.name if guest is not None else (getattr(ctx.user, "name", "") or ctx.user.email)
    email = guest.email if guest is not None else ctx.user.email
    others = party_services(state, service.id)
    while len(state.guests) < (state.party or 1) - 1:  # unnamed people of the party are booked as the organiser's guests
        state.guests.append({"name": f"{organiser} (guest {len(state.guests) + 2})"[:150]})
    people = [(organiser, email, None), *((g["name"], g.get("email", ""), ctx.index.services[others[i]].slug if i < len(others) and
                                           others[i] != service.id else None) for i, g in enumerate(state.guests))]  # fmt: skip
    bookings = _create_party(state, ctx, service, datetime.fromisoformat(slot["start"]), people, guest, addons)
    first = bookings[0]
    start = first.start.astimezone(ctx.index.timezone) if ctx.index.timezone else first.start
    what = _what(state, ctx, service)
    state.booking = booking_state(first, ctx, made_here=True)
    state.forget_request()
    reply.booking_id, reply.outcome = first.id, "booked"
    refs = ", ".join(f"{b.customer_name}: {b.reference}" for b in bookings)
    text = f"You're booked: {what} {ctx.voice.moment(start)}. Your references are {refs}."
    if not ctx.spoken:
        text += f" A confirmation is on its way to {first.customer_email}."
    reply.say(text + (" Is there anything else I can help with?" if ctx.spoken else ""), actions=_after_booking_actions(ctx))


def _create_party(state, ctx: TurnContext, service, start: datetime, people: list[tuple[str, str, str | None]], guest, addons: list[str]) -> list:
    """The booking service's group booking (``booking_create_group``): one booking per person, all or nothing."""
    from coresync.bookings.groups import PartyMember, booking_create_group

    party = [PartyMember(name=name, email=email, service=own, addons=tuple(addons) if own is None else ()) for name, email, own in people]
    result = booking_create_group(
        service=service.slug, start=start, party=party, customer=ctx.user, guest=guest,
        channel=ctx.booking_channel, ai_session_id=state.session_id, atlas_call_id=state.call_id, now=ctx.now,
    )  # fmt: skip
    return list(result.bookings)


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
    names = [a.name for a in booking.booking_addons.all()] if state.addons else []
    state.booking = booking_state(booking, ctx, made_here=True)
    state.forget_request()
    reply.booking_id, reply.outcome = booking.id, "booked"
    held = booking.status == "pending_payment"
    extra = f" (with {' and '.join(names)})" if names else ""
    text = (
        f"You're booked: {service.name}{extra} with {technician} {ctx.voice.moment(start)}. "
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


def recheck_held(state, ctx: TurnContext, reply: Reply) -> None:
    """The held time with what changed (an add-on, the party): kept when it still fits, else the nearest times."""
    slot = state.selected
    start = datetime.fromisoformat(slot["start"])
    service_id = slot["service_id"]
    day = start.date()
    party = max(1, state.party or 1)
    slots = _availability(ctx, service_id, day, day, addons=addons_for(state, ctx, service_id), party=party,
                          others=party_services(state, service_id) if party > 1 else ()).slots  # fmt: skip
    same = [s for s in slots if s.start == start]
    if same:
        keep = next((s for s in same if s.technician_id == slot["technician_id"]), same[0])
        select_slot(state, ctx, reply, slot_dict(keep, service_id))
        return
    state.selected = None
    state.date_from = state.date_to = day.isoformat()
    state.exact_minute, state.minute_from, state.minute_to = start.hour * 60 + start.minute, None, None
    offer_slots(state, ctx, reply, booking_intent=True)
