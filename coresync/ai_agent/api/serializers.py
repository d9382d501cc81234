from __future__ import annotations

from rest_framework import serializers

from ..models import AgentAction, Conversation, Handoff


class ChatRequestSerializer(serializers.Serializer):
    session_id = serializers.UUIDField(required=False, allow_null=True)
    message = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=None)


class ConversationSerializer(serializers.ModelSerializer):
    # Counters declared here, not derived from the model: a derived one takes its bounds from the database
    # backend (int64 on SQLite, int32 on PostgreSQL), and the committed OpenAPI schema must not depend on it.
    turns = serializers.IntegerField(read_only=True, min_value=0)
    customer = serializers.SerializerMethodField()
    booking = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "session_id", "channel", "customer", "atlas_call_id", "caller_phone", "turns", "last_intent",
            "outcome", "handoff", "booking", "created_at", "updated_at", "ended_at",
        ]  # fmt: skip

    def get_customer(self, obj) -> dict | None:
        return {"id": obj.customer_id, "email": obj.customer.email} if obj.customer_id else None

    def get_booking(self, obj) -> dict | None:
        return {"reference": obj.booking.reference, "status": obj.booking.status} if obj.booking_id else None


class AgentActionSerializer(serializers.ModelSerializer):
    position = serializers.IntegerField(read_only=True, min_value=0)
    latency_ms = serializers.IntegerField(read_only=True, min_value=0)
    # Stored encrypted (one text column each), served as the JSON they hold.
    entities = serializers.JSONField(required=False)
    reply = serializers.JSONField(required=False, help_text="The messages sent back (text, cards, actions).")

    class Meta:
        model = AgentAction
        fields = ["position", "actor", "channel", "message", "intent", "entities", "reply", "engine", "latency_ms", "booking", "created_at"]


class HandoffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Handoff
        fields = ["id", "reason", "status", "contact", "last_message", "created_at", "resolved_at"]


class ConversationReplaySerializer(ConversationSerializer):
    turns_detail = AgentActionSerializer(source="actions", many=True, read_only=True)
    handoffs = HandoffSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "turns_detail", "handoffs"]
