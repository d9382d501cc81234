from django.urls import path

import coresync.core.converters  # noqa: F401  (registers the <reference:...> converter)

from . import views, webhooks

app_name = "payments"

urlpatterns = [
    path("api/payments/stripe/webhook/", webhooks.stripe_webhook, name="stripe-webhook"),
    path("payments/pay/<str:token>/", views.pay_page, name="pay-page"),
    path("payments/bookings/<reference:reference>/pay/", views.pay_booking, name="pay-booking"),
    path("payments/local/checkout/<str:object_id>/", views.local_checkout, name="local-checkout"),
    path("payments/membership/", views.membership_page, name="membership"),
    path("payments/cards/", views.cards_page, name="cards"),
]
