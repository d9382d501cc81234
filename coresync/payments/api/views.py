"""Thin views over the payment services: parse, call, render."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.bookings.selectors import booking_get_for
from coresync.core.ratelimit import RateThrottle

from .. import cards, services, subscriptions
from .serializers import CardSetupSerializer, PaySerializer, SubscribeSerializer

PayResponse = inline_serializer("PaymentStart", {
    "provider": serializers.CharField(), "status": serializers.CharField(), "amount": serializers.CharField(),
    "currency": serializers.CharField(), "client_secret": serializers.CharField(required=False),
    "checkout_url": serializers.CharField(required=False),
})
CardResponse = inline_serializer("SavedCard", {
    "id": serializers.CharField(), "brand": serializers.CharField(), "last4": serializers.CharField(),
    "exp_month": serializers.IntegerField(), "exp_year": serializers.IntegerField(), "default": serializers.BooleanField(),
})
SetupResponse = inline_serializer("CardSetupStart", {
    "provider": serializers.CharField(), "status": serializers.CharField(), "setup_id": serializers.CharField(),
    "client_secret": serializers.CharField(required=False), "checkout_url": serializers.CharField(required=False),
})
SubscriptionResponse = inline_serializer("MembershipSubscription", {
    "status": serializers.CharField(), "checkout_url": serializers.CharField(required=False),
    "client_secret": serializers.CharField(required=False),
})


class BookingPayView(APIView):
    permission_classes = [permissions.AllowAny]  # the owner, staff, or reference + e-mail (booking_get_for)
    throttle_classes = [RateThrottle]
    throttle_scope = "payments"

    @extend_schema(
        summary="Start paying a booking", request=PaySerializer, responses=PayResponse,
        description="A PaymentIntent with `metadata.booking_reference` (created once, whatever the retries), or with "
        '`{"use_saved_card": true}` an immediate charge of the card on file (`status: "paid"`; 402 '
        "`authentication_required` plus a payment link by e-mail). 409 `already_paid` / `invalid_booking_state`.",
    )
    def post(self, request, reference: str):
        body = PaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        booking = booking_get_for(reference=reference, user=request.user, email=data.get("email") or request.query_params.get("email"))
        started = services.payment_start(booking=booking, actor=request.user, use_saved_card=data["use_saved_card"])
        return Response(started.as_dict())


class PaymentMethodListView(APIView):
    @extend_schema(summary="My saved cards", responses=serializers.ListSerializer(child=CardResponse))
    def get(self, request):
        return Response([cards.saved_card_payload(card) for card in cards.saved_cards_for(request.user)])


class PaymentMethodSetupView(APIView):
    throttle_classes = [RateThrottle]
    throttle_scope = "payments"

    @extend_schema(summary="Save a card for later (SetupIntent, off-session)", request=CardSetupSerializer, responses=SetupResponse,
                   description='`{"consent": true}` is required (400 `consent_required` without); the time and the consent '
                   "text's version are stored with the card.")
    def post(self, request):
        body = CardSetupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(cards.card_setup_start(user=request.user, consent=body.validated_data["consent"]).as_dict())


class MembershipSubscribeView(APIView):
    throttle_classes = [RateThrottle]
    throttle_scope = "payments"

    @extend_schema(summary="Subscribe to a membership tier (billed monthly)", request=SubscribeSerializer, responses=SubscriptionResponse)
    def post(self, request):
        body = SubscribeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(subscriptions.membership_subscribe(user=request.user, tier_slug=body.validated_data["tier"]))


class MembershipCancelView(APIView):
    throttle_classes = [RateThrottle]
    throttle_scope = "payments"

    @extend_schema(summary="Cancel my membership at the end of the paid period", request=None, responses=SubscriptionResponse)
    def post(self, request):
        return Response(subscriptions.membership_subscription_cancel(user=request.user))
