from django.urls import path

from . import views

app_name = "waitlist"

urlpatterns = [
    path("waitlist/offers/<str:token>/", views.offer_accept, name="accept"),
    path("accounts/waitlist/", views.my_waitlist, name="mine"),
    path("accounts/waitlist/<int:pk>/leave/", views.my_waitlist_leave, name="leave"),
]
