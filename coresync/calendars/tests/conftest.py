"""The Google provider on the real google-api-python-client, Google itself faked at the HTTP edge (``FakeCalendarHttp``)."""

from __future__ import annotations

from datetime import timedelta

import httplib2
import pytest
from django.utils import timezone

from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_create
from coresync.calendars import layout
from coresync.integrations.google import auth
from coresync.integrations.google.tests.fakes import BASE, FakeCalendarHttp, service_account_json
from coresync.integrations.models import MirroredCalendar

GUEST = GuestDetails(name="Ada Lovelace", email="ada@example.test", phone="+1 212 555 0100")


def calendar_id(key: str) -> str:
    return f"{key}@group.calendar.google.com"


@pytest.fixture
def google_settings(settings):
    settings.CALENDAR_PROVIDER = "google"
    settings.GOOGLE_SERVICE_ACCOUNT_JSON = service_account_json()
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""
    settings.GOOGLE_API_BASE = BASE
    settings.BOOKING_PAYMENT_MODE = "on_site"
    settings.AVAILABILITY_CACHE_SECONDS = 0
    settings.GOOGLE_CALENDAR_MASTER_ID = settings.GOOGLE_CALENDAR_TECHNICIANS_ID = settings.GOOGLE_CALENDAR_PRIVATE_ID = ""
    auth._credentials.cache_clear()
    yield settings
    auth._credentials.cache_clear()


@pytest.fixture
def fake_google(google_settings, monkeypatch):
    """Google Calendar as a fake ``httplib2.Http``: everything above it (AuthorizedHttp, the discovery client) is real."""
    fake = FakeCalendarHttp()
    monkeypatch.setattr(httplib2, "Http", lambda *args, **kwargs: fake)
    return fake


@pytest.fixture
def google(fake_google, demo_spa):
    """The three calendars set up (as ``setup_google_calendars`` leaves them), on the demo spa."""
    for key in layout.SHARED_CALENDARS:
        fake_google.add_calendar(calendar_id(key), layout.CALENDAR_TITLES[key])
        MirroredCalendar.objects.create(key=key, calendar_id=calendar_id(key))
    return fake_google


@pytest.fixture
def book(demo_spa, django_capture_on_commit_callbacks):
    """``book(service_slug)`` → a confirmed guest booking at the first free time a day or more ahead, its after-commit work run."""

    def make(slug: str = "swedish-massage", *, days: int = 1, guest: GuestDetails = GUEST, **kwargs):
        day = (timezone.localtime() + timedelta(days=days)).date()
        slots = availability_for(service=slug, date_from=day, date_to=day + timedelta(days=1)).slots
        with django_capture_on_commit_callbacks(execute=True):
            return booking_create(service=slug, start=slots[0].start, guest=guest, **kwargs)

    return make


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """``with after_commit():`` runs what the code under test left for after commit (outbox deliveries, tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
