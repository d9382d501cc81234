"""Outbox handlers of the payment follow-ups; each is safe to run twice (the provider call carries the row's key)."""

from __future__ import annotations

import logging

from coresync.audit.context import Channel, audit_context
from coresync.outbox.registry import outbox_handler

from . import cards, emails, services, subscriptions
from .models import ProviderEventRecord

logger = logging.getLogger(__name__)

INTENT_EVENTS = {"payment_intent.created", "payment_intent.succeeded", "payment_intent.payment_failed",
                 "payment_intent.processing", "payment_intent.canceled", "payment_intent.requires_action", "charge.refunded"}
SETUP_EVENTS = {"setup_intent.succeeded"}
SUBSCRIPTION_EVENTS = {"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
                       "invoice.paid", "invoice.payment_failed"}


@outbox_handler("payments.event")
def handle_provider_event(payload: dict, dedupe_key: str) -> None:
    """Re-fetch the object the event names and apply it; unknown event types are ignored on purpose."""
    record = ProviderEventRecord.objects.get(pk=payload["record_id"])
    with audit_context(channel=Channel.webhook(record.provider), actor_label=record.provider):  # the change history names the event's source
        _provider_event_apply(record)


def _provider_event_apply(record: ProviderEventRecord) -> None:
    if not record.object_id:
        logger.info("payment event %s names no object: ignored", record.event_id)
    elif record.type in INTENT_EVENTS:
        services.payment_event_for_intent(provider=record.provider, intent_id=record.object_id)
    elif record.type in SETUP_EVENTS:
        cards.card_setup_complete(provider=record.provider, setup_id=record.object_id)
    elif record.type in SUBSCRIPTION_EVENTS:
        subscriptions.subscription_event_apply(provider=record.provider, subscription_id=record.object_id, event_type=record.type,
                                               event_key=f"{record.provider}:{record.event_id}")
    else:
        logger.info("payment event type %s is not handled: ignored", record.type)


@outbox_handler("payments.refund")
def send_refund(payload: dict, dedupe_key: str) -> None:
    services.refund_send(refund_id=payload["refund_id"])


@outbox_handler("payments.fee")
def charge_fee(payload: dict, dedupe_key: str) -> None:
    services.fee_charge(booking_id=payload["booking_id"], purpose=payload["purpose"], key=dedupe_key)


@outbox_handler("payments.email")
def send_payment_email(payload: dict, dedupe_key: str) -> None:
    emails.payment_email_send(kind=payload["kind"], dedupe_key=dedupe_key, booking_id=payload.get("booking_id"),
                              subscription_id=payload.get("subscription_id"))
