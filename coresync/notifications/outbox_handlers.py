"""Outbox handlers of the e-mails: each hands its message to the e-mail log, which sends it once and retries the provider."""

from __future__ import annotations

from coresync.outbox.registry import outbox_handler

from . import services


@outbox_handler("email.booking")
def deliver_booking_email(payload: dict, dedupe_key: str) -> None:
    services.booking_email_send(booking_id=payload["booking_id"], kind=payload["kind"], sequence=payload.get("sequence", 0))


@outbox_handler("email.sync_notice")
def deliver_sync_notice(payload: dict, dedupe_key: str) -> None:
    services.sync_notice_send(dedupe_key=dedupe_key, title=payload["title"], lines=list(payload.get("lines", [])),
                              link=payload.get("link", ""), link_label=payload.get("link_label", ""))


@outbox_handler("email.membership_welcome")
def deliver_membership_welcome(payload: dict, dedupe_key: str) -> None:
    services.membership_welcome_send(membership_id=payload["membership_id"])
