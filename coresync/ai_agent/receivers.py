"""The concierge's events (``events``) turned into background work, after the turn's commit."""

from __future__ import annotations

from coresync.core.transactions import delay_on_commit

from . import events
from .tasks import notify_handoff, send_confirmation_text


def _notify_manager(sender, *, handoff_id: int, **_kwargs) -> None:
    delay_on_commit(notify_handoff, handoff_id)


def _text_the_caller(sender, *, booking_id: int, **_kwargs) -> None:
    delay_on_commit(send_confirmation_text, booking_id)


def connect() -> None:
    events.handoff_opened.connect(_notify_manager, dispatch_uid="ai-handoff-notify")
    events.phone_booking_made.connect(_text_the_caller, dispatch_uid="ai-phone-booking-text")
