"""The engine interface: one turn in, one reply out. A second engine (the LLM one) implements the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .catalog_index import CatalogIndex
from .speech import Voice


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

    def say(self, text: str, *, cards: list[dict] | None = None, actions: list[dict] | None = None) -> None:
        message: dict = {"text": text}
        if cards:
            message["cards"] = cards
        if actions:
            message["actions"] = actions
        self.messages.append(message)

    @property
    def text(self) -> str:
        return " ".join(m["text"] for m in self.messages)


def action(label: str, message: str) -> dict:
    return {"label": label, "message": message}


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
