"""Outbox handlers of the waitlist: a freed slot is offered; an offer is e-mailed (once per offer)."""

from __future__ import annotations

from datetime import datetime

from coresync.outbox.registry import outbox_handler

from . import services
from .emails import offer_email_send


@outbox_handler("waitlist.slot_freed")
def offer_freed_slot(payload: dict, dedupe_key: str) -> None:
    slot = services.FreedSlot(
        location_id=payload["location_id"], technician_id=payload["technician_id"],
        start=datetime.fromisoformat(payload["start"]), end=datetime.fromisoformat(payload["end"]),
    )
    services.waitlist_offer(slot)


@outbox_handler("waitlist.offer_email")
def deliver_offer_email(payload: dict, dedupe_key: str) -> None:
    offer_email_send(offer_id=payload["offer_id"], dedupe_key=dedupe_key)
