"""Manager API: the feed URLs, and rotating their tokens."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.accounts.permissions import IsManager
from coresync.core.errors import ValidationFailed
from coresync.core.ratelimit import RateThrottle

from . import feeds, services


class FeedSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="master, technicians, private or technician-<id>.")
    title = serializers.CharField()
    url = serializers.CharField(help_text="Subscribe to this URL from any calendar app.")
    webcal_url = serializers.CharField()


def feed_list() -> list[dict]:
    rows = []
    for name, title in feeds.feed_names():
        url = f"{settings.SITE_URL}/calendars/{name}.ics?token={services.feed_token(name)}"
        rows.append({"name": name, "title": title, "url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1]})
    return rows


class CalendarFeedsView(APIView):
    """The subscribable iCalendar feeds (the three calendars and one per technician), with their secret URLs."""

    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"

    @extend_schema(responses=FeedSerializer(many=True), tags=["manager"])
    def get(self, request):
        return Response(feed_list())


class CalendarFeedRotateView(APIView):
    """A new token for one feed (``{"name": "master"}``) or for all (``{"name": "all"}``): old links stop working."""

    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"

    @extend_schema(
        request=inline_serializer("FeedRotate", {"name": serializers.CharField()}),
        responses=FeedSerializer(many=True), tags=["manager"],
    )
    def post(self, request):
        name = request.data.get("name") if isinstance(request.data, dict) else None
        if not isinstance(name, str) or not (name == "all" or feeds.feed_exists(name)):
            raise ValidationFailed("Name a feed to rotate, or 'all'.", code="unknown_feed", fields={"name": ["Unknown feed."]})
        for feed, _ in feeds.feed_names() if name == "all" else [(name, "")]:
            services.feed_token_rotate(name=feed, actor=request.user)
        return Response(feed_list())
