"""The waitlist from the customer's account: join (the tier window applies), see, leave; the offer e-mail follows a
cancellation through the existing chain."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from coresync.waitlist.models import EntryStatus, WaitlistEntry

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 6, 3, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_bookings_links_to_the_waitlist(demo_spa):
    page = _signed_in(demo_spa.premium).get("/accounts/bookings/")
    assert b'href="/accounts/waitlist/"' in page.content


def test_join_see_and_leave(demo_spa):
    client = _signed_in(demo_spa.premium)
    page = client.get("/accounts/waitlist/?service=swedish-massage")
    assert page.status_code == 200 and b'<option value="swedish-massage" selected>' in page.content
    response = client.post("/accounts/waitlist/", {"service": "swedish-massage", "date_from": "2030-06-08", "date_to": "2030-06-08",
                                                   "time_from": "12:00", "time_to": "17:00"})
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(customer=demo_spa.premium)
    assert entry.status == EntryStatus.WAITING and entry.email == demo_spa.premium.email and entry.date_from == date(2030, 6, 8)
    page = client.get("/accounts/waitlist/")
    assert b"Swedish Massage" in page.content and f'data-waitlist="{entry.pk}"'.encode() in page.content
    assert _signed_in(demo_spa.base).post(f"/accounts/waitlist/{entry.pk}/leave/").status_code == 302  # not theirs: refused
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WAITING
    client.post(f"/accounts/waitlist/{entry.pk}/leave/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.CANCELLED


def test_bad_ranges_and_the_tier_window_are_form_errors(demo_spa):
    client = _signed_in(demo_spa.base)  # Base: 60 days ahead
    far = (NOW.date() + timedelta(days=75)).isoformat()
    for body, message in [({"date_from": "2030-06-01", "date_to": "2030-06-02"}, b"Today or later"),
                          ({"date_from": "2030-06-09", "date_to": "2030-06-08"}, b"Must not be before date_from"),
                          ({"date_from": far, "date_to": far}, b"On or before"),
                          ({"date_from": "2030-06-08", "date_to": "2030-06-08", "time_from": "15:00"}, b"After time_from")]:
        page = client.post("/accounts/waitlist/", {"service": "swedish-massage", **body})
        assert page.status_code == 200 and message in page.content, body
    assert not WaitlistEntry.objects.filter(customer=demo_spa.base).exists()


def test_the_page_needs_an_account():
    response = Client().get("/accounts/waitlist/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
