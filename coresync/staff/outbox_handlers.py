"""Outbox handler of the manager's weekly payroll e-mail (once per ISO week)."""

from __future__ import annotations

from coresync.outbox.registry import outbox_handler

from . import payroll_mail


@outbox_handler("staff.payroll_email")
def deliver_payroll_email(payload: dict, dedupe_key: str) -> None:
    payroll_mail.payroll_email_send(week=payload["week"], dedupe_key=dedupe_key)
