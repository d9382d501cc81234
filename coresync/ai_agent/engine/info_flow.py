"""Answers that book nothing: greetings, the menu, a treatment, prices, membership, FAQ, handoff."""

from __future__ import annotations

import re
from datetime import time

from ..selectors import faq_match, location_facts
from .base import Reply, TurnContext, action
from .booking_flow import service_card
from .nlu import Parse

_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _actions(ctx: TurnContext, items: list[dict]) -> list[dict] | None:
    return None if ctx.spoken else items


def greet(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    name = getattr(ctx.user, "name", "") if ctx.user is not None else ""
    hello = f"Hello{', ' + name.split(' ')[0] if name else ''}! I'm the spa's concierge."
    categories = list(ctx.index.categories.values())
    reply.say(
        f"{hello} I can book treatments, check availability and answer questions. What would you like today?",
        actions=_actions(
            ctx,
            [action(f"Book {c.name.lower()}", f"book {c.name.lower()}", "book") for c in categories[:2]]
            + [action("See our services", "what services do you offer?", "browse_services"), action("Opening hours", "what are your opening hours?", "faq_hours")],
        ),
    )


def browse(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    index = ctx.index
    category_id = parse.categories[0] if parse.categories else None
    if category_id is None:
        names = [c.name for c in index.categories.values()]
        cards = [{"title": c.name, "text": c.description, **({"image": c.image} if c.image else {})} for c in index.categories.values()]
        if ctx.spoken:
            reply.say(f"We offer {', '.join(names[:-1])} and {names[-1]}. Which would you like to hear about?")
            return
        reply.say(
            "Here's our menu. Which would you like to explore?",
            cards=cards,
            actions=[action(f"Show {c.name.lower()}", f"show me {c.name.lower()}", "browse_services") for c in index.categories.values()],
        )
        return
    category = index.categories[category_id]
    services = index.services_in(category_id)
    state.category_id = category_id
    if ctx.spoken:
        listed = ", ".join(f"{s.name}, {ctx.voice.minutes(s.duration)}" for s in services[:5])
        reply.say(f"Our {category.name.lower()}: {listed}. Which one interests you?")
        return
    reply.say(
        f"Our {category.name.lower()}:",
        cards=[service_card(s) for s in services],
        actions=[action(f"Book {s.name}", f"When is {s.name} available?", "availability_question") for s in services[:6]],
    )


def service_info(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if not parse.services:
        if parse.categories:
            browse(parse, state, ctx, reply)
        else:
            fallback(parse, state, ctx, reply)
        return
    service = ctx.index.services[parse.services[0]]
    state.service_id, state.category_id = service.id, service.category_id
    text = f"{service.name} ({ctx.voice.minutes(service.duration)}): {service.short_description or 'one of our signature treatments.'}"
    reply.say(
        text,
        cards=None if ctx.spoken else [service_card(service)],
        actions=_actions(
            ctx,
            [action("Check availability", f"When is {service.name} available?", "availability_question"), action("Show pricing", f"show pricing {service.slug}", "price_question")],
        ),
    )


def _tier_info(tier_id, ctx: TurnContext):
    return ctx.index.tiers.get(tier_id) if tier_id else None


def _quote_line(service, tier, ctx: TurnContext) -> str:
    from coresync.bookings.services import booking_quote  # the one quote (API, booking, concierge)

    quote = booking_quote(service=ctx.catalog().services[service.id], tier=tier)
    money = ctx.voice.money
    price = quote.subtotal - quote.discount
    head = f"{service.name} ({ctx.voice.minutes(service.duration)})"
    if tier and quote.discount:
        return (
            f"{head}: {money(price)} for {tier.name} members ({ctx.voice.percent(tier.discount_percent)} off "
            f"{money(quote.subtotal)}), {money(quote.total)} with tax."
        )
    return f"{head}: {money(price)}, {money(quote.total)} with tax."


def pricing(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """Prices for the caller's own tier, with the discount named; another tier only when asked about."""
    index = ctx.index
    if not parse.services and not parse.categories and re.search(r"\bmember", parse.folded):
        membership(parse, state, ctx, reply, with_prices=True)
        return
    services = [index.services[parse.services[0]]] if parse.services else []
    if not services and (parse.categories or state.service_id or state.category_id):
        if parse.categories:
            services = index.services_in(parse.categories[0])[:6]
        elif state.service_id in index.services:
            services = [index.services[state.service_id]]
        else:
            services = index.services_in(state.category_id)[:6]
    if not services:
        reply.say(
            "Which treatment would you like a price for?",
            actions=_actions(ctx, [action(f"{c.name} prices", f"show pricing {c.slug}", "price_question") for c in index.categories.values()]),
        )
        return
    own = _tier_info(state.tier_id, ctx)
    lines = [_quote_line(s, own, ctx) for s in services]
    intro = f"Your {own.name} member prices:" if own else "Our prices:"
    asked = _tier_info(parse.tiers[0], ctx) if parse.tiers else None
    if asked and (own is None or asked.id != own.id):
        lines.append(f"For {asked.name} members: " + " ".join(_quote_line(s, asked, ctx) for s in services[:3]))
    elif own is None:
        discounts = ", ".join(f"{t.name} {ctx.voice.percent(t.discount_percent)}" for t in index.tiers.values())
        if discounts:
            lines.append(f"Members save: {discounts}.")
    first = services[0]
    if _held_price(parse, state, ctx, reply, services):
        return
    if len(services) == 1:
        book = [action(f"Book {first.name}", f"book {first.name.lower()}", "book"),
                action("Check availability", f"When is {first.name} available?", "availability_question")]  # fmt: skip
    else:
        book = [action(f"Book {s.name}", f"book {s.name.lower()}", "book") for s in services[:4]]
    reply.say(f"{intro} " + " ".join(lines), actions=_actions(ctx, book))


def _held_price(parse: Parse, state, ctx: TurnContext, reply: Reply, services) -> bool:
    """'Show pricing' while a time is held: the held booking's own price (add-ons, tier), and the way on kept."""
    from .booking_flow import ask_confirmation, confirm_actions, held_quote, next_question

    if not state.selected or state.selected.get("service_id") not in {s.id for s in services[:1]}:
        return False
    quote = held_quote(state, ctx)
    service = ctx.index.services[state.selected["service_id"]]
    money = ctx.voice.money
    saving = f", after {money(quote.discount)} off" if quote.discount else ""
    text = f"That booking comes to {money(quote.subtotal - quote.discount)}{saving}, {money(quote.total)} with tax."
    question = next_question(state, ctx)
    if question:
        state.awaiting = "contact"
        reply.say(f"{text} To book it, {question[0].lower()}{question[1:]}")
        return True
    if ctx.spoken:
        reply.say(text)
        ask_confirmation(state, ctx, reply)
        return True
    state.awaiting = "confirm"
    reply.say(text + " Shall I book it?", actions=confirm_actions(service))
    return True


def membership(parse: Parse, state, ctx: TurnContext, reply: Reply, *, with_prices: bool = False) -> None:
    from coresync.memberships.models import MembershipTier

    tiers = list(MembershipTier.objects.filter(active=True).order_by("position", "monthly_price"))
    own = _tier_info(state.tier_id, ctx)
    lines = []
    if own:
        lines.append(f"You're a {own.name} member: {ctx.voice.percent(own.discount_percent)} off and booking up to {own.window_days} days ahead.")
    guest_days = ctx.index.guest_window_days
    for tier in tiers:
        line = f"{tier.name}: {ctx.voice.percent(tier.discount_percent)} off every treatment and booking up to {tier.booking_window_days} days ahead"
        if with_prices:
            line += f", {ctx.voice.money(tier.monthly_price)} a month"
        benefits = tier.benefit_list
        lines.append(line + (f"; also {', '.join(benefits[:3]).lower()}." if benefits and not ctx.spoken else "."))
    if not tiers:
        lines.append("Ask our team about membership.")
    elif not own:
        lines.append(f"Guests without a membership book up to {guest_days} days ahead.")
    reply.say(
        " ".join(lines),
        actions=_actions(ctx, [] if with_prices else [action("Membership prices", "how much is a membership?", "price_question")]),
    )


def _hours_text(facts, ctx: TurnContext, day=None) -> str:
    by_day: dict[int, list[str]] = {}
    for weekday, opens, closes in facts.hours:
        by_day.setdefault(weekday, []).append(
            f"{ctx.voice.time(_clock(opens))} to {ctx.voice.time(_clock(closes))}"
        )
    if day is not None:
        blocks = by_day.get(day.weekday())
        name = ctx.voice.day(day)
        return f"{name[0].upper() + name[1:]} we're open {' and '.join(blocks)}." if blocks else f"We're closed {name}."
    groups: list[tuple[list[int], str]] = []
    for weekday in range(7):
        text = " and ".join(by_day.get(weekday, [])) or "closed"
        if groups and groups[-1][1] == text and groups[-1][0][-1] == weekday - 1:
            groups[-1][0].append(weekday)
        else:
            groups.append(([weekday], text))
    parts = [
        (f"{_DAY_NAMES[days[0]]} to {_DAY_NAMES[days[-1]]}" if len(days) > 1 else _DAY_NAMES[days[0]]) + f" {text}"
        for days, text in groups
    ]
    return "Our hours: " + "; ".join(parts) + "."


def _clock(hhmm: str):
    from datetime import datetime

    return datetime.combine(datetime.min.date(), time.fromisoformat(hhmm))


def faq(topic: str, parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    facts = location_facts(ctx.catalog())
    if facts is None:
        reply.say("I don't have that information yet; our team will be happy to help.")
        return
    if topic == "faq_hours":
        text = _hours_text(facts, ctx, parse.when.date_from)
    elif topic == "faq_location":
        text = f"We're at {facts.address.replace(chr(10), ', ')}." + (f" {facts.directions}" if facts.directions else "")
        if facts.map_url and not ctx.spoken:
            text += f" Map: {facts.map_url}"
    elif topic == "faq_parking":
        text = facts.parking or "We don't have our own parking; our team can suggest a garage nearby."
    elif topic == "faq_what_to_bring":
        text = facts.what_to_bring or "Just yourself: we provide everything you need."
    else:
        text = facts.cancellation_policy or f"You can cancel or reschedule free of charge until {facts.free_cancellation_hours} hours before your appointment."
    reply.say(text, actions=_actions(ctx, [action("Book a treatment", "I'd like to book a treatment", "book")]))


def faq_entry(parse: Parse, state, ctx: TurnContext, reply: Reply) -> bool:
    """Answer from the admin's FAQ entries when a keyword matches."""
    found = faq_match(parse.folded, ctx.faq)
    if not found:
        return False
    reply.say(found[1])
    return True


def handoff(parse: Parse, state, ctx: TurnContext, reply: Reply, *, reason: str = "asked") -> None:
    facts = location_facts(ctx.catalog())
    phone = facts.phone if facts and facts.phone else ""
    state.handoff = True
    reply.handoff_reason, reply.outcome = reason, "handoff"
    state.awaiting = ""
    if ctx.spoken:
        reply.say("Of course. I'm passing you to a member of our team now; please stay on the line.")
        return
    lead = "Of course." if reason == "asked" else "I'm sorry I couldn't help with that."
    contact = state.contact.get("email") or state.contact.get("phone") or getattr(ctx.user, "email", "")
    follow = f" Someone from our team will get back to you at {contact} shortly." if contact else " Someone from our team will pick up this chat shortly."
    reply.say(lead + " I've let our team know." + follow + (f" You can also call us at {phone}." if phone else ""))


_ACCOUNT_TOPICS = (
    (re.compile(r"\b(upgrade|switch|change)\b"), "membership_upgrade", "change your membership"),
    (re.compile(r"\b(cancel+|end|stop|terminate|quit|pause|freeze|downgrade)\b"), "membership_cancel", "cancel your membership"),
)


def account_change(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """'Cancel my membership', 'upgrade my membership', 'change my e-mail': their own requests, handed to the team with context."""
    folded = parse.folded
    topic = "change the details on your account"
    if "membership" in folded:
        for pattern, _key, label in _ACCOUNT_TOPICS:
            if pattern.search(folded):
                topic = label
                break
    elif re.search(r"\be-?mail\b", folded):
        topic = "change the e-mail address on your account"
    elif re.search(r"\b(phone|mobile|number)\b", folded):
        topic = "change the phone number on your account"
    state.handoff = True
    reply.handoff_reason, reply.outcome = "asked", "handoff"
    state.awaiting = ""
    facts = location_facts(ctx.catalog())
    phone = facts.phone if facts and facts.phone else ""
    own = _tier_info(state.tier_id, ctx)
    lead = f"I can't {topic} in the chat, but I've passed your request to our team"
    if own and "membership" in topic:
        lead = f"You're on the {own.name} membership. I can't {topic} in the chat, but I've passed your request to our team"
    contact = state.contact.get("email") or getattr(ctx.user, "email", "")
    follow = f" and they'll get back to you at {contact} shortly." if contact and not ctx.spoken else " and they'll be in touch shortly."
    if ctx.spoken:
        reply.say(f"{lead}, and I'm passing you to a member of our team now; please stay on the line.")
        return
    reply.say(lead + follow + (f" You can also call us at {phone}." if phone else "") + " Your bookings stay as they are.")


ADDON_QUESTION = re.compile(r"\b(add-?ons?|add ons?|extras?|upgrades?|enhancements?)\b")


def addons_list(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    """'What add-ons can I get with a massage?': the add-ons of that treatment (or category), and how to add one."""
    index, snapshot = ctx.index, ctx.catalog()
    if parse.services:
        services = [index.services[parse.services[0]]]
    elif parse.categories:
        services = index.services_in(parse.categories[0])
    elif state.service_id in index.services:
        services = [index.services[state.service_id]]
    else:
        services = list(index.services.values())
    ids: list[int] = []
    for service in services:
        ids += [a for a in snapshot.services[service.id].addon_ids if a not in ids and a in index.addons]
    if not ids:
        reply.say("That treatment has no add-ons, but our team can tailor it for you.")
        return
    names = [f"{index.addons[a].name} (+{ctx.voice.minutes(index.addons[a].extra_minutes)})" if index.addons[a].extra_minutes else index.addons[a].name for a in ids]
    what = services[0].name if len(services) == 1 else (index.categories[parse.categories[0]].name.lower() if parse.categories else "our treatments")
    text = f"Add-ons for {what}: {', '.join(names)}. Just say which one you'd like when you book, e.g. \"with {index.addons[ids[0]].name.lower()}\"."
    reply.say(text, actions=_actions(ctx, [action("Book a treatment", "I'd like to book a treatment", "book")]))


def goodbye(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    reply.say("Thank you, and see you soon!" if not ctx.spoken else "Thank you for calling. Goodbye!")


def fallback(parse: Parse, state, ctx: TurnContext, reply: Reply) -> None:
    if faq_entry(parse, state, ctx, reply):
        return
    state.fallbacks += 1
    if state.fallbacks >= 2:
        handoff(parse, state, ctx, reply, reason="fallbacks")
        return
    reply.say(
        "Sorry, I didn't quite get that. I can book a treatment, check free times, share prices, "
        "or tell you about our hours, location and parking.",
        actions=_actions(
            ctx,
            [action("Book a treatment", "I'd like to book a treatment", "book"), action("See our services", "what services do you offer?", "browse_services"),
             action("Talk to a person", "talk to a person", "handoff")],
        ),
    )
