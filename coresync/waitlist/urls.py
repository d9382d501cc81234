from django.urls import path

from . import views

app_name = "waitlist"

urlpatterns = [
    path("waitlist/offers/<str:token>/", views.offer_accept, name="accept"),
]
