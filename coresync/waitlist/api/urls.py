from django.urls import path

from . import views

urlpatterns = [
    path("waitlist/", views.WaitlistJoinView.as_view(), name="waitlist-join"),
    path("waitlist/<int:pk>/", views.WaitlistEntryView.as_view(), name="waitlist-entry"),
]
