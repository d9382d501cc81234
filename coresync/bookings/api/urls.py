from django.urls import path

import coresync.core.converters  # noqa: F401  (registers the <reference:...> converter)

from . import views

urlpatterns = [
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("bookings/", views.BookingCreateView.as_view(), name="booking-create"),
    path("bookings/<reference:reference>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path("bookings/<reference:reference>/cancel/", views.BookingCancelView.as_view(), name="booking-cancel"),
    path("bookings/<reference:reference>/reschedule/", views.BookingRescheduleView.as_view(), name="booking-reschedule"),
]
