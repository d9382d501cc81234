"""Floor endpoints for ``make bench``; included by ``coresync/urls.py`` only when BENCH_ENDPOINTS is on."""

from django.urls import path

from . import views

urlpatterns = [
    path("plain", views.plain, name="bench-plain"),
    path("one-query", views.OneQueryView.as_view(), name="bench-one-query"),
]
