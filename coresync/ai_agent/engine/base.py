"""The engine interface: one turn in, one reply out. A second engine (the LLM one) implements the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .catalog_index import CatalogIndex
from .nlu import INTENTS
from .speech import Voice
from .text import fold


@dataclass
class TurnContext:
    """Who is talking, through which channel, and when: everything a turn may depend on besides the state."""

    index: CatalogIndex
    now: datetime
    today: date
    channel: str  # web | api | phone
    user: object = None  # an authenticated User, or None for guests and unknown callers
    voice: Voice = None  # type: ignore[assignment]
    # Read once per turn (each read of the catalog version or the FAQ entries is a cache round trip).
    snapshot: object = None  # catalog.selectors.CatalogSnapshot the index was built from
    faq: list | None = None  # the active FAQ entries, when read together with the session state

    def catalog(self):
        """The turn's catalog snapshot (read now when the context was built without one)."""
        if self.snapshot is None:
            from coresync.catalog.selectors import catalog_snapshot

            self.snapshot = catalog_snapshot()
        return self.snapshot

    @property
    def spoken(self) -> bool:
        return self.channel == "phone"

    @property
    def booking_channel(self) -> str:
        return "phone" if self.channel == "phone" else "chat"


@dataclass
class Reply:
    """What the concierge answers, plus what happened (for the turn's record)."""

    messages: list[dict] = field(default_factory=list)
    booking_id: int | None = None
    outcome: str = ""  # booked | rescheduled | cancelled | handoff
    handoff_reason: str = ""
    # The actions offered in this reply: folded message -> the intent it stands for (see ``action``).
    offered: dict[str, str] = field(default_factory=dict)

    def say(self, text: str, *, cards: list[dict] | None = None, actions: list[dict] | None = None) -> None:
        message: dict = {"text": text}
        if cards:
            message["cards"] = cards
        if actions:
            message["actions"] = [{"label": a["label"], "message": a["message"]} for a in actions]
            for a in actions:
                self.offered[fold(a["message"])] = a["intent"]
        self.messages.append(message)

    @property
    def text(self) -> str:
        return " ".join(m["text"] for m in self.messages)


def action(label: str, message: str, intent: str) -> dict:
    """A button: ``message`` is sent back when it is pressed, and is understood as ``intent`` by construction.

    The reply remembers what it offered (``Reply.offered``); the session keeps it
    (``DialogueState.offered_actions``) and the engine reads an offered message as
    the intent it was offered for before any rule looks at its words.
    """
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r} for the action {label!r}")
    return {"label": label, "message": message, "intent": intent}


@dataclass
class EngineTurn:
    intent: str
    entities: dict
    reply: Reply
    engine: str = "rules"


class ConciergeEngine:
    """Answer one message. Implementations must not touch data the caller is not entitled to.

    ``respond`` mutates ``state`` (the session's dialogue state) and returns the
    reply; persisting state and the turn is the caller's job (``services.chat_turn``).
    """

    name = "base"

    def respond(self, *, text: str, state, ctx: TurnContext) -> EngineTurn:
        raise NotImplementedError
