"""The feeds (token in the URL) and Google's push endpoint (channel id and token in headers): plain views, no session."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from coresync.core.api import error_body
from coresync.core.cache import count_hit
from coresync.core.ratelimit import rate_limited
from coresync.core.transactions import delay_on_commit

from . import feeds, services, tasks

logger = logging.getLogger(__name__)


@require_GET
def calendar_feed(request: HttpRequest, name: str) -> HttpResponse:
    if not feeds.feed_exists(name):
        return JsonResponse(error_body("not_found", "There is no such calendar feed."), status=404)
    given = request.GET.get("token", "")
    if not hmac.compare_digest(services.feed_token(name).encode(), given.encode()):
        return JsonResponse(error_body("invalid_token", "This feed link is not valid (its token may have been rotated)."), status=403)
    title = dict(feeds.feed_names()).get(name, name)
    response = HttpResponse(feeds.feed_ics(name, title), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, no-cache"  # a new booking shows on the next refresh
    return response


@csrf_exempt
@require_POST
@rate_limited("webhook:google-calendar", "WEBHOOK_RATE_LIMIT", by_user=False)
def calendar_notify(request: HttpRequest) -> JsonResponse:
    """Google's push: ``X-Goog-Channel-ID`` and ``X-Goog-Channel-Token`` must name a live channel of ours."""
    channel_id = request.headers.get("X-Goog-Channel-ID", "")
    token = request.headers.get("X-Goog-Channel-Token", "")
    if not channel_id or not token:
        return JsonResponse(error_body("unauthenticated", "Missing channel id or token."), status=401)
    usable = channel_id.isascii() and channel_id.isprintable()  # ours are hex; anything else cannot be one (nor be queried)
    calendar = services.channel_for_notification(channel_id=channel_id[:64], token=token[:256]) if usable else None
    if calendar is None:
        logger.warning("calendar push refused: unknown channel or wrong token (%s)", channel_id[:64])
        return JsonResponse(error_body("invalid_token", "Unknown channel or wrong token."), status=403)
    if calendar.channel_expires_at is not None and calendar.channel_expires_at <= timezone.now():
        # Google stops a channel at its expiry: a notification after it is a replay of a captured one.
        logger.warning("calendar push refused: channel %s expired", channel_id[:64])
        return JsonResponse(error_body("channel_expired", "This push channel has expired."), status=403)
    if _seen_before(channel_id[:64], request.headers.get("X-Goog-Message-Number", "")):
        return JsonResponse({"status": "duplicate", "calendar": calendar.key})
    state = request.headers.get("X-Goog-Resource-State", "")
    if state != "sync":  # "sync" only announces a new channel
        delay_on_commit(tasks.calendar_sync, calendar.key)
    return JsonResponse({"status": "accepted", "calendar": calendar.key})


def _seen_before(channel_id: str, number: str) -> bool:
    """Has this channel's ``X-Goog-Message-Number`` come in already? (Google numbers each channel's messages.)

    Counted in the shared cache for the channel's lifetime; a cache that cannot be
    reached lets the message through (a second incremental sync is harmless).
    """
    if not (number.isascii() and number.isdigit()) or len(number) > 20:
        return False
    try:
        return count_hit(f"google:calendar:push:{channel_id}:{number}", settings.GOOGLE_CHANNEL_TTL_SECONDS + 86400) > 1
    except Exception:
        logger.warning("calendar push %s/%s not checked for a replay (cache unavailable)", channel_id, number, exc_info=True)
        return False
