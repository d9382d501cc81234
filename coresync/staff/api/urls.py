from django.urls import path

import coresync.core.converters  # noqa: F401  (registers the <reference:...> converter)

from . import views

technicians = [
    path("technicians/me/", views.MeView.as_view(), name="technician-me"),
    path("technicians/me/bookings/", views.MyBookingsView.as_view(), name="technician-bookings"),
    path("technicians/me/bookings/<reference:reference>/complete/", views.MyBookingCloseView.as_view(outcome="complete"),
         name="technician-booking-complete"),
    path("technicians/me/bookings/<reference:reference>/no-show/", views.MyBookingCloseView.as_view(outcome="no_show"),
         name="technician-booking-no-show"),
    path("technicians/me/worklogs/", views.MyWorkLogsView.as_view(), name="technician-worklogs"),
    path("technicians/me/worklogs/<int:pk>/", views.MyWorkLogView.as_view(), name="technician-worklog"),
    path("technicians/me/schedule/", views.MyScheduleView.as_view(), name="technician-schedule"),
    path("technicians/me/time-off/", views.MyTimeOffView.as_view(), name="technician-time-off"),
]

manager = [
    path("manager/worklogs/", views.ManagerWorkLogsView.as_view(), name="manager-worklogs"),
    path("manager/worklogs/<int:pk>/approve/", views.ManagerWorkLogReviewView.as_view(approve=True), name="manager-worklog-approve"),
    path("manager/worklogs/<int:pk>/reject/", views.ManagerWorkLogReviewView.as_view(approve=False), name="manager-worklog-reject"),
    path("manager/time-off/", views.ManagerTimeOffView.as_view(), name="manager-time-off"),
    path("manager/time-off/<int:pk>/approve/", views.ManagerTimeOffReviewView.as_view(approve=True), name="manager-time-off-approve"),
    path("manager/time-off/<int:pk>/reject/", views.ManagerTimeOffReviewView.as_view(approve=False), name="manager-time-off-reject"),
    path("manager/payroll.csv", views.PayrollCsvView.as_view(), name="manager-payroll"),
]

urlpatterns = technicians + manager
