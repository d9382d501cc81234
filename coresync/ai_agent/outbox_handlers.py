"""Outbox handlers of the concierge: keyed per booking / per handoff, so a redelivery sends nothing twice."""

from __future__ import annotations

from coresync.outbox.registry import outbox_handler

from . import outbound


@outbox_handler("atlas.confirmation_text")
def deliver_confirmation_text(payload: dict, dedupe_key: str) -> None:
    outbound.confirmation_text_send(payload["booking_id"])  # Atlas's Idempotency-Key is per booking


@outbox_handler("email.handoff")
def deliver_handoff_notice(payload: dict, dedupe_key: str) -> None:
    outbound.handoff_notice_send(payload["handoff_id"])
