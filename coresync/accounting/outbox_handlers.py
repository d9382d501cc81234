"""Outbox handlers of accounting; each is safe to run twice (the ledger row and its requestid are made once)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.dateparse import parse_datetime

from coresync.outbox.registry import outbox_handler

from . import emails, services


@outbox_handler("accounting.receipt")
def send_receipt(payload: dict, dedupe_key: str) -> None:
    """Put the receipt in the ledger (once) and send it; a retryable failure comes back with the same requestid."""
    if payload["receipt"] == "sales":
        receipt = services.sales_receipt_prepare(payment_id=payload["payment_id"])
    else:
        receipt = services.refund_receipt_prepare(payment_id=payload["payment_id"], refunded_total=Decimal(payload["refunded_total"]),
                                                  at=parse_datetime(payload.get("at", "")) if payload.get("at") else None)
    if receipt is not None:
        services.receipt_send(receipt_id=receipt.pk)


@outbox_handler("accounting.email")
def send_accounting_email(payload: dict, dedupe_key: str) -> None:
    emails.accounting_email_send(dedupe_key=dedupe_key, **payload)
