from django.urls import path

from . import views

urlpatterns = [
    path("manager/dashboard/", views.DashboardView.as_view(), name="manager-dashboard"),
    path("manager/dashboard.csv", views.DashboardCsvView.as_view(), name="manager-dashboard-csv"),
]
