from django.urls import path

from . import views
from .webhooks.sendgrid import sendgrid_events

app_name = "notifications"

urlpatterns = [
    path("api/notifications/sendgrid/events/", sendgrid_events, name="sendgrid-events"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("manager/emails/preview/", views.email_preview_index, name="preview-index"),
    path("manager/emails/preview/<str:kind>/", views.email_preview, name="preview"),
]
