"""Google → CoreSync: busy blocks into availability (never a live call), incremental sync, 410, restore-and-tell, push, channels."""

from __future__ import annotations

from datetime import datetime, timedelta

import httplib2
import pytest
import requests
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from coresync.bookings.selectors import availability_for
from coresync.calendars import layout, services
from coresync.integrations.google.tests.fakes import TOKEN_URI
from coresync.integrations.models import ExternalBusyBlock, MirroredCalendar

from .conftest import calendar_id

pytestmark = pytest.mark.django_db
NOTIFY = "/api/integrations/google/calendar/notify/"


def offered(technician, day):
    return [s.start for s in availability_for(service="swedish-massage", date_from=day, date_to=day, technician_id=technician.pk).slots]


def working_technician(demo_spa, day):
    """A technician who does Swedish massages and has free time on ``day``."""
    slots = availability_for(service="swedish-massage", date_from=day, date_to=day).slots
    return next(t for t in demo_spa.technicians.values() if t.pk == slots[0].technician_id)


@pytest.fixture
def no_network(monkeypatch):
    """From here on any HTTP request, to Google or anywhere, fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a network call was made")

    monkeypatch.setattr(httplib2, "Http", refuse)
    monkeypatch.setattr(requests.Session, "send", refuse)


def test_a_technicians_block_in_google_hides_that_time_and_availability_makes_no_network_call(google, demo_spa, request):
    day = (timezone.localtime() + timedelta(days=1)).date()
    technician = working_technician(demo_spa, day)
    before = offered(technician, day)
    assert before, "the technician works that day"
    start = before[0]
    end = start + timedelta(hours=2)
    google.user_adds(calendar_id("technicians"), event_id="dentist1", summary=f"{technician.display_name}: dentist",
                     start=start.isoformat(), end=end.isoformat())

    result = services.calendar_sync(key="technicians")
    assert result.busy_added == 1
    block = ExternalBusyBlock.objects.get(event_id="dentist1")
    assert (block.technician_id, block.room_id, block.start, block.end) == (technician.pk, None, start, end)

    request.getfixturevalue("no_network")
    after = offered(technician, day)
    assert [s for s in after if s < end and s + timedelta(minutes=60) > start] == []
    assert [s for s in before if not (s < end and s + timedelta(minutes=60) > start)] == after  # nothing else changed

    answer = request.getfixturevalue("client").get(
        "/api/v1/availability/", {"service": "swedish-massage", "date_from": day, "date_to": day, "technician": technician.pk}
    )
    assert answer.status_code == 200
    served = [datetime.fromisoformat(slot["start"]) for slot in answer.json()["slots"]]
    assert served == after  # the public endpoint too, with the network refused


def test_an_all_day_closure_in_master_closes_the_spa_for_everyone(google, demo_spa):
    day = (timezone.localtime() + timedelta(days=1)).date()
    technician = working_technician(demo_spa, day)
    google.user_adds(calendar_id("master"), event_id="closed1", summary="Spa closed: plumbing", all_day=True,
                     start=day.isoformat(), end=(day + timedelta(days=1)).isoformat())
    services.calendar_sync(key="master")
    block = ExternalBusyBlock.objects.get(event_id="closed1")
    assert (block.technician_id, block.room_id) == (None, None)
    assert offered(technician, day) == []


def test_a_free_or_cancelled_event_is_not_busy(google, demo_spa):
    day = (timezone.localtime() + timedelta(days=1)).date()
    start = datetime.combine(day, datetime.min.time()).astimezone() + timedelta(hours=10)
    google.user_adds(calendar_id("master"), event_id="fyi", summary="Reminder: order towels", transparent=True,
                     start=start.isoformat(), end=(start + timedelta(hours=1)).isoformat())
    google.user_adds(calendar_id("master"), event_id="gone", summary="Staff meeting",
                     start=start.isoformat(), end=(start + timedelta(hours=1)).isoformat())
    services.calendar_sync(key="master")
    assert list(ExternalBusyBlock.objects.values_list("event_id", flat=True)) == ["gone"]
    google.user_deletes(calendar_id("master"), "gone")
    result = services.calendar_sync(key="master")
    assert (result.full, result.busy_removed) == (False, 1)
    assert not ExternalBusyBlock.objects.exists()


def test_an_incremental_sync_asks_with_the_stored_token_and_a_410_makes_a_full_resync(google, demo_spa):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    google.user_adds(calendar_id("master"), event_id="meeting", summary="Staff meeting",
                     start=start.isoformat(), end=(start + timedelta(hours=1)).isoformat())
    first = services.calendar_sync(key="master")
    calendar = MirroredCalendar.objects.get(key="master")
    assert first.full and calendar.sync_token
    google.calls.clear()
    services.calendar_sync(key="master")
    assert [c.query.get("syncToken") for c in google.api_calls()] == [[calendar.sync_token]]

    calendar.refresh_from_db()
    # Google forgets the token; meanwhile a block we hold vanished from Google without our hearing of it.
    google.expired_tokens.add(calendar.sync_token)
    ExternalBusyBlock.objects.create(calendar=calendar, event_id="stale", summary="old", start=start, end=start + timedelta(hours=1))
    google.calls.clear()
    result = services.calendar_sync(key="master")

    lists = google.api_calls()
    assert [(c.method, c.query.get("syncToken")) for c in lists] == [("GET", [calendar.sync_token]), ("GET", None)]
    assert "timeMin" in lists[1].query and lists[1].query["showDeleted"] == ["true"]
    assert result.full and result.busy_removed == 1
    assert sorted(ExternalBusyBlock.objects.values_list("event_id", flat=True)) == ["meeting"]
    calendar.refresh_from_db()
    assert calendar.sync_token and calendar.sync_token not in google.expired_tokens


def test_an_event_of_ours_moved_in_google_is_put_back_and_the_manager_told_once(google, book, after_commit):
    booking = book("swedish-massage")
    services.calendar_sync(key="master")
    event_id = layout.event_id_for(booking.pk, "master")
    moved = booking.start + timedelta(hours=3)
    google.user_moves(calendar_id("master"), event_id, start=moved.isoformat(), end=(moved + timedelta(hours=1)).isoformat())
    google.calls.clear()
    mail.outbox.clear()

    with after_commit():
        result = services.calendar_sync(key="master")
    assert result.restored == [event_id]
    assert [(c.method, c.event_id) for c in google.writes()] == [("PUT", event_id)]
    assert datetime.fromisoformat(google.events(calendar_id("master"))[event_id]["start"]["dateTime"]) == booking.start
    assert len(mail.outbox) == 1
    assert booking.reference in mail.outbox[0].body and "moved" in mail.outbox[0].subject.lower() + mail.outbox[0].body

    google.calls.clear()
    with after_commit():
        again = services.calendar_sync(key="master")  # sees our own restoring write: nothing to do
    assert again.restored == [] and google.writes() == [] and len(mail.outbox) == 1


def test_an_event_of_ours_deleted_in_google_is_put_back(google, book, after_commit):
    booking = book("swedish-massage")
    services.calendar_sync(key="technicians")
    event_id = layout.event_id_for(booking.pk, "technicians")
    google.user_deletes(calendar_id("technicians"), event_id)
    mail.outbox.clear()

    with after_commit():
        result = services.calendar_sync(key="technicians")
    assert result.restored == [event_id]
    assert google.events(calendar_id("technicians"))[event_id]["status"] == "confirmed"
    assert len(mail.outbox) == 1 and "deleted" in mail.outbox[0].body


def test_our_own_update_still_on_its_way_is_not_mistaken_for_a_move(google, book, demo_spa):
    booking = book("swedish-massage")
    services.calendar_sync(key="master")
    # The booking moved in CoreSync but its outbox row has not run yet: Google still has the time we last wrote.
    type(booking).objects.filter(pk=booking.pk).update(
        start=booking.start + timedelta(hours=1), end=booking.end + timedelta(hours=1), blocked_until=booking.blocked_until + timedelta(hours=1)
    )
    google.user_moves(calendar_id("master"), layout.event_id_for(booking.pk, "master"),
                      start=booking.start.isoformat(), end=booking.end.isoformat())  # touched, same time
    google.calls.clear()
    assert services.calendar_sync(key="master").restored == []
    assert google.writes() == []


# --- push channels ------------------------------------------------------------------------


def test_push_with_a_wrong_or_missing_token_is_refused_and_triggers_nothing(google, client, after_commit):
    services.channels_renew()
    master = MirroredCalendar.objects.get(key="master")
    google.calls.clear()

    with after_commit() as callbacks:
        missing = client.post(NOTIFY, HTTP_X_GOOG_CHANNEL_ID=master.channel_id, HTTP_X_GOOG_RESOURCE_STATE="exists")
        wrong = client.post(NOTIFY, HTTP_X_GOOG_CHANNEL_ID=master.channel_id, HTTP_X_GOOG_CHANNEL_TOKEN=master.channel_token + "x",
                            HTTP_X_GOOG_RESOURCE_STATE="exists")
        unknown = client.post(NOTIFY, HTTP_X_GOOG_CHANNEL_ID="not-ours", HTTP_X_GOOG_CHANNEL_TOKEN=master.channel_token,
                              HTTP_X_GOOG_RESOURCE_STATE="exists")
    assert (missing.status_code, wrong.status_code, unknown.status_code) == (401, 403, 403)
    assert wrong.json()["error"]["code"] == "invalid_token"
    assert callbacks == [] and google.calls == []


def test_push_with_the_right_token_syncs_that_calendar(google, client, after_commit):
    services.channels_renew()
    master = MirroredCalendar.objects.get(key="master")
    google.calls.clear()
    with after_commit():
        answer = client.post(NOTIFY, HTTP_X_GOOG_CHANNEL_ID=master.channel_id, HTTP_X_GOOG_CHANNEL_TOKEN=master.channel_token,
                             HTTP_X_GOOG_RESOURCE_STATE="exists")
    assert answer.status_code == 200 and answer.json() == {"status": "accepted", "calendar": "master"}
    assert [(c.method, c.path) for c in google.api_calls()] == [("GET", f"/calendar/v3/calendars/{calendar_id('master')}/events")]
    master.refresh_from_db()
    assert master.last_synced_at is not None


def test_channels_are_renewed_a_day_before_they_expire_and_the_old_one_stopped(google):
    services.channels_renew()
    assert all(c.channel_id and c.channel_token for c in MirroredCalendar.objects.all())
    watched = [c for c in google.api_calls() if c.path.endswith("/events/watch")]
    assert len(watched) == 3 and watched[0].body["address"].endswith(NOTIFY) and watched[0].body["type"] == "web_hook"
    master = MirroredCalendar.objects.get(key="master")
    MirroredCalendar.objects.filter(key="master").update(channel_expires_at=timezone.now() + timedelta(hours=12))
    google.calls.clear()

    assert services.channels_renew() == ["master"]
    assert [c.path.rsplit("/", 1)[-1] for c in google.api_calls()] == ["watch", "stop"]
    assert google.api_calls()[1].body == {"id": master.channel_id, "resourceId": master.channel_resource_id}
    renewed = MirroredCalendar.objects.get(key="master")
    assert renewed.channel_id != master.channel_id and renewed.channel_expires_at > timezone.now() + timedelta(days=6)


def test_setup_google_calendars_creates_them_once_shares_and_watches(fake_google, demo_spa, capsys):
    call_command("setup_google_calendars", "--share", "owner@example.test")
    assert fake_google.calls[0].path == "/token"  # google-auth went to the key's own token_uri
    assert TOKEN_URI.endswith(fake_google.calls[0].path)
    created = [c.body["summary"] for c in fake_google.api_calls() if c.path == "/calendar/v3/calendars"]
    assert created == [layout.CALENDAR_TITLES[k] for k in layout.SHARED_CALENDARS]
    shares = [c for c in fake_google.api_calls() if c.path.endswith("/acl")]
    assert [s.body for s in shares] == [{"role": "writer", "scope": {"type": "user", "value": "owner@example.test"}}] * 3
    assert sorted(MirroredCalendar.objects.values_list("key", flat=True)) == sorted(layout.SHARED_CALENDARS)
    assert "watching" in capsys.readouterr().out

    fake_google.calls.clear()
    call_command("setup_google_calendars", "--no-watch")
    assert [c.path for c in fake_google.api_calls()] == ["/calendar/v3/users/me/calendarList"]  # found, not made again


def test_bookings_made_before_google_was_on_are_pushed_by_setup(fake_google, demo_spa, book, settings, after_commit):
    settings.CALENDAR_PROVIDER = "local"

    earlier = book("swedish-massage")  # made while the calendars were local feeds only
    assert fake_google.calls == []
    settings.CALENDAR_PROVIDER = "google"

    with after_commit():
        call_command("setup_google_calendars", "--no-watch", "--push-existing")
    inserted = {(c.calendar_id, c.event_id) for c in fake_google.writes() if c.method == "POST" and c.path.endswith("/events")}
    master_id = MirroredCalendar.objects.get(key="master").calendar_id
    assert (master_id, layout.event_id_for(earlier.pk, "master")) in inserted

    fake_google.calls.clear()
    with after_commit():
        services.calendars_push_all()  # again: the same events updated, none added
    assert {c.method for c in fake_google.writes()} == {"PUT"}
    assert len(fake_google.events(master_id)) == len({e for c, e in inserted if c == master_id})
