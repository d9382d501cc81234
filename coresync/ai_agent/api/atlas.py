"""The Atlas webhook: verify, log, hand off. Contract: SPEC §6.

``X-Atlas-Signature: v1=<hex>`` where hex = HMAC-SHA256(ATLAS_WEBHOOK_SECRET,
"<X-Atlas-Timestamp>.<raw body>"); more than ``ATLAS_WEBHOOK_TOLERANCE``
seconds off, or a bad/missing signature, is a 401, logged and counted but not
stored (anyone can send those). Every signed event is kept in ``AtlasLog`` (purged
with the conversations); a repeated ``event_id`` is acknowledged and not processed
twice, ids longer than the column compared by a hash of the whole id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coresync.core import jsonsafe
from coresync.core.api import error_body
from coresync.core.ratelimit import rate_limited
from coresync.core.transactions import delay_on_commit

from ..models import AtlasLog
from ..services import MessageTooLong, caller_session, chat_turn
from ..unavailable import concierge_enabled, front_desk_phone, phone_text

logger = logging.getLogger("coresync.ai_agent.atlas")
EVENT_TYPES = ("call.started", "message", "call.ended")
MAX_LOGGED_BODY = 4000
EVENT_ID_MAX = 100  # AtlasLog.event_id's length; longer ids are stored as a hash of the whole id
REJECTED_COUNT_DAYS = 8


def webhook_secrets() -> list[str]:
    """The secrets a signature may be made with: the current one, then those of a rotation in progress."""
    return [s for s in (settings.ATLAS_WEBHOOK_SECRET, *settings.ATLAS_WEBHOOK_SECRET_PREVIOUS) if s]


def signature_valid(*, secret: str | list[str], timestamp: str, body: bytes, header: str, now: float | None = None) -> bool:
    """Constant-time check of ``v1=<hex>`` against each secret (several comma-separated signatures allowed).

    ``secret`` may be a list (``webhook_secrets()``): during a rotation the
    provider signs with the new secret while we still accept the previous one.
    """
    secrets = [s for s in ([secret] if isinstance(secret, str) else secret) if s]
    if not secrets or not timestamp or not header or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > settings.ATLAS_WEBHOOK_TOLERANCE:
        return False
    given = [value.strip().lower() for scheme, _, value in (part.strip().partition("=") for part in header.split(",")) if scheme == "v1"]
    valid = False
    for key in secrets:
        expected = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        for value in given:
            valid |= hmac.compare_digest(value.encode("ascii", "replace"), expected.encode())
    return valid


def _reject(status: int, code: str, message: str, *, log_status: str, body: bytes, error: str = "") -> JsonResponse:
    """A signed but unusable body is kept (the provider sent it); an unsigned or stale one is only counted.

    Anyone can post unsigned requests, so they never become rows: a log line and a
    per-day counter (``rejected_requests``) say how many there were.
    """
    if log_status == AtlasLog.Status.REJECTED:
        logger.warning("Atlas webhook request rejected (%s, %d bytes)", error or code, len(body))
        _count_rejected()
    else:
        AtlasLog.objects.create(status=log_status, raw_body=body[:MAX_LOGGED_BODY].decode("utf-8", "replace"), error=error or code)
    return JsonResponse(error_body(code, message), status=status)


def _rejected_key(day) -> str:
    return f"ai:atlas:rejected:{day.isoformat()}"


def _count_rejected() -> None:
    key = _rejected_key(timezone.now().date())
    try:
        cache.add(key, 0, timeout=REJECTED_COUNT_DAYS * 86400)
        cache.incr(key)
    except Exception:  # a counter is not worth failing the answer for (cache down, key evicted)
        logger.debug("could not count a rejected Atlas request", exc_info=True)


def rejected_requests(day=None) -> int:
    """How many unsigned or stale requests the webhook refused on ``day`` (today by default)."""
    try:
        return int(cache.get(_rejected_key(day or timezone.now().date())) or 0)
    except Exception:
        return 0


def event_key(event_id: str) -> str:
    """The stored (unique) form of an event id: itself when it fits the column, else a hash of all of it."""
    if len(event_id) <= EVENT_ID_MAX:
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode("utf-8")).hexdigest()


def _event(body: bytes) -> dict | None:
    try:
        event = jsonsafe.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict):
        return None
    required = ("event_id", "type", "call_id")
    if any(not isinstance(event.get(key), str) or not event.get(key) for key in required):
        return None
    if event.get("text") is not None and not isinstance(event["text"], str):
        return None
    if not isinstance(event.get("from", ""), str | type(None)):
        return None
    # What is stored in a column must fit it and be storable text (PostgreSQL refuses NUL and lone surrogates).
    limits = {"event_id": None, "type": 40, "call_id": 100, "from": 32}
    for key, limit in limits.items():
        value = event.get(key) or ""
        if (limit and len(value) > limit) or not _storable_text(value):
            return None
    return _sanitized(event)


def _storable_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sanitized(value):
    """The event without NUL characters or lone surrogates in any string (the caller's words keep the rest)."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_sanitized(k): _sanitized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitized(v) for v in value]
    return value


@csrf_exempt
@require_POST
@rate_limited("webhook:atlas", "WEBHOOK_RATE_LIMIT", by_user=False)
def atlas_webhook(request):
    body = request.body
    if not signature_valid(
        secret=webhook_secrets(),
        timestamp=request.headers.get("X-Atlas-Timestamp", ""),
        body=body,
        header=request.headers.get("X-Atlas-Signature", ""),
    ):
        return _reject(401, "invalid_signature", "Bad or missing signature, or a stale timestamp.", log_status=AtlasLog.Status.REJECTED, body=body)
    event = _event(body)
    if event is None:
        return _reject(400, "malformed_event", "The body must be a JSON event with event_id, type and call_id.",
                       log_status=AtlasLog.Status.MALFORMED, body=body)  # fmt: skip
    kind = event["type"]
    try:
        with transaction.atomic():
            log = AtlasLog.objects.create(
                event_id=event_key(event["event_id"]), event_type=kind[:40], call_id=event["call_id"][:100],
                caller=(event.get("from") or "")[:32], payload=event,
                status=AtlasLog.Status.PROCESSED if kind in EVENT_TYPES else AtlasLog.Status.IGNORED,
            )  # fmt: skip
    except IntegrityError:
        return _duplicate(event)
    return _dispatch(log, event)


def _duplicate(event: dict) -> JsonResponse:
    first = AtlasLog.objects.filter(event_id=event_key(event["event_id"])).first()
    body = {"status": "duplicate", "call_id": event["call_id"]}
    if first is not None and first.reply:
        body["reply"] = first.reply
    return JsonResponse(body)


def _dispatch(log: AtlasLog, event: dict) -> JsonResponse:
    kind, call_id = event["type"], event["call_id"]
    if kind == "call.ended":
        AtlasLog.objects.filter(pk=log.pk).update(status=AtlasLog.Status.QUEUED)
        from ..tasks import atlas_call_ended

        delay_on_commit(atlas_call_ended, log.pk)
        return JsonResponse({"status": "accepted", "call_id": call_id})
    if kind not in ("message", "call.started"):
        return JsonResponse({"status": "ignored", "call_id": call_id})
    if not concierge_enabled():
        # Switched off (CONCIERGE_ENABLED=0): the event is verified and stored like any other, the caller hears
        # the front desk's number and that we will call back (the stored event has their number for that).
        reply = phone_text(front_desk_phone())
        logger.warning("Atlas %s while the concierge is off: call %s is owed a call back", kind, call_id)
        AtlasLog.objects.filter(pk=log.pk).update(reply=reply)
        return JsonResponse({"reply": reply, "call_id": call_id, "handoff": True})
    session_id, user = caller_session(call_id=call_id, caller_phone=event.get("from") or "")
    text = event.get("text") or ("hello" if kind == "call.started" else "")
    try:
        result = chat_turn(message=text, session_id=session_id, channel="phone", user=user,
                           caller_phone=event.get("from") or "", call_id=call_id)  # fmt: skip
        reply = result.text
    except MessageTooLong:
        reply = "Sorry, that was a little long for me. Could you say it more briefly?"
    AtlasLog.objects.filter(pk=log.pk).update(reply=reply)
    return JsonResponse({"reply": reply, "call_id": call_id})
