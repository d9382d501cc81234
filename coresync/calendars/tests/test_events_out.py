"""Bookings → Google Calendar events through the outbox: the exact requests, one event per calendar, never a duplicate."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from coresync.bookings.services import booking_cancel, booking_reschedule
from coresync.calendars import layout
from coresync.integrations.models import ExternalReference, SyncState
from coresync.outbox.models import OutboxMessage, OutboxStatus
from coresync.outbox.tasks import sweep_outbox

from .conftest import calendar_id

pytestmark = pytest.mark.django_db


def events_path(key: str) -> str:
    return f"/calendar/v3/calendars/{calendar_id(key)}/events"


def test_a_new_booking_is_one_insert_in_each_of_its_calendars_with_our_event_id(google, book):
    booking = book("swedish-massage")  # a treatment room: Master and Technicians, not Private

    writes = google.writes()
    assert [(c.method, c.path) for c in writes] == [("POST", events_path("master")), ("POST", events_path("technicians"))]
    for call, key in zip(writes, ("master", "technicians"), strict=True):
        assert call.event_id == layout.event_id_for(booking.pk, key)
        assert call.body["extendedProperties"]["private"]["coresync_booking"] == str(booking.pk)
        assert "attendees" not in call.body
        assert call.query["sendUpdates"] == ["none"]
        assert datetime.fromisoformat(call.body["start"]["dateTime"]) == booking.start
        assert datetime.fromisoformat(call.body["end"]["dateTime"]) == booking.end
    assert writes[1].body["summary"].startswith(booking.technician.display_name + ":")
    assert google.events(calendar_id("private")) == {}
    assert set(OutboxMessage.objects.filter(kind="google.calendar.event").values_list("status", flat=True)) == {OutboxStatus.DONE}


def test_a_private_spa_booking_also_goes_to_the_private_calendar(google, book):
    booking = book("private-spa-couples-ritual")

    assert [c.path for c in google.writes()] == [events_path(k) for k in ("master", "technicians", "private")]
    assert set(google.events(calendar_id("private"))) == {layout.event_id_for(booking.pk, "private")}


def test_a_reschedule_updates_the_same_events_and_a_cancel_deletes_them(google, book, after_commit, demo_spa):
    booking = book("swedish-massage")
    google.calls.clear()
    new_start = booking.start + timedelta(days=1)

    with after_commit():
        booking_reschedule(booking=booking, start=new_start, actor=demo_spa.manager)
    writes = google.writes()
    assert [(c.method, c.event_id) for c in writes] == [
        ("PUT", layout.event_id_for(booking.pk, "master")), ("PUT", layout.event_id_for(booking.pk, "technicians")),
    ]  # the private calendar, which never had it, costs no call
    assert datetime.fromisoformat(writes[0].body["start"]["dateTime"]) == new_start
    master_event = google.events(calendar_id("master"))[layout.event_id_for(booking.pk, "master")]
    assert datetime.fromisoformat(master_event["start"]["dateTime"]) == new_start

    google.calls.clear()
    with after_commit():
        booking_cancel(booking=booking, actor=demo_spa.manager)
    assert [(c.method, c.path) for c in google.writes()] == [
        ("DELETE", f"{events_path('master')}/{layout.event_id_for(booking.pk, 'master')}"),
        ("DELETE", f"{events_path('technicians')}/{layout.event_id_for(booking.pk, 'technicians')}"),
    ]
    assert google.events(calendar_id("master")) == {} and google.events(calendar_id("technicians")) == {}
    states = set(ExternalReference.objects.filter(object_id=booking.pk, kind__startswith="event:").values_list("sync_state", flat=True))
    assert states == {SyncState.DELETED}


def test_an_insert_whose_answer_was_lost_is_retried_into_one_event(google, book, after_commit):
    # Google makes the event, then the connection drops before its answer reaches us.
    original = google._route

    def route_then_drop(call):
        answer = original(call)
        if call.method == "POST" and call.path == events_path("master") and not getattr(route_then_drop, "done", False):
            route_then_drop.done = True
            raise TimeoutError("timed out")
        return answer

    google._route = route_then_drop
    booking = book("swedish-massage")
    row = OutboxMessage.objects.get(dedupe_key__startswith=f"gcal:{booking.pk}:master:")
    assert row.status == OutboxStatus.PENDING and "timed out" in row.last_error

    with time_machine.travel(timezone.now() + timedelta(hours=1)), after_commit():
        sweep_outbox()
    event_id = layout.event_id_for(booking.pk, "master")
    master_calls = [(c.method, c.event_id) for c in google.writes() if c.calendar_id == calendar_id("master")]
    assert master_calls == [("POST", event_id), ("POST", event_id), ("PUT", event_id)]  # the 409 on the retry → update
    assert list(google.events(calendar_id("master"))) == [event_id]
    row.refresh_from_db()
    assert row.status == OutboxStatus.DONE


@pytest.mark.parametrize("failure", [503, TimeoutError("timed out")], ids=["503", "timeout"])
def test_google_down_never_blocks_a_booking_and_the_outbox_catches_up_exactly_once(google, book, after_commit, failure):
    google.down = failure
    booking = book("swedish-massage")  # no exception: the booking is made while Google fails

    assert booking.pk and booking.status == "confirmed"
    rows = OutboxMessage.objects.filter(kind="google.calendar.event")
    assert rows.count() == 2 and all(r.status == OutboxStatus.PENDING and r.last_error for r in rows)
    assert google.events(calendar_id("master")) == {}

    google.down = None
    google.calls.clear()
    with time_machine.travel(timezone.now() + timedelta(hours=1)), after_commit():
        sweep_outbox()
        sweep_outbox()  # a second sweep finds nothing left to do
    assert sorted((c.method, c.path) for c in google.writes()) == [("POST", events_path("master")), ("POST", events_path("technicians"))]
    assert list(google.events(calendar_id("master"))) == [layout.event_id_for(booking.pk, "master")]
    assert set(rows.values_list("status", flat=True)) == {OutboxStatus.DONE}


def test_a_deleted_calendar_404_is_not_retried_forever(google, book):
    google.down = 404  # the calendar was deleted in Google: retrying cannot help
    booking = book("swedish-massage")
    row = OutboxMessage.objects.get(dedupe_key__startswith=f"gcal:{booking.pk}:master:")
    assert row.status == OutboxStatus.DEAD and "404" in row.last_error


def test_an_online_hold_reaches_the_calendars_once_paid_and_an_expired_one_never(google, book, after_commit, settings):
    from coresync.bookings.services import booking_confirm, bookings_expire_holds

    settings.BOOKING_PAYMENT_MODE = "online"
    held = book("swedish-massage")
    assert held.status == "pending_payment" and google.calls == []  # a hold costs Google nothing

    with after_commit():
        booking_confirm(booking=held)
    assert [(c.method, c.path, c.event_id) for c in google.writes()] == [
        ("POST", events_path("master"), layout.event_id_for(held.pk, "master")),
        ("POST", events_path("technicians"), layout.event_id_for(held.pk, "technicians")),
    ]  # one call per calendar for the whole life of the booking so far

    google.calls.clear()
    abandoned = book("swedish-massage", days=2)
    with time_machine.travel(timezone.now() + timedelta(hours=1)), after_commit():
        bookings_expire_holds()
    abandoned.refresh_from_db()
    assert abandoned.status == "expired" and google.calls == []
