from django.urls import path

from . import views

urlpatterns = [
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("bookings/", views.BookingCreateView.as_view(), name="booking-create"),
    path("bookings/<str:reference>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path("bookings/<str:reference>/cancel/", views.BookingCancelView.as_view(), name="booking-cancel"),
    path("bookings/<str:reference>/reschedule/", views.BookingRescheduleView.as_view(), name="booking-reschedule"),
]
