from django.urls import path

from . import views

app_name = "sheets"

urlpatterns = [
    path("api/integrations/google/sheets/notify/", views.sheets_notify, name="google-notify"),
]
