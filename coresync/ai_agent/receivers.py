"""The concierge's events (``events``) written to the outbox, in the turn's own transaction."""

from __future__ import annotations

from coresync.outbox.services import outbox_enqueue

from . import events


def _notify_manager(sender, *, handoff_id: int, **_kwargs) -> None:
    outbox_enqueue(kind="email.handoff", dedupe_key=f"handoff:{handoff_id}", payload={"handoff_id": handoff_id})


def _text_the_caller(sender, *, booking_id: int, **_kwargs) -> None:
    outbox_enqueue(kind="atlas.confirmation_text", dedupe_key=f"atlas-text:{booking_id}", payload={"booking_id": booking_id})


def connect() -> None:
    events.handoff_opened.connect(_notify_manager, dispatch_uid="ai-handoff-notify")
    events.phone_booking_made.connect(_text_the_caller, dispatch_uid="ai-phone-booking-text")
