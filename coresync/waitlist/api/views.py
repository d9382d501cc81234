"""``POST /api/v1/waitlist/`` (join, open to guests), ``DELETE /api/v1/waitlist/<id>/`` (leave; owner or token)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.bookings.api.serializers import GuestSerializer  # one guest shape in the schema
from coresync.bookings.services import GuestDetails
from coresync.core.ratelimit import RateThrottle, WriteRateThrottle
from coresync.waitlist import services


class JoinSerializer(serializers.Serializer):
    service = serializers.CharField(max_length=80)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    time_from = serializers.TimeField(required=False, allow_null=True, default=None)
    time_to = serializers.TimeField(required=False, allow_null=True, default=None)
    guest = GuestSerializer(required=False)


class WaitlistJoinView(APIView):
    permission_classes = [permissions.AllowAny]  # guests may wait too (a name and an e-mail)
    throttle_classes = [RateThrottle]
    throttle_scope = "waitlist"

    @extend_schema(summary="Join the waitlist for a service and a time range", request=JoinSerializer, responses={201: dict})
    def post(self, request):
        query = JoinSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        customer = request.user if request.user.is_authenticated else None
        guest = GuestDetails(**data["guest"]) if data.get("guest") else None
        entry = services.waitlist_join(
            service=data["service"], date_from=data["date_from"], date_to=data["date_to"],
            time_from=data["time_from"], time_to=data["time_to"], customer=customer, guest=guest,
        )
        body = {"id": entry.pk, "status": entry.status, "token": services.entry_token(entry)}
        return Response(body, status=201)


class WaitlistEntryView(APIView):
    permission_classes = [permissions.AllowAny]  # the entry's owner, a manager, or the token given at joining
    throttle_classes = [WriteRateThrottle]  # leaving the list (DELETE); reading an entry is not counted
    throttle_scope = "waitlist"

    @extend_schema(summary="Leave the waitlist", parameters=[OpenApiParameter("token", str, required=False)], responses={200: dict})
    def delete(self, request, pk):
        entry = services.waitlist_leave(entry_id=pk, user=request.user, token=request.query_params.get("token", ""))
        return Response({"id": entry.pk, "status": entry.status})
