"""The pricing sheet's change webhook (called by the Apps Script ``onEdit`` trigger in docs/operations.md)."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coresync.core.api import error_body
from coresync.core.ratelimit import rate_limited
from coresync.core.transactions import on_commit

from . import tasks

logger = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 10  # a burst of edits (typing a column) becomes one sync, 10 s after the first


def _given_token(request: HttpRequest) -> str:
    token = request.headers.get("X-CoreSync-Token", "")
    if not token and request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        token = str(body.get("token", "")) if isinstance(body, dict) else ""
    return token[:256]


def _schedule_sync() -> None:
    tasks.pricing_sync.apply_async(kwargs={"actor": "sheet edit"}, countdown=DEBOUNCE_SECONDS)


@csrf_exempt
@require_POST
@rate_limited("webhook:google-sheets", "WEBHOOK_RATE_LIMIT", by_user=False)
def sheets_notify(request: HttpRequest) -> JsonResponse:
    token = _given_token(request)
    if not token:
        return JsonResponse(error_body("unauthenticated", "Missing token."), status=401)
    # The current token, then the previous ones while the Apps Script is being updated (a rotation).
    expected = [t for t in (settings.GOOGLE_WEBHOOK_TOKEN, *settings.GOOGLE_WEBHOOK_TOKEN_PREVIOUS) if t]
    matches = False
    for candidate in expected:
        matches |= hmac.compare_digest(candidate.encode(), token.encode("utf-8", "replace"))
    if not matches:
        logger.warning("sheets change webhook refused: wrong token")
        return JsonResponse(error_body("invalid_token", "Wrong token."), status=403)
    if settings.PRICING_SOURCE != "sheets":
        return JsonResponse({"status": "ignored", "reason": "PRICING_SOURCE is not sheets"})
    if cache.add("sheets:pricing:soon", "1", timeout=DEBOUNCE_SECONDS):
        if tasks.pricing_sync.app.conf.task_always_eager:
            on_commit(tasks.pricing_sync, actor="sheet edit")
        else:
            on_commit(_schedule_sync)
    return JsonResponse({"status": "accepted"})
