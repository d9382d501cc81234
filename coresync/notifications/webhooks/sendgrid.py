"""SendGrid's signed Event Webhook: verify the ECDSA signature, hand the events to ``tracking``.

SendGrid signs ``timestamp + raw body`` with ECDSA P-256/SHA-256; the public key
(``SENDGRID_WEBHOOK_PUBLIC_KEY``) is the base64 DER shown in its settings. The
SDK's ``EventWebhook`` helper does the check. The signed timestamp must be within
``SENDGRID_WEBHOOK_TOLERANCE`` seconds of our clock, so a captured batch cannot be
replayed later; each event is applied once by its ``sg_event_id`` (``tracking``).
"""

from __future__ import annotations

import binascii
import logging
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coresync.core import jsonsafe
from coresync.core.api import error_body
from coresync.core.ratelimit import rate_limited

from ..tracking import sendgrid_events_apply

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def public_keys() -> list[str]:
    """The verification keys: SendGrid's current one, then the previous ones while a key is being rotated."""
    return [k for k in (settings.SENDGRID_WEBHOOK_PUBLIC_KEY, *settings.SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS) if k]


def signature_valid(*, public_key: str | list[str], payload: str, signature: str, timestamp: str) -> bool:
    from cryptography.exceptions import UnsupportedAlgorithm
    from sendgrid.helpers.eventwebhook import EventWebhook

    keys = [k for k in ([public_key] if isinstance(public_key, str) else public_key) if k]
    if not (keys and signature and timestamp):
        return False
    for key in keys:
        try:
            if EventWebhook(key).verify_signature(payload, signature, timestamp):
                return True
        except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):  # malformed key or signature
            continue
    return False


def timestamp_fresh(timestamp: str, *, tolerance: int, now: float | None = None) -> bool:
    """Is the signed timestamp (unix seconds) within ``tolerance`` of now, either way?"""
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return False
    return abs((now if now is not None else time.time()) - int(timestamp)) <= tolerance


@csrf_exempt
@require_POST
@rate_limited("webhook:sendgrid", "WEBHOOK_RATE_LIMIT", by_user=False)
def sendgrid_events(request: HttpRequest) -> JsonResponse:
    if not public_keys():
        logger.warning("sendgrid event webhook called but SENDGRID_WEBHOOK_PUBLIC_KEY is not set")
        return JsonResponse(error_body("webhook_not_configured", "The event webhook is not configured."), status=403)
    try:
        payload = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return JsonResponse(error_body("malformed_body", "The body is not UTF-8."), status=400)
    if not signature_valid(
        public_key=public_keys(),
        payload=payload,
        signature=request.headers.get(SIGNATURE_HEADER, ""),
        timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
    ):
        return JsonResponse(error_body("invalid_signature", "The signature does not match."), status=401)
    if not timestamp_fresh(request.headers.get(TIMESTAMP_HEADER, ""), tolerance=settings.SENDGRID_WEBHOOK_TOLERANCE):
        return JsonResponse(
            error_body("stale_timestamp", "The signed timestamp is too far from the current time."), status=401
        )
    try:
        events = jsonsafe.loads(payload)
    except ValueError:  # not JSON, or nested too deep
        return JsonResponse(error_body("malformed_json", "The body is not JSON."), status=400)
    if not isinstance(events, list):
        return JsonResponse(error_body("malformed_json", "Expected a list of events."), status=400)
    applied = sendgrid_events_apply(events=events)
    return JsonResponse({"received": len(events), "applied": applied})
