"""Input of the payment endpoints (SPEC §10.2)."""

from __future__ import annotations

from rest_framework import serializers


class PaySerializer(serializers.Serializer):
    use_saved_card = serializers.BooleanField(required=False, default=False)
    email = serializers.EmailField(required=False, help_text="Guests prove the booking is theirs with its e-mail.")


class CardSetupSerializer(serializers.Serializer):
    consent = serializers.BooleanField(required=False, default=False,
                                       help_text="True: the person agrees to off-session charges on the saved card.")


class SubscribeSerializer(serializers.Serializer):
    tier = serializers.SlugField(max_length=50)


class RefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, min_value=0)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
