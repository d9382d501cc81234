from django.urls import path, re_path

from . import api, views

app_name = "calendars"

urlpatterns = [
    re_path(r"^calendars/(?P<name>[a-z0-9-]{1,40})\.ics$", views.calendar_feed, name="feed"),
    path("api/integrations/google/calendar/notify/", views.calendar_notify, name="google-notify"),
    path("api/v1/manager/calendar-feeds/", api.CalendarFeedsView.as_view(), name="feeds"),
    path("api/v1/manager/calendar-feeds/rotate/", api.CalendarFeedRotateView.as_view(), name="feeds-rotate"),
]
