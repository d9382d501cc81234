from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("coresync.notifications.urls")),
    path("", include("coresync.ai_agent.urls")),
]
