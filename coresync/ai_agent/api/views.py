"""HTTP twin of the WebSocket chat, and the managers' conversation list and replay."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import Throttled
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.core.schema import ErrorSerializer

from ..models import Conversation
from ..ratelimit import ChatIPThrottle, chat_allowed
from ..selectors import conversations_for_manager
from ..services import chat_history, chat_turn
from ..unavailable import chat_error_body, concierge_enabled
from .serializers import ChatRequestSerializer, ConversationReplaySerializer, ConversationSerializer


class ChatView(APIView):
    """``POST /api/v1/chat/``: ``{"session_id"?, "message"}`` → ``{"session_id", "messages", "state"}``.

    ``GET /api/v1/chat/?session_id=`` → the session's history (what the WebSocket's ``resume`` frame answers).
    With ``CONCIERGE_ENABLED=0`` a POST is a 503 ``concierge_unavailable`` error naming the front desk's phone.
    """

    permission_classes = [permissions.AllowAny]  # guests chat too
    throttle_classes = [ChatIPThrottle]

    @extend_schema(
        request=ChatRequestSerializer,
        responses={
            200: dict,
            503: OpenApiResponse(
                ErrorSerializer,
                description="The concierge is switched off (`CONCIERGE_ENABLED=0`): `concierge_unavailable`, "
                "with `handoff: {reason, phone}` naming the front desk to call.",
            ),
        },
        tags=["concierge"],
    )
    def post(self, request):
        if not concierge_enabled():
            return Response(chat_error_body(), status=503, headers={"Retry-After": "3600"})
        serializer = ChatRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_id = serializer.validated_data.get("session_id")
        wait = chat_allowed(session_id=str(session_id) if session_id else None, ip=None)
        if wait:
            raise Throttled(wait=wait)
        result = chat_turn(
            message=serializer.validated_data["message"],
            session_id=session_id,
            channel="api",
            user=request.user,
        )
        return Response(result.as_dict())

    @extend_schema(
        parameters=[OpenApiParameter("session_id", str, description="The session to resume (a UUID).")],
        responses={200: dict},
        tags=["concierge"],
    )
    def get(self, request):
        """``GET /api/v1/chat/?session_id=``: the session's conversation so far (empty when unknown or expired)."""
        return Response(chat_history(session_id=request.query_params.get("session_id"), user=request.user))


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or getattr(user, "is_manager", False)))


class ConversationPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def _flag(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    return value.lower() in ("1", "true", "yes")


class ChatHistoryView(generics.ListAPIView):
    """Managers: conversations, newest first; filter by ``channel``, ``outcome`` and ``handoff``."""

    serializer_class = ConversationSerializer
    permission_classes = [IsStaff]
    pagination_class = ConversationPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("channel", str, enum=["web", "api", "phone"]),
            OpenApiParameter("outcome", str),
            OpenApiParameter("handoff", bool),
        ],
        tags=["manager"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return conversations_for_manager(
            channel=params.get("channel", ""), outcome=params.get("outcome", ""), handoff=_flag(params.get("handoff"))
        )


class ChatReplayView(APIView):
    """Managers: one conversation turn by turn, as the guest and the concierge saw it."""

    permission_classes = [IsStaff]

    @extend_schema(responses=ConversationReplaySerializer, tags=["manager"])
    def get(self, request, session_id):
        conversation = get_object_or_404(
            Conversation.objects.select_related("customer", "booking").prefetch_related("actions", "handoffs"), session_id=session_id
        )
        return Response(ConversationReplaySerializer(conversation).data)
