"""Outbox handler of the Google Calendar mirror: one booking in one calendar, brought in line with the database."""

from __future__ import annotations

from coresync.outbox.registry import outbox_handler

from . import services


@outbox_handler("google.calendar.event")
def deliver_calendar_event(payload: dict, dedupe_key: str) -> None:
    services.booking_event_sync(booking_id=payload["booking_id"], calendar=payload["calendar"])
