"""Availability edits that keep promises: a schedule or time off that would orphan a booking is 409 with the references;
approved time off removes the slots at once; bad shifts and past time off are 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from coresync.bookings.selectors import availability_for
from coresync.bookings.tests.factories import BookingFactory
from coresync.bookings.tests.support import MONDAY, NOW, at, small_spa, walls
from coresync.technicians.models import TimeOff, WeeklyShift
from coresync.technicians.selectors import schedule_version

pytestmark = pytest.mark.django_db
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def spa(db):
    with time_machine.travel(NOW, tick=False):
        spa = small_spa()
        spa.technician.user.role = "technician"
        spa.technician.user.save()
        yield spa


def _free(spa, day):
    return walls(availability_for(service=spa.service.slug, date_from=day, date_to=day, viewer=None, now=NOW), day)


def _put(client, shifts):
    return client.put("/api/v1/technicians/me/schedule/", shifts, format="json")


def test_a_schedule_change_that_orphans_a_booking_is_409_with_its_reference(spa, client_for):
    booking = BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "15:00"))
    client = client_for(spa.technician.user)
    mornings = [{"weekday": d, "start": "09:00", "end": "13:00"} for d in range(7)]
    response = _put(client, mornings)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "bookings_affected" and error["bookings"] == [booking.reference]
    assert WeeklyShift.objects.filter(technician=spa.technician, ends__gt="13:00").count() == 7  # unchanged

    keeps_tuesday = [*mornings[:1], {"weekday": 1, "start": "14:00", "end": "18:00"}, *mornings[2:]]
    response = _put(client, keeps_tuesday)
    assert response.status_code == 200
    assert {"weekday": 1, "start": "14:00", "end": "18:00"} in response.json()
    assert client.get("/api/v1/technicians/me/schedule/").json() == response.json()


def test_a_cancelled_booking_does_not_hold_the_schedule(spa, client_for):
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "15:00"), status="cancelled")
    assert _put(client_for(spa.technician.user), [{"weekday": 0, "start": "09:00", "end": "12:00"}]).status_code == 200


@pytest.mark.parametrize(
    "shifts",
    [
        [{"weekday": 0, "start": "17:00", "end": "09:00"}],  # ends before it starts
        [{"weekday": 0, "start": "09:00", "end": "09:00"}],
        [{"weekday": 7, "start": "09:00", "end": "10:00"}],
        [{"weekday": 0, "start": "9am", "end": "10:00"}],
        [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}],
        {"weekday": 0},
        [{"start": "09:00"}],
    ],
)
def test_bad_shifts_are_400(spa, client_for, shifts):
    response = _put(client_for(spa.technician.user), shifts)
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_time_off_is_pending_until_approved_then_its_slots_vanish_at_once(spa, client_for):
    client = client_for(spa.technician.user)
    from coresync.accounts.models import User

    manager = User.objects.create_user(email="boss@example.test", password="x", role="manager")
    before = _free(spa, TUESDAY)
    assert "10:00" in before
    response = client.post("/api/v1/technicians/me/time-off/", {"start": at(TUESDAY, "09:00").isoformat(),
                           "end": at(TUESDAY, "13:00").isoformat(), "reason": "dentist"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    pending = _free(spa, TUESDAY)
    assert "10:00" in pending  # a request alone keeps the slots

    version = schedule_version()
    approved = client_for(manager).post(f"/api/v1/manager/time-off/{response.json()['id']}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert schedule_version() != version
    after = _free(spa, TUESDAY)
    assert "10:00" not in after and "09:00" not in after and "14:00" in after


def test_time_off_over_a_booking_is_refused_until_a_manager_moves_it(spa, client_for):
    booking = BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "10:00"))
    client = client_for(spa.technician.user)
    body = {"start": at(TUESDAY, "09:00").isoformat(), "end": at(TUESDAY, "13:00").isoformat()}
    response = client.post("/api/v1/technicians/me/time-off/", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "bookings_affected" and response.json()["error"]["bookings"] == [booking.reference]
    assert not TimeOff.objects.exists()
    booking.status = "cancelled"
    booking.save()
    assert client.post("/api/v1/technicians/me/time-off/", body, format="json").status_code == 201


def test_approval_rechecks_bookings_made_while_the_request_waited(spa, client_for):
    from coresync.accounts.models import User

    manager = User.objects.create_user(email="boss@example.test", password="x", role="manager")
    client = client_for(spa.technician.user)
    body = {"start": at(TUESDAY, "09:00").isoformat(), "end": at(TUESDAY, "13:00").isoformat()}
    request_id = client.post("/api/v1/technicians/me/time-off/", body, format="json").json()["id"]
    booking = BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"))
    response = client_for(manager).post(f"/api/v1/manager/time-off/{request_id}/approve/", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["bookings"] == [booking.reference]
    assert TimeOff.objects.get(pk=request_id).status == "pending"


@pytest.mark.parametrize(
    ("start", "end"),
    [("08:00", "09:00"), ("12:00", "11:00")],  # before now (08:00 Monday is now; 07:00 is past) / end before start
)
def test_time_off_in_the_past_or_backwards_is_400(spa, client_for, start, end):
    day = MONDAY if start == "08:00" else TUESDAY
    begin = at(day, start) - (timedelta(hours=1) if day == MONDAY else timedelta())
    body = {"start": begin.isoformat(), "end": at(day, end).isoformat()}
    response = client_for(spa.technician.user).post("/api/v1/technicians/me/time-off/", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
