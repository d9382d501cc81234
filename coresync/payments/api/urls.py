from django.urls import path

import coresync.core.converters  # noqa: F401  (registers the <reference:...> converter)

from . import views

urlpatterns = [
    path("bookings/<reference:reference>/pay/", views.BookingPayView.as_view(), name="booking-pay"),
    path("me/payment-methods/", views.PaymentMethodListView.as_view(), name="payment-methods"),
    path("me/payment-methods/setup/", views.PaymentMethodSetupView.as_view(), name="payment-method-setup"),
    path("memberships/subscribe/", views.MembershipSubscribeView.as_view(), name="membership-subscribe"),
    path("memberships/cancel/", views.MembershipCancelView.as_view(), name="membership-cancel"),
]
