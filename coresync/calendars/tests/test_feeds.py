"""The local default: the three calendars (and one per technician) as token-protected iCalendar feeds."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from rest_framework.test import APIClient

from coresync.bookings.models import RELEASED_STATUSES, Booking
from coresync.calendars import layout
from coresync.calendars.services import feed_token

pytestmark = pytest.mark.django_db
FEEDS = "/api/v1/manager/calendar-feeds/"


def uids(response) -> set[str]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return {str(event["uid"]) for event in Calendar.from_ical(response.content).walk("VEVENT")}


def uid(booking, feed="master") -> str:
    return f"{layout.event_id_for(booking.pk, feed)}@coresync"


def test_a_feed_needs_its_token(client, demo_spa):
    assert client.get("/calendars/master.ics").status_code == 403
    assert client.get("/calendars/master.ics?token=wrong").json()["error"]["code"] == "invalid_token"
    assert client.get(f"/calendars/master.ics?token={feed_token('technicians')}").status_code == 403  # another feed's token
    assert client.get(f"/calendars/nosuch.ics?token={feed_token('master')}").status_code == 404


def test_master_shows_every_live_booking_and_a_new_booking_at_once(client, demo_spa, book):
    url = f"/calendars/master.ics?token={feed_token('master')}"
    earlier = book("swedish-massage")
    shown = uids(client.get(url))
    assert shown == {uid(b) for b in Booking.objects.exclude(status__in=RELEASED_STATUSES)} and uid(earlier) in shown

    booking = book("swedish-massage")
    assert uid(booking) in uids(client.get(url))  # no cache in between: the next refresh has it
    event = next(e for e in Calendar.from_ical(client.get(url).content).walk("VEVENT") if str(e["uid"]) == uid(booking))
    assert event.decoded("dtstart") == booking.start and "attendee" not in event
    assert booking.reference in str(event["description"])


def test_the_private_and_technician_feeds_show_only_their_bookings(client, demo_spa, book):
    treatment = book("swedish-massage")
    private = book("private-spa-couples-ritual")
    shown = uids(client.get(f"/calendars/private.ics?token={feed_token('private')}"))
    assert uid(private, "private") in shown and uid(treatment, "private") not in shown
    name = layout.technician_feed(treatment.technician_id)
    shown = uids(client.get(f"/calendars/{name}.ics?token={feed_token(name)}"))
    assert uid(treatment, name) in shown
    assert all(b.technician_id == treatment.technician_id for b in Booking.objects.filter(pk__in=[treatment.pk, private.pk])
               if uid(b, name) in shown)


def test_the_manager_finds_the_feed_urls_and_a_rotation_cuts_off_the_old_link(demo_spa):
    manager = APIClient()
    manager.force_authenticate(demo_spa.manager)
    feeds = manager.get(FEEDS).json()
    names = [f["name"] for f in feeds]
    assert names[:3] == ["master", "technicians", "private"] and any(n.startswith("technician-") for n in names)
    master = next(f for f in feeds if f["name"] == "master")
    old = urlsplit(master["url"])
    anonymous = APIClient()
    assert anonymous.get(f"{old.path}?{old.query}").status_code == 200

    rotated = manager.post(f"{FEEDS}rotate/", {"name": "master"}, format="json")
    assert rotated.status_code == 200
    new = urlsplit(next(f for f in rotated.json() if f["name"] == "master")["url"])
    assert new.query != old.query
    assert anonymous.get(f"{old.path}?{old.query}").status_code == 403
    assert anonymous.get(f"{new.path}?{new.query}").status_code == 200
    assert manager.post(f"{FEEDS}rotate/", {"name": "nope"}, format="json").status_code == 400


def test_only_a_manager_sees_the_feed_urls(demo_spa):
    member = APIClient()
    member.force_authenticate(demo_spa.premium)
    assert member.get(FEEDS).status_code == 403
    assert APIClient().get(FEEDS).status_code in (401, 403)
