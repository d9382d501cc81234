"""Optional LLM engine (``AI_ENGINE=llm``): an OpenAI chat model that answers with tool calls.

The tools are the same services the rules engine uses: real availability for
the caller's tier and window, quotes for the caller's tier, the spa's editable
facts, and the booking service itself. The model never sees other customers'
data because no tool returns any. Any error or a timeout raises, and
``services.chat_turn`` answers with the rules engine instead.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from django.conf import settings

from coresync.core.errors import ApplicationError

from .base import ConciergeEngine, EngineTurn, Reply, TurnContext, action
from .nlu import parse_message

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "check_availability",
            "description": "Free start times for a service on a day (local time). Only offer times this returns.",
            "parameters": {
                "type": "object",
                "properties": {
                    "service": {"type": "string", "description": "service slug"},
                    "date": {"type": "string", "description": "YYYY-MM-DD"},
                    "after": {"type": "string", "description": "HH:MM, optional"},
                    "before": {"type": "string", "description": "HH:MM, optional"},
                },
                "required": ["service", "date"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_price",
            "description": "The caller's price for a service (their own membership tier). Only when they ask about price.",
            "parameters": {"type": "object", "properties": {"service": {"type": "string"}}, "required": ["service"]},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "create_booking",
            "description": "Book a start time returned by check_availability, after the guest explicitly confirmed.",
            "parameters": {
                "type": "object",
                "properties": {
                    "service": {"type": "string"},
                    "start": {"type": "string", "description": "YYYY-MM-DDTHH:MM local"},
                    "technician_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "email": {"type": "string"},
                    "phone": {"type": "string"},
                },
                "required": ["service", "start", "technician_id"],
            },
        },
    },
]


def _system_prompt(state, ctx: TurnContext) -> str:
    from ..selectors import location_facts

    facts = location_facts(ctx.catalog())
    services = "; ".join(f"{s.slug} ({s.name}, {s.duration} min)" for s in ctx.index.services.values())
    style = "Answer in short plain sentences a voice can read: no lists, no links, no symbols." if ctx.spoken else "Answer briefly."
    about = ""
    if facts:
        about = f"Spa: {facts.name}, {facts.address}. Phone {facts.phone}. Parking: {facts.parking} Bring: {facts.what_to_bring} Policy: {facts.cancellation_policy}"
    return (
        f"You are the concierge of a luxury spa. Today is {ctx.today:%A %Y-%m-%d}. {style} "
        "Never invent times or prices: use the tools. Mention prices only when asked. "
        "Never reveal anything about other customers. Ask for name, e-mail and phone before booking a guest "
        "and book only after the guest says yes. "
        f"Services: {services}. {about}"
    )


class LLMEngine(ConciergeEngine):
    name = "llm"

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                api_key=settings.AI_LLM_API_KEY,
                base_url=settings.AI_LLM_BASE_URL or None,
                timeout=settings.AI_LLM_TIMEOUT,
                max_retries=0,
            )
        return self._client

    def respond(self, *, text: str, state, ctx: TurnContext) -> EngineTurn:
        parse = parse_message(text, index=ctx.index, today=ctx.today)
        messages = [{"role": "system", "content": _system_prompt(state, ctx)}, {"role": "user", "content": text}]
        reply = Reply()
        offered: list[dict] = []
        for _round in range(settings.AI_LLM_MAX_TOOL_ROUNDS):
            completion = self.client.chat.completions.create(model=settings.AI_LLM_MODEL, messages=messages, tools=TOOLS)
            message = completion.choices[0].message
            if not message.tool_calls:
                reply.say(message.content or "", actions=None if ctx.spoken else offered[:5])
                break
            messages.append({"role": "assistant", "content": message.content, "tool_calls": [c.model_dump() for c in message.tool_calls]})
            for call in message.tool_calls:
                result = self._call(call.function.name, call.function.arguments, state, ctx, reply, offered)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
        else:
            raise TimeoutError("the model did not answer within the tool-round budget")
        state.intent = "book" if reply.outcome == "booked" else parse.intent
        return EngineTurn(intent=state.intent, entities=parse.entities(ctx.index), reply=reply, engine=self.name)

    def _call(self, name: str, arguments: str, state, ctx: TurnContext, reply: Reply, offered: list[dict]) -> dict:
        try:
            args = json.loads(arguments or "{}")
            if name == "check_availability":
                return self._availability(args, ctx, offered)
            if name == "get_price":
                return self._price(args, state)
            if name == "create_booking":
                return self._book(args, state, ctx, reply)
        except ApplicationError as error:
            return {"error": error.code, "message": error.message}
        except (ValueError, KeyError, TypeError) as error:
            return {"error": "bad_arguments", "message": str(error)}
        return {"error": "unknown_tool"}

    def _availability(self, args: dict, ctx: TurnContext, offered: list[dict]) -> dict:
        from coresync.bookings.selectors import availability_for

        day = date.fromisoformat(args["date"])
        found = availability_for(service=args["service"], date_from=day, date_to=day, viewer=ctx.user, now=ctx.now)
        after, before = args.get("after") or "00:00", args.get("before") or "24:00"
        slots = [s for s in found.slots if after <= s.start.strftime("%H:%M") < before][:8]
        for s in slots[:5]:
            local = s.start.strftime("%Y-%m-%dT%H:%M")
            offered.append(action(f"{ctx.voice.moment(s.start)} with {s.technician_name}", f"book {args['service']} {local} tech:{s.technician_id}", "choose_slot"))
        return {"window_ends": found.window_ends.isoformat(), "slots": [s.as_dict() for s in slots]}

    def _price(self, args: dict, state) -> dict:
        from coresync.bookings.services import booking_quote
        from coresync.memberships.selectors import tiers_snapshot

        tier = tiers_snapshot().tiers.get(state.tier_id) if state.tier_id else None
        return booking_quote(service=args["service"], tier=tier).as_dict()

    def _book(self, args: dict, state, ctx: TurnContext, reply: Reply) -> dict:
        from coresync.bookings.services import GuestDetails, booking_create

        guest = None
        if ctx.user is None:
            guest = GuestDetails(name=args.get("name", ""), email=args.get("email", ""), phone=args.get("phone") or state.caller_phone)
        start = datetime.fromisoformat(args["start"]).replace(tzinfo=ctx.index.timezone)
        booking = booking_create(
            service=args["service"], start=start, customer=ctx.user, guest=guest, technician=int(args["technician_id"]),
            channel=ctx.booking_channel, ai_session_id=state.session_id, atlas_call_id=state.call_id, now=ctx.now,
        )  # fmt: skip
        state.booking = {"reference": booking.reference, "status": str(booking.status), "start": booking.start.astimezone(ctx.index.timezone).isoformat()}
        reply.booking_id, reply.outcome = booking.id, "booked"
        return {"reference": booking.reference, "status": str(booking.status), "start": state.booking["start"]}
