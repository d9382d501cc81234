"""Provider events in: verify, store each event id once, hand off to the outbox. No provider call in the request.

The Stripe webhook view verifies the signature on the raw body
(``stripe.Webhook.construct_event`` inside the provider), then ``event_take``
stores the event id and writes the outbox row that will handle it, in one
transaction: a repeated event id is acknowledged and changes nothing. The handler
(``outbox_handlers``) re-fetches the object from the provider and applies it
through the monotonic state machine in ``services``. The local gateway announces
its changes through the same ``event_take``.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coresync.core.api import error_body
from coresync.core.errors import ApplicationError
from coresync.core.ratelimit import rate_limited
from coresync.integrations.payments import ProviderEvent, payment_provider
from coresync.outbox.services import outbox_enqueue

from .models import ProviderEventRecord

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024


def event_take(*, provider: str, event: ProviderEvent) -> bool:
    """Store ``event`` once and queue its handling; returns False for an event id already taken in."""
    try:
        with transaction.atomic():
            record = ProviderEventRecord.objects.create(
                provider=provider, event_id=event.id[:255], type=event.type[:80], object_id=event.object_id[:255], data=event.data,
            )
            outbox_enqueue(kind="payments.event", dedupe_key=f"payments.event:{provider}:{event.id}", payload={"record_id": record.pk})
    except IntegrityError:
        logger.info("payment event %s %s again: acknowledged, not handled twice", provider, event.id)
        return False
    return True


@csrf_exempt
@require_POST
@rate_limited("webhook:stripe", "WEBHOOK_RATE_LIMIT", by_user=False)
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse(error_body("request_too_large", "The event is too large."), status=400)
    signature = request.headers.get("Stripe-Signature", "")
    if not signature:
        return JsonResponse(error_body("invalid_signature", "The Stripe-Signature header is missing."), status=400)
    try:
        event = payment_provider("stripe").event_parse(request.body, signature)
    except ApplicationError as error:
        return JsonResponse(error.as_dict(), status=400)
    created = event_take(provider="stripe", event=event)
    return JsonResponse({"received": True, "duplicate": not created})
