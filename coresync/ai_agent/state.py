"""Dialogue state per session, kept in the cache under ``ai:session:<uuid>`` for ``AI_SESSION_TTL`` seconds.

The state is plain JSON so it fits any cache backend (local memory, Redis)
and can be shown in the chat reply's ``state``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields

from django.conf import settings
from django.core.cache import cache

MAX_REMEMBERED_ACTIONS = 40


def session_key(session_id: str) -> str:
    return f"ai:session:{session_id}"


@dataclass
class DialogueState:
    session_id: str
    channel: str = "web"
    user_id: int | None = None
    tier_id: int | None = None
    caller_phone: str = ""
    call_id: str = ""
    conversation_id: int | None = None
    turn: int = 0
    intent: str = ""
    # What the guest wants (slot filling; remembered across turns).
    service_id: int | None = None
    category_id: int | None = None
    technician_id: int | None = None
    duration: int | None = None
    date_from: str = ""
    date_to: str = ""
    exact_minute: int | None = None
    minute_from: int | None = None
    minute_to: int | None = None
    addons: list[str] = field(default_factory=list)  # add-on slugs wanted with the treatment
    party: int = 1  # how many people the booking is for (a group: one booking each, same start)
    guests: list[dict] = field(default_factory=list)  # the other people of a group: [{"name", "email"?}]
    party_services: list[int] = field(default_factory=list)  # persons 2..N's own treatment, when it differs (service ids)
    # Slots offered in the last reply: [{"start", "technician_id", "technician", "service_id"}].
    offered: list[dict] = field(default_factory=list)
    offered_for: str = "book"  # book | reschedule
    selected: dict | None = None
    # Action messages offered in recent replies (newest first): folded message -> the intent it stands for.
    offered_actions: dict = field(default_factory=dict)
    contact: dict = field(default_factory=dict)  # name, email, phone
    awaiting: str = ""  # contact | confirm | identity | reference | cancel_confirm | reschedule_when | reschedule_confirm
    booking: dict | None = None  # the booking made in this session: reference, status, start
    target_reference: str = ""  # the booking being cancelled or moved
    target_verified: bool = False
    targets: list[str] = field(default_factory=list)  # several bookings cancelled at once ("cancel both"): their references
    rebook: dict = field(default_factory=dict)  # a booking of this chat to book again with add-ons: reference, addons
    waitlist: dict = field(default_factory=dict)  # a waitlist request waiting for the guest's details
    operation_text: str = ""  # the request of a cancel or move that waited for proof ("move CS-… to Wednesday at 1")
    pending_operation: str = ""  # cancel | reschedule
    late_change: str = ""  # "cancel:CS-…": a change refused here, too close to the start (asked again: handed to the team)
    identity_attempts: int = 0
    fallbacks: int = 0
    handoff: bool = False

    @classmethod
    def new(cls, **values) -> DialogueState:
        return cls(session_id=str(uuid.uuid4()), **values)

    @classmethod
    def from_dict(cls, data: dict) -> DialogueState:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def as_dict(self) -> dict:
        return asdict(self)

    def remember_offered(self, offered: dict[str, str]) -> None:
        """Keep the actions just offered (and, after them, older ones a client may still show as buttons)."""
        if not offered and not self.offered_actions:
            return
        merged = {**offered, **{k: v for k, v in self.offered_actions.items() if k not in offered}}
        self.offered_actions = dict(list(merged.items())[:MAX_REMEMBERED_ACTIONS])

    def forget_request(self) -> None:
        """Start a new request (after a booking, or when the guest changes subject completely)."""
        self.service_id = self.category_id = self.technician_id = self.duration = None
        self.date_from = self.date_to = ""
        self.exact_minute = self.minute_from = self.minute_to = None
        self.offered, self.selected, self.awaiting = [], None, ""
        self.addons, self.party, self.guests, self.party_services = [], 1, [], []

    def forget_operation(self) -> None:
        self.target_reference, self.target_verified, self.pending_operation = "", False, ""
        self.targets, self.operation_text = [], ""
        self.identity_attempts = 0
        if self.awaiting == "reschedule_confirm":
            self.selected = None  # the new time that was about to be confirmed
        if self.awaiting in ("identity", "reference", "cancel_confirm", "reschedule_when", "reschedule_confirm"):
            self.awaiting = ""

    def public(self) -> dict:
        """The ``state`` the contract puts in every reply."""
        out: dict = {"intent": self.intent}
        if self.booking:
            out["booking"] = {k: self.booking[k] for k in ("reference", "status", "start", "url") if k in self.booking}
        if self.handoff:
            out["handoff"] = True
        if self.awaiting:
            out["awaiting"] = self.awaiting
        return out


def valid_session_id(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None


def state_load(session_id: str) -> DialogueState | None:
    data = cache.get(session_key(session_id))
    return DialogueState.from_dict(data) if data else None


def state_save(state: DialogueState) -> None:
    # A shallow copy is enough: the value is serialised at once (``as_dict`` deep-copies, for callers that keep it).
    cache.set(session_key(state.session_id), dict(vars(state)), timeout=settings.AI_SESSION_TTL)


def state_delete(session_id: str) -> None:
    cache.delete(session_key(session_id))
