"""Optional LLM engine (``AI_ENGINE=llm``): an OpenAI-compatible chat model that answers with tool calls.

Each turn sends the system prompt with the dialogue state (what was offered, what
is waiting for the guest's yes, the booking made in this session), the
conversation so far (the session's turns, whichever engine answered them) and the
new message. The tools are the services the rules engine uses, with its
guardrails enforced here, not left to the model:

- only a start that ``check_availability`` returned (this turn or an earlier one) can be booked or moved to;
- nothing is booked, moved or cancelled in the turn that proposes it: a write tool first answers
  ``needs_confirmation`` with a summary, and does it only when called again, the same way, in a
  later turn (after the guest replied);
- availability and bookings are the caller's own (tier, window); a booking is changed only when
  the caller has proven it is theirs, and nothing is said about one that is not;
- a price in the reply must come from a quote (``get_price``); a reply naming another amount is replaced.

Any failure before a write raises, and ``services.chat_turn`` answers with the rules
engine. A failure after a write does not: the guest is told what was done.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django.conf import settings

from coresync.core.errors import ApplicationError
from coresync.integrations.openai.client import openai_client

from . import llm_tools
from .base import ConciergeEngine, EngineTurn, Reply, TurnContext
from .nlu import parse_message

MAX_HISTORY_TURNS = 10
_MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{2})?)")


def _tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


_S, _I = {"type": "string"}, {"type": "integer"}
_SLUGS = {"type": "array", "items": {"type": "string"}, "description": "add-on slugs"}
_PROOF = {"email": {"type": "string", "description": "the e-mail the booking was made with"},
          "name": {"type": "string", "description": "phone only: the name on the booking"}}  # fmt: skip
_CONTACT = {"name": _S, "email": _S, "phone": _S}
TOOLS = [
    _tool("check_availability", "Free start times for a service on a day (local time), for `people` together. "
          "Only offer times this returns.", {
              "service": {"type": "string", "description": "service slug"}, "date": {"type": "string", "description": "YYYY-MM-DD"},
              "after": {"type": "string", "description": "HH:MM"}, "before": {"type": "string", "description": "HH:MM"},
              "people": {"type": "integer", "description": "2-6 for a group; default 1"}, "addons": _SLUGS,
          }, ["service", "date"]),
    _tool("get_price", "The caller's price for a service and add-ons (their own membership tier). Only when asked.",
          {"service": _S, "addons": _SLUGS}, ["service"]),
    _tool("create_booking", "Book one person at a start check_availability returned. The first call returns a summary to "
          "read to the guest; call again with the same arguments after they said yes.", {
              "service": _S, "start": {"type": "string", "description": "YYYY-MM-DDTHH:MM local"}, "technician_id": _I,
              "addons": _SLUGS, **_CONTACT,
          }, ["service", "start"]),
    _tool("create_group_booking", "Book 2-6 people together at a start check_availability returned for that many people. "
          "Confirm first as for create_booking.", {
              "service": _S, "start": _S, **_CONTACT,
              "party": {"type": "array", "items": {"type": "object", "properties": {"name": _S, "email": _S, "service": _S, "addons": _SLUGS},
                                                   "required": ["name"]}, "description": "everyone, the guest first"},
          }, ["service", "start", "party"]),
    _tool("reschedule_booking", "Move a booking to a start check_availability returned. Confirm first.",
          {"reference": _S, "start": _S, "scope": {"type": "string", "enum": ["one", "all"]}, **_PROOF}, ["reference", "start"]),
    _tool("cancel_booking", "Cancel a booking. Confirm first.",
          {"reference": _S, "scope": {"type": "string", "enum": ["one", "all"]}, **_PROOF}, ["reference"]),
    _tool("faq", "The spa's own answer about hours, address, parking, what to bring, cancellation policy or another question.",
          {"question": _S}, ["question"]),
    _tool("handoff", "Ask a person from the spa to take over the conversation.", {"reason": _S}, ["reason"]),
]
TOOL_NAMES = [t["function"]["name"] for t in TOOLS]


def _system_prompt(state, ctx: TurnContext) -> str:
    from ..selectors import location_facts

    facts = location_facts(ctx.catalog())
    services = "; ".join(f"{s.slug} ({s.name}, {s.duration} min)" for s in ctx.index.services.values())
    addons = "; ".join(f"{a.slug} ({a.name})" for a in ctx.catalog().addons.values())
    style = "Answer in short plain sentences a voice can read: no lists, no links, no symbols." if ctx.spoken else "Answer briefly."
    about = ""
    if facts:
        about = f"Spa: {facts.name}, {facts.address}. Phone {facts.phone}."
    return (
        f"You are the concierge of a luxury spa. Today is {ctx.today:%A %Y-%m-%d}. {style} "
        "Never invent times or prices: use the tools. Mention prices only when asked. "
        "Never reveal anything about other customers. Ask for name, e-mail and phone before booking a guest. "
        "Write tools answer needs_confirmation first: read the summary to the guest and call again only after they say yes. "
        f"Services: {services}. Add-ons: {addons}. {about}\n"
        f"Dialogue state: {json.dumps(_state_view(state, ctx), sort_keys=True)}"
    )


def _state_view(state, ctx: TurnContext) -> dict:
    """What the model must know of the session besides the words: never another customer's data."""
    view: dict = {"channel": ctx.channel, "signed_in": ctx.user is not None}
    tier = ctx.index.tiers.get(state.tier_id) if state.tier_id else None
    if tier is not None:
        view["membership"] = tier.name
    if state.contact:
        view["contact"] = {k: v for k, v in state.contact.items() if v}
    if state.offered:
        view["offered"] = [{"start": s["start"][:16], "technician_id": s["technician_id"], "technician": s.get("technician", ""),
                            "service": ctx.index.services[s["service_id"]].slug if s.get("service_id") in ctx.index.services else "",
                            "people": s.get("people", 1)} for s in state.offered]  # fmt: skip
    proposal = (state.selected or {}).get("llm")
    if proposal:
        view["waiting_for_yes"] = {"tool": proposal["op"], "arguments": proposal["args"], "summary": proposal["summary"]}
    if state.booking:
        view["booking_made_here"] = {k: state.booking[k] for k in ("reference", "status", "start") if k in state.booking}
    return view


def _history(state) -> list[dict]:
    """The session's earlier turns as chat messages (one query; the persisted conversation is the source)."""
    if not state.conversation_id:
        return []
    from ..models import AgentAction

    rows = list(
        AgentAction.objects.filter(conversation_id=state.conversation_id).order_by("-position").values_list("message", "reply")[:MAX_HISTORY_TURNS]
    )
    messages: list[dict] = []
    for said, reply in reversed(rows):
        messages.append({"role": "user", "content": said})
        answers = (reply or {}).get("messages", [])
        text = " ".join(m.get("text", "") for m in answers).strip()
        buttons = [a["label"] for m in answers for a in m.get("actions", [])]
        if buttons:
            text += "\n(Buttons: " + " | ".join(buttons) + ")"
        messages.append({"role": "assistant", "content": text})
    return messages


class _Turn:
    """One turn's tool calls: what was offered and quoted, and what was written (so a later failure cannot hide it)."""

    def __init__(self, state, ctx: TurnContext):
        self.state, self.ctx, self.reply = state, ctx, Reply()
        self.offered_before = list(state.offered)
        self.offered_now: list[dict] = []
        self.buttons: list[dict] = []
        self.quoted: set[Decimal] = set()
        self.done: list[str] = []  # what a write did, in words: said if the model cannot say it


class LLMEngine(ConciergeEngine):
    name = "llm"

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = openai_client()
        return self._client

    def respond(self, *, text: str, state, ctx: TurnContext) -> EngineTurn:
        parse = parse_message(text, index=ctx.index, today=ctx.today)
        turn = _Turn(state, ctx)
        messages = [{"role": "system", "content": _system_prompt(state, ctx)}, *_history(state), {"role": "user", "content": text}]
        try:
            answer = self._converse(messages, turn)
        except Exception:
            if not turn.done:
                raise  # nothing happened yet: the rules engine answers instead
            answer = " ".join(turn.done)  # the booking (or change) stands: never hide it behind an error
        if turn.offered_now:
            state.offered = turn.offered_now  # the next turn may book what was offered in this one
        if turn.reply.outcome in ("booked", "rescheduled", "cancelled"):
            state.offered = []
        turn.reply.say(self._checked(answer, turn, messages), actions=None if ctx.spoken else turn.buttons[:6])
        outcome_intents = {"booked": "book", "rescheduled": "reschedule", "cancelled": "cancel", "handoff": "handoff"}
        state.intent = outcome_intents.get(turn.reply.outcome, parse.intent)
        return EngineTurn(intent=state.intent, entities=parse.entities(ctx.index), reply=turn.reply, engine=self.name)

    def _converse(self, messages: list[dict], turn: _Turn) -> str:
        for _round in range(settings.AI_LLM_MAX_TOOL_ROUNDS):
            completion = self.client.chat.completions.create(model=settings.AI_LLM_MODEL, messages=messages, tools=TOOLS)
            message = completion.choices[0].message
            if not message.tool_calls:
                return message.content or ""
            messages.append({"role": "assistant", "content": message.content, "tool_calls": [c.model_dump() for c in message.tool_calls]})
            for call in message.tool_calls:
                result = self._call(call.function.name, call.function.arguments, turn)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result, default=str)})
        raise TimeoutError("the model did not answer within the tool-round budget")

    def _checked(self, answer: str, turn: _Turn, messages: list[dict]) -> str:
        """The reply, unless it names an amount no quote gave (said before in the conversation counts as quoted)."""
        said_before = " ".join(m["content"] or "" for m in messages if m["role"] == "assistant" and isinstance(m.get("content"), str))
        allowed = turn.quoted | {Decimal(a.replace(",", "")) for a in _MONEY.findall(said_before)}
        named = {Decimal(a.replace(",", "")) for a in _MONEY.findall(answer)}
        if named - allowed:
            return " ".join(turn.done) or "I'd like to give you the exact price: which treatment would you like it for?"
        return answer

    def _call(self, name: str, arguments: str, turn: _Turn) -> dict:
        handler = getattr(llm_tools, f"tool_{name}", None) if name in TOOL_NAMES else None
        if handler is None:
            return {"error": "unknown_tool"}
        try:
            args = json.loads(arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be an object")
            return handler(args, turn)
        except ApplicationError as error:
            return {"error": error.code, "message": error.message}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return {"error": "bad_arguments", "message": str(error)}
