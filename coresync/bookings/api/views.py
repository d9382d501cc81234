"""Thin views over the booking services: parse, call, render."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.bookings import groups, selectors, services
from coresync.bookings.models import Channel
from coresync.catalog.selectors import epoch_minutes
from coresync.core.ratelimit import RateThrottle, client_ip
from coresync.memberships.selectors import membership_tier_id_for

from .availability_json import availability_body
from .serializers import (
    AvailabilityQuerySerializer,
    BookingCancelSerializer,
    BookingCreateSerializer,
    BookingRescheduleSerializer,
    booking_payload,
    group_payload,
)

SlotsResponse = inline_serializer(
    "Availability",
    {
        "service": serializers.DictField(),
        "window_ends": serializers.DateField(),
        "slots": serializers.ListField(child=serializers.DictField()),
    },
)
BookingResponse = inline_serializer("Booking", {"reference": serializers.CharField(), "status": serializers.CharField()})
GroupResponse = inline_serializer("BookingGroup", {"group": serializers.CharField(), "bookings": serializers.ListField(child=serializers.DictField())})
BookingOrGroupResponse = PolymorphicProxySerializer(
    component_name="BookingOrGroup", serializers=[BookingResponse, GroupResponse], resource_type_field_name=None
)


class AvailabilityView(APIView):
    permission_classes = [permissions.AllowAny]  # public: free times, no prices

    @extend_schema(
        summary="Free start times for a service",
        parameters=[AvailabilityQuerySerializer],
        responses=SlotsResponse,
        description="One entry per start time, naming the technician the booking would get. Days past the caller's "
        "booking window (guest 3, Base 60, Premium 90 days) are absent.",
    )
    def get(self, request):
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        key = _availability_cache_key(request, params)
        body = cache.get(key) if key else None
        if body is None:
            result = selectors.availability_for(
                service=params["service"],
                date_from=params["date_from"],
                date_to=params["date_to"],
                viewer=request.user,
                technician_id=params.get("technician"),
                addon_slugs=params["addons"],
            )
            body = availability_body(result)
            if key:
                cache.set(key, body, timeout=settings.AVAILABILITY_CACHE_SECONDS)
        return HttpResponse(body, content_type="application/json")


def _availability_cache_key(request, params: dict) -> str | None:
    """Who may see the answer (the caller's tier) and everything it depends on, down to the minute.

    The catalog, schedule, tiers, bookings and external-calendar versions change on
    every relevant write (read together, in one cache round trip), so a cached
    answer never outlives a booking, cancellation, reschedule, expired hold, a
    technician's time off or an edit in the admin; the minute bounds it even if a
    write were missed, and moves the lead-time cut-off and the window's last day along.
    """
    if settings.AVAILABILITY_CACHE_SECONDS <= 0:
        return None
    tier_id = membership_tier_id_for(request.user)
    parts = [
        *selectors.availability_versions(), tier_id or "guest", params["service"],
        params["date_from"].isoformat(), params["date_to"].isoformat(), params.get("technician") or "",
        ",".join(sorted(params["addons"])), epoch_minutes(timezone.now()),
    ]
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32]
    return f"availability:{digest}"


def _owner(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request)}"


class BookingCreateView(APIView):
    permission_classes = [permissions.AllowAny]  # guests book too
    throttle_classes = [RateThrottle]
    throttle_scope = "bookings"

    @extend_schema(
        summary="Book a service",
        request=BookingCreateSerializer,
        responses={201: BookingOrGroupResponse},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        description="409 `slot_unavailable` when the time is taken; 403 `outside_booking_window` past the caller's window. "
        "A repeated `Idempotency-Key` returns the first answer. With `party` (2–6 people, SPEC §10.7) everyone is booked "
        "at `start` on a different technician, all or nothing: 201 `{\"group\", \"bookings\": [...]}`, 409 if anyone cannot be placed.",
    )
    def post(self, request):
        body = BookingCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "party" in data:
            return self._post_group(request, data)
        guest = data.get("guest")
        kwargs = {
            "service": data["service"],
            "start": data["start"],
            "customer": request.user if request.user.is_authenticated else None,
            "guest": services.GuestDetails(**guest) if guest else None,
            "technician": data.get("technician"),
            "addons": data["addons"],
            "notes": data["notes"],
            "channel": Channel.WEB,
        }
        key = request.headers.get("Idempotency-Key")
        if key is None:
            booking = services.booking_create(**kwargs)
            return Response(booking_payload(booking), status=status.HTTP_201_CREATED)
        code, payload, replayed = services.booking_create_idempotent(
            owner=_owner(request), key=key, payload=request.data, render=booking_payload, **kwargs
        )
        return Response(payload, status=code, headers={"Idempotent-Replayed": "true"} if replayed else {})

    def _post_group(self, request, data: dict) -> Response:
        guest = data.get("guest")
        kwargs = {
            "service": data["service"],
            "start": data["start"],
            "party": [groups.PartyMember(**member) for member in data["party"]],
            "customer": request.user if request.user.is_authenticated else None,
            "guest": services.GuestDetails(**guest) if guest else None,
            "notes": data["notes"],
            "channel": Channel.WEB,
        }
        key = request.headers.get("Idempotency-Key")
        if key is None:
            result = groups.booking_create_group(**kwargs)
            return Response(group_payload(result.bookings), status=status.HTTP_201_CREATED)
        code, payload, replayed = groups.booking_create_group_idempotent(
            owner=_owner(request), key=key, payload=request.data, render=lambda result: group_payload(result.bookings), **kwargs
        )
        return Response(payload, status=code, headers={"Idempotent-Replayed": "true"} if replayed else {})


def _booking_for(request, reference: str, email: str | None = None):
    return selectors.booking_get_for(reference=reference, user=request.user, email=email or request.query_params.get("email"))


class BookingDetailView(APIView):
    permission_classes = [permissions.AllowAny]  # the owner, staff, or reference + e-mail (booking_get_for)

    @extend_schema(
        summary="One booking",
        parameters=[OpenApiParameter("email", str, description="Guests prove ownership with the booking's e-mail.")],
        responses=BookingResponse,
    )
    def get(self, request, reference: str):
        return Response(booking_payload(_booking_for(request, reference)))


class BookingCancelView(APIView):
    permission_classes = [permissions.AllowAny]  # ownership checked by booking_get_for

    @extend_schema(
        summary="Cancel a booking (free until 24 h before)", request=BookingCancelSerializer, responses=BookingOrGroupResponse,
        description="`scope: \"all\"` on a group booking cancels every booking of the group, all or nothing, and answers "
        "`{\"group\", \"bookings\"}`.",
    )
    def post(self, request, reference: str):
        body = BookingCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        booking = _booking_for(request, reference, body.validated_data.get("email"))
        if body.validated_data["scope"] == "all" and booking.group_id:
            cancelled = groups.booking_cancel_group(booking=booking, actor=request.user, reason=body.validated_data["reason"])
            return Response(group_payload(cancelled))
        booking = services.booking_cancel(booking=booking, actor=request.user, reason=body.validated_data["reason"])
        return Response(booking_payload(booking))


class BookingRescheduleView(APIView):
    permission_classes = [permissions.AllowAny]  # ownership checked by booking_get_for

    @extend_schema(
        summary="Move a booking to another start", request=BookingRescheduleSerializer, responses=BookingOrGroupResponse,
        description="`scope: \"all\"` on a group booking moves every booking of the group to `start` together, all or "
        "nothing (409 if anyone cannot be placed), and answers `{\"group\", \"bookings\"}`.",
    )
    def post(self, request, reference: str):
        body = BookingRescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        booking = _booking_for(request, reference, data.get("email"))
        if data["scope"] == "all" and booking.group_id:
            moved = groups.booking_reschedule_group(booking=booking, start=data["start"], actor=request.user)
            return Response(group_payload(moved))
        booking = services.booking_reschedule(booking=booking, start=data["start"], actor=request.user, technician=data.get("technician"))
        return Response(booking_payload(booking))

