"""``/portal/`` (the technicians) and ``/manager/hours/`` (the manager's approval page); included from ``coresync.urls``."""

from django.urls import path

import coresync.core.converters  # noqa: F401  (registers the <reference:...> converter)

from . import manager_pages, portal

app_name = "portal"

urlpatterns = [
    path("portal/", portal.today, name="today"),
    path("portal/bookings/<reference:reference>/complete/", portal.booking_complete, name="booking-complete"),
    path("portal/bookings/<reference:reference>/no-show/", portal.booking_no_show, name="booking-no-show"),
    path("portal/hours/", portal.hours, name="hours"),
    path("portal/availability/", portal.availability, name="availability"),
    path("portal/time-off/", portal.time_off, name="time-off"),
    path("manager/hours/", manager_pages.hours, name="manager-hours"),
    path("manager/hours/<int:pk>/<str:decision>/", manager_pages.review, name="manager-hours-review"),
    path("manager/time-off/", manager_pages.time_off, name="manager-time-off"),
    path("manager/time-off/<int:pk>/<str:decision>/", manager_pages.time_off_review, name="manager-time-off-review"),
]
