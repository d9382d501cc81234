"""One chat turn, whatever the channel: clean, load state, run the engine, persist, answer.

The WebSocket consumer, the HTTP twin and the Atlas webhook all call
``chat_turn``. Per turn the database sees the engine's own reads (availability
is a fixed handful of queries; the catalog comes from the in-memory snapshot)
plus two writes: the ``Conversation`` upsert and the ``AgentAction`` insert.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from coresync.catalog.selectors import catalog_snapshot
from coresync.core.errors import ValidationFailed
from coresync.core.snapshots import get_many_with_versions, versions_memo

from . import events
from .engine import get_engine
from .engine.base import Reply, TurnContext
from .engine.catalog_index import current_index
from .engine.rules import RulesEngine, local_today
from .engine.speech import Voice, speakable
from .engine.text import clean
from .models import AgentAction, AtlasLog, Conversation, Handoff, Outcome
from .selectors import FAQ_ENTRIES_KEY, location_facts, user_by_phone
from .state import DialogueState, session_key, state_load, state_save, valid_session_id

logger = logging.getLogger("coresync.ai_agent")


class MessageTooLong(ValidationFailed):
    code = "message_too_long"
    status_code = 413

    def __init__(self):
        limit = settings.AI_MAX_MESSAGE_CHARS
        super().__init__(f"Messages can be at most {limit} characters.", fields={"message": [f"At most {limit} characters."]})


class MessageNotText(ValidationFailed):
    def __init__(self):
        message = "The message is not valid text."
        super().__init__(message, fields={"message": [message]})


@dataclass
class ChatResult:
    session_id: str
    messages: list[dict]
    state: dict
    booking_id: int | None = None
    #: With ``defer_writes``: the turn's own writes (conversation, turn row, state), to run after the reply is sent.
    finish: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {"session_id": self.session_id, "messages": self.messages, "state": self.state}

    @property
    def text(self) -> str:
        return " ".join(m["text"] for m in self.messages)


def session_open(*, session_id=None, channel: str, user=None, caller_phone: str = "", call_id: str = "",
                 prefetched: dict | None = None) -> DialogueState:  # fmt: skip
    """The session's state: resumed when the id is known (and belongs to this caller), otherwise new.

    ``prefetched`` holds cache entries already read this turn (``_prefetch``), the state among them.
    """
    user_id = user.pk if _authenticated(user) else None
    wanted = valid_session_id(session_id) if session_id else None
    if wanted:
        if prefetched is not None and session_key(wanted) in prefetched:
            data = prefetched[session_key(wanted)]
            state = DialogueState.from_dict(data) if data else None
        else:
            state = state_load(wanted)
        if state is not None and state.user_id == user_id:
            return state
    if wanted and call_id:
        # A phone call keeps one session id for its whole length, even past the cache's memory.
        state = DialogueState(session_id=wanted, channel=channel)
        state.conversation_id = Conversation.objects.filter(session_id=wanted).values_list("pk", flat=True).first()
    else:
        state = DialogueState.new(channel=channel)
    state.user_id, state.caller_phone, state.call_id = user_id, caller_phone, call_id
    if user_id is not None:
        from coresync.bookings.selectors import viewer_tier

        tier = viewer_tier(user)
        state.tier_id = tier.id if tier else None
    return state


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def chat_turn(*, message: str, session_id=None, channel: str = "web", user=None, caller_phone: str = "", call_id: str = "",
              now: datetime | None = None, defer_writes: bool = False) -> ChatResult:  # fmt: skip
    """Answer one message. Raises ``MessageTooLong``; never raises for anything else a client can send.

    ``defer_writes``: the reply is computed and the dialogue state saved (a new session's conversation row
    created with it); the turn's rows (the conversation's counters, the turn, a handoff) are left to
    ``result.finish()``, which the caller runs once the reply is on its way. The WebSocket consumer does
    this: it handles one frame at a time per socket, so they are written before the next message of the
    same chat is read. Whatever the engine *did* (a booking, a move, a
    cancellation) is already committed by its own service either way.
    """
    with versions_memo():  # each read model's version read once per turn, with the state (as a request does)
        return _chat_turn(message=message, session_id=session_id, channel=channel, user=user, caller_phone=caller_phone,
                          call_id=call_id, now=now, defer_writes=defer_writes)  # fmt: skip


def _chat_turn(*, message: str, session_id, channel: str, user, caller_phone: str, call_id: str, now: datetime | None,
               defer_writes: bool) -> ChatResult:  # fmt: skip
    started = time.perf_counter()
    raw = message if isinstance(message, str) else ""
    if len(raw) > settings.AI_MAX_MESSAGE_CHARS:
        raise MessageTooLong()
    if not _encodable(raw):
        raise MessageNotText()  # a lone surrogate ("\ud800") cannot be stored, shown or sent on
    user = user if _authenticated(user) else None
    prefetched = _prefetch(session_id)
    state = session_open(session_id=session_id, channel=channel, user=user, caller_phone=caller_phone, call_id=call_id,
                         prefetched=prefetched)  # fmt: skip
    text = clean(raw)
    if not text:
        prompt = "I'm listening. What can I help you with? You can ask about treatments, free times or prices."
        return ChatResult(state.session_id, [{"text": prompt}], state.public())
    now = now or timezone.now()
    snapshot = catalog_snapshot()
    index = current_index(snapshot)
    today = local_today(now, index.timezone)
    ctx = TurnContext(
        index=index, now=now, today=today, channel=channel, user=user, voice=Voice(spoken=channel == "phone", today=today),
        snapshot=snapshot, faq=prefetched.get(FAQ_ENTRIES_KEY),
    )  # fmt: skip
    if not settings.AI_CONCIERGE_ENABLED:
        turn_reply, intent, entities, engine_name = _disabled_reply(state), "handoff", {}, "off"
    else:
        turn = _run_engine(text, state, ctx)
        turn_reply, intent, entities, engine_name = turn.reply, turn.intent, turn.entities, turn.engine
    state.remember_offered(turn_reply.offered)
    if channel == "phone":
        turn_reply.messages = [{"text": speakable(m["text"])} for m in turn_reply.messages]
    state.turn += 1
    latency = int((time.perf_counter() - started) * 1000)
    public = state.public()

    def persist() -> None:
        _persist(state, text=text, intent=intent, entities=entities, reply=turn_reply, engine=engine_name, latency=latency, user=user)

    if defer_writes:
        # The state is saved before the reply leaves: a client that reconnects the moment it has the reply
        # resumes this session. So that the saved state knows its conversation row, a new session's row is
        # created now (its first turn only); the turn's rows wait until the reply is on its way.
        if not state.conversation_id:
            state.conversation_id = _conversation_open(state, user=user).pk
        state_save(state)
        return ChatResult(state.session_id, turn_reply.messages, public, turn_reply.booking_id, finish=persist)
    persist()
    state_save(state)
    return ChatResult(state.session_id, turn_reply.messages, public, turn_reply.booking_id)


def chat_history(*, session_id, user=None) -> dict:
    """A live session's conversation so far, for a client that resumes it on another page.

    ``{"type": "history", "session_id", "messages": [{"role", "text", "cards"?, "actions"?}], "state"}``;
    empty (``session_id`` null) when the session is unknown or expired, belongs to
    someone else (a session with a user belongs to that user only), or is a phone call.
    """
    wanted = valid_session_id(session_id) if session_id else None
    state = state_load(wanted) if wanted else None
    user_id = user.pk if _authenticated(user) else None
    if state is None or state.user_id != user_id or state.channel == "phone":
        return {"type": "history", "session_id": None, "messages": [], "state": {}}
    messages: list[dict] = []
    if state.conversation_id:
        turns = AgentAction.objects.filter(conversation_id=state.conversation_id).order_by("position").values_list("message", "reply")
        for said, reply in turns:
            messages.append({"role": "user", "text": said})
            for answer in (reply or {}).get("messages", []):
                entry = {"role": "assistant", "text": answer.get("text", "")}
                entry.update({key: answer[key] for key in ("cards", "actions") if answer.get(key)})
                messages.append(entry)
    public = state.public()
    if public.get("booking"):
        # Changed elsewhere since (account page, e-mail link)? The resumed chat shows the booking as it is now.
        from coresync.bookings.models import Booking

        now = Booking.objects.filter(reference=public["booking"]["reference"]).values_list("status", flat=True).first()
        public["booking"]["status"] = str(now or public["booking"]["status"])
    return {"type": "history", "session_id": state.session_id, "messages": messages, "state": public}


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _prefetch(session_id) -> dict:
    """The session's state and the FAQ entries in one cache round trip (both are read on most turns)."""
    wanted = valid_session_id(session_id) if session_id else None
    keys = [session_key(wanted), FAQ_ENTRIES_KEY] if wanted else [FAQ_ENTRIES_KEY]
    found = get_many_with_versions(keys)  # one round trip, the read models' versions with them
    if wanted and session_key(wanted) not in found:
        found[session_key(wanted)] = None  # read, and not there
    return found


def _run_engine(text: str, state: DialogueState, ctx: TurnContext):
    engine = get_engine()
    if engine.name == "rules":
        return engine.respond(text=text, state=state, ctx=ctx)
    snapshot = state.as_dict()
    try:
        return engine.respond(text=text, state=state, ctx=ctx)
    except Exception:  # the LLM engine may fail in many ways; the rules engine always answers
        logger.warning("engine %s failed; answering with the rules engine", engine.name, exc_info=True)
        restored = DialogueState.from_dict(snapshot)
        state.__dict__.update(restored.__dict__)
        return RulesEngine().respond(text=text, state=state, ctx=ctx)


def _disabled_reply(state: DialogueState) -> Reply:
    facts = location_facts()
    phone = facts.phone if facts and facts.phone else ""
    reply = Reply()
    reply.say(
        "Our online concierge is resting right now."
        + (f" Please call us at {phone} and our team will gladly help you book." if phone else " Our team will gladly help you by phone.")
    )
    state.handoff = True
    reply.handoff_reason, reply.outcome = "disabled", "handoff"
    return reply


def _actor(user, state: DialogueState) -> str:
    if user is not None:
        return f"user:{user.pk}"
    return f"caller:{state.caller_phone}" if state.caller_phone else "guest"


_OUTCOMES = {"booked": Outcome.BOOKED, "rescheduled": Outcome.RESCHEDULED, "cancelled": Outcome.CANCELLED, "handoff": Outcome.HANDOFF}


def _conversation_open(state: DialogueState, *, user, **first_turn) -> Conversation:
    """The session's conversation row: before its first turn is recorded (a WebSocket turn, ``_persist`` counts
    the turns later) or with it (``first_turn``: turns, last_intent, outcome, handoff, booking_id)."""
    return Conversation.objects.create(
        session_id=state.session_id, channel=state.channel, customer=user, atlas_call_id=state.call_id,
        caller_phone=state.caller_phone, **{"turns": 0, "last_intent": "", "outcome": Outcome.OPEN, **first_turn},
    )  # fmt: skip


# One transaction for the turn's writes: one commit (one WAL flush on PostgreSQL) instead of one per write,
# which halves the time a turn waits on the disk. No savepoint when a caller already holds a transaction.
@transaction.atomic(savepoint=False)
def _persist(state: DialogueState, *, text: str, intent: str, entities: dict, reply: Reply, engine: str, latency: int, user) -> None:
    """Two writes: the conversation upsert and the turn insert (plus a handoff row when one is raised)."""
    outcome = _OUTCOMES.get(reply.outcome)
    changes: dict = {"turns": F("turns") + 1, "last_intent": intent, "updated_at": timezone.now()}
    if outcome:
        changes["outcome"] = outcome
    if reply.outcome == "booked" and reply.booking_id:
        changes["booking_id"] = reply.booking_id
    if state.handoff:
        changes["handoff"] = True
    updated = Conversation.objects.filter(pk=state.conversation_id).update(**changes) if state.conversation_id else 0
    if not updated:
        state.conversation_id = _conversation_open(
            state, user=user, turns=1, last_intent=intent, outcome=outcome or Outcome.OPEN, handoff=state.handoff,
            booking_id=reply.booking_id if reply.outcome == "booked" else None,
        ).pk  # fmt: skip
    AgentAction.objects.create(
        conversation_id=state.conversation_id, position=state.turn, actor=_actor(user, state), channel=state.channel,
        message=text, intent=intent, entities=entities, reply={"messages": reply.messages}, engine=engine,
        latency_ms=latency, booking_id=reply.booking_id,
    )  # fmt: skip
    if reply.outcome == "booked" and state.channel == "phone" and settings.ATLAS_API_URL and settings.ATLAS_API_KEY:
        events.phone_booking_made.send(sender=Conversation, booking_id=reply.booking_id)
    if reply.handoff_reason:
        handoff_open(state, reason=reply.handoff_reason, last_message=text, user=user)


def handoff_open(state: DialogueState, *, reason: str, last_message: str, user=None) -> Handoff | None:
    """Record that a person should pick this conversation up, and tell the manager (after commit)."""
    if Handoff.objects.filter(conversation_id=state.conversation_id, status=Handoff.Status.OPEN).exists():
        return None
    contact = ", ".join(v for v in (state.contact.get("name"), state.contact.get("email"), state.contact.get("phone") or state.caller_phone) if v)
    if user is not None and not contact:
        contact = user.email
    handoff = Handoff.objects.create(conversation_id=state.conversation_id, reason=reason, last_message=last_message[:2000], contact=contact)
    events.handoff_opened.send(sender=Handoff, handoff_id=handoff.pk)  # the manager is told after commit
    return handoff


def caller_session(*, call_id: str, caller_phone: str) -> tuple[str, object]:
    """The session id of a phone call (stable per call) and the account matching the caller's number, if any."""
    import uuid

    session_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"atlas-call:{call_id}"))
    return session_id, user_by_phone(caller_phone)


def conversation_end(*, call_id: str, now: datetime | None = None) -> int:
    """Close the conversation of a finished call; an open one without a booking ends as 'ended'."""
    now = now or timezone.now()
    rows = Conversation.objects.filter(atlas_call_id=call_id, ended_at__isnull=True)
    rows.filter(outcome=Outcome.OPEN).update(outcome=Outcome.ENDED)
    return rows.update(ended_at=now)


def conversations_purge(*, older_than_days: int | None = None, now: datetime | None = None) -> int:
    """Delete conversations (with their turns and handoffs) untouched for the retention period, and Atlas events as old."""
    days = older_than_days if older_than_days is not None else settings.AI_CONVERSATION_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = Conversation.objects.filter(updated_at__lt=cutoff).delete()
    AtlasLog.objects.filter(received_at__lt=cutoff).delete()  # the calls' raw events go with them
    return deleted
