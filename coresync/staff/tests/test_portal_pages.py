"""The technicians' portal (/portal/) and the manager's staff pages (/manager/hours/, /manager/time-off/):
what a technician sees and changes, in at most five queries a page; who may look; no inline script."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from coresync.bookings.models import BookingAddOn, BookingEvent, BookingStatus
from coresync.bookings.tests.factories import BookingFactory
from coresync.catalog.models import AddOn, Room
from coresync.technicians.models import ExtraShift, ReviewStatus, TimeOff, WeeklyShift, WorkLog

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
TODAY = date(2030, 6, 5)  # a Wednesday: Maya Rivera works 12:00-21:00
NOW = datetime(2030, 6, 5, 14, 30, tzinfo=NY)
PAGES = ["/portal/", "/portal/hours/", "/portal/availability/", "/portal/time-off/"]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def maya(demo_spa):
    return demo_spa.technicians["Maya Rivera"]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _booking(demo_spa, technician, start, *, room_index=0, **extra):
    service = demo_spa.services["swedish-massage"]
    room = Room.objects.filter(room_type=service.required_room_type).order_by("id")[room_index]
    return BookingFactory(service=service, technician=technician, room=room, start=start, **extra)


@pytest.fixture
def day_of(demo_spa, maya):
    """Maya's day: a massage that started at 14:00 (with an add-on and a note), one at 16:00, one on Friday; Daniel's at 14:00."""
    started = _booking(demo_spa, maya, datetime(2030, 6, 5, 13, 0, tzinfo=NY), customer_name="Priya Shah",
                       customer_email="priya@example.test", notes="Nut allergy: no almond oil")
    BookingAddOn.objects.create(booking=started, addon=AddOn.objects.get(slug="hot-stones"), name="Hot Stones", extra_minutes=15,
                                amount=Decimal("25.00"))
    later = _booking(demo_spa, maya, datetime(2030, 6, 5, 16, 0, tzinfo=NY), customer_name="Omar Haddad")
    friday = _booking(demo_spa, maya, datetime(2030, 6, 7, 10, 0, tzinfo=NY), customer_name="Ines Costa")
    other = _booking(demo_spa, demo_spa.technicians["Daniel Cho"], datetime(2030, 6, 5, 13, 0, tzinfo=NY), room_index=1,
                     customer_name="Kofi Mensah")
    return {"started": started, "later": later, "friday": friday, "other": other}


def test_today_shows_first_names_service_addons_room_notes_and_status_in_five_queries(demo_spa, day_of, django_assert_max_num_queries):
    client = _signed_in(demo_spa.tech)
    with django_assert_max_num_queries(5):
        response = client.get("/portal/")
    assert response.status_code == 200
    html = response.content.decode()
    today_part, week_part = html.split('id="week-title"')
    assert "Priya" in today_part and "Shah" not in html and "priya@example.test" not in html
    assert "Swedish Massage" in today_part and "+ Hot Stones" in today_part and "Nut allergy: no almond oil" in today_part
    assert day_of["started"].room.name in today_part and "Confirmed" in today_part
    assert "Omar" in today_part and "Ines" in week_part and "Kofi" not in html  # Daniel's guest is not hers
    # Only a booking that has started can be closed; the later one has no buttons yet.
    assert f"/portal/bookings/{day_of['started'].reference}/complete/" in html
    assert f"/portal/bookings/{day_of['later'].reference}/complete/" not in html


def test_tapping_completed_closes_the_booking_through_the_booking_services_once(demo_spa, day_of):
    client = _signed_in(demo_spa.tech)
    booking = day_of["started"]
    response = client.post(f"/portal/bookings/{booking.reference}/complete/")
    assert response.status_code == 302 and response["Location"].endswith(f"/portal/#booking-{booking.reference}")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    events = BookingEvent.objects.filter(booking=booking, to_status=BookingStatus.COMPLETED)
    assert events.count() == 1 and events.get().actor == demo_spa.tech
    # A second tap changes nothing and says why.
    page = client.post(f"/portal/bookings/{booking.reference}/complete/", follow=True)
    assert events.count() == 1
    assert b"flash__item--error" in page.content


def test_no_show_and_the_rules_of_the_booking_services(demo_spa, day_of):
    client = _signed_in(demo_spa.tech)
    client.post(f"/portal/bookings/{day_of['started'].reference}/no-show/")
    day_of["started"].refresh_from_db()
    assert day_of["started"].status == BookingStatus.NO_SHOW
    page = client.post(f"/portal/bookings/{day_of['later'].reference}/complete/", follow=True)  # not started yet
    day_of["later"].refresh_from_db()
    assert day_of["later"].status == BookingStatus.CONFIRMED and b"has not started yet" in page.content
    assert client.post(f"/portal/bookings/{day_of['other'].reference}/complete/").status_code == 403  # Daniel's
    day_of["other"].refresh_from_db()
    assert day_of["other"].status == BookingStatus.CONFIRMED


def test_logging_hours_from_the_portal(demo_spa, maya, django_assert_max_num_queries):
    client = _signed_in(demo_spa.tech)
    response = client.post("/portal/hours/", {"date": "2030-06-05", "hours": "7.5", "note": "stayed late"})
    assert response.status_code == 302 and response["Location"] == "/portal/hours/?week=2030-W23"
    log = WorkLog.objects.get(technician=maya, date=TODAY)
    assert log.hours == Decimal("7.50") and log.status == ReviewStatus.PENDING
    with django_assert_max_num_queries(5):
        page = client.get(response["Location"])
    assert b"7.50 h" in page.content and b"Pending" in page.content
    # The API's rules, as form errors: twice a date, over 16, in the future.
    for body, message in [({"date": "2030-06-05", "hours": "6"}, b"already logged"),
                          ({"date": "2030-06-04", "hours": "17"}, b"at most 16"),
                          ({"date": "2030-06-06", "hours": "6"}, b"Not in the future")]:
        page = client.post("/portal/hours/", body)
        assert page.status_code == 200 and message.lower() in page.content.lower(), body
    assert WorkLog.objects.filter(technician=maya).count() == 1


def test_weekly_shifts_save_and_a_change_that_orphans_a_booking_names_it(demo_spa, maya, day_of, django_assert_max_num_queries):
    client = _signed_in(demo_spa.tech)
    with django_assert_max_num_queries(5):
        page = client.get("/portal/availability/")
    assert page.status_code == 200 and b'value="12:00"' in page.content
    mornings = {f"start_{d}_0": "09:00" for d in range(5)} | {f"end_{d}_0": "13:00" for d in range(5)}
    page = client.post("/portal/availability/", {"action": "weekly", **mornings})
    assert page.status_code == 200 and day_of["later"].reference.encode() in page.content  # 16:00 Wednesday would be orphaned
    assert WeeklyShift.objects.filter(technician=maya, weekday=2, starts="12:00").exists()  # unchanged
    split_wednesday = {**mornings, "start_2_0": "12:00", "end_2_0": "15:00", "start_2_1": "15:30", "end_2_1": "21:00",
                       "start_4_0": "09:00", "end_4_0": "17:00"}
    assert client.post("/portal/availability/", {"action": "weekly", **split_wednesday}).status_code == 302
    assert sorted(WeeklyShift.objects.filter(technician=maya, weekday=2).values_list("starts", "ends")) == [
        (datetime.strptime("12:00", "%H:%M").time(), datetime.strptime("15:00", "%H:%M").time()),
        (datetime.strptime("15:30", "%H:%M").time(), datetime.strptime("21:00", "%H:%M").time()),
    ]
    bad = client.post("/portal/availability/", {"action": "weekly", "start_0_0": "14:00", "end_0_0": "10:00"})
    assert bad.status_code == 200 and b"end after it starts" in bad.content


def test_extra_shifts_add_and_remove(demo_spa, maya):
    client = _signed_in(demo_spa.tech)
    assert client.post("/portal/availability/", {"action": "extra", "date": "2030-06-08", "start": "10:00", "end": "14:00"}).status_code == 302
    shift = ExtraShift.objects.get(technician=maya)
    assert shift.starts_at == datetime(2030, 6, 8, 10, 0, tzinfo=NY)
    past = client.post("/portal/availability/", {"action": "extra", "date": "2030-06-04", "start": "10:00", "end": "14:00"})
    assert past.status_code == 200 and b"in the past" in past.content
    backwards = client.post("/portal/availability/", {"action": "extra", "date": "2030-06-09", "start": "14:00", "end": "10:00"})
    assert backwards.status_code == 200 and ExtraShift.objects.filter(technician=maya).count() == 1
    held = _booking(demo_spa, maya, datetime(2030, 6, 8, 11, 0, tzinfo=NY))  # Saturday: only the extra shift covers it
    page = client.post("/portal/availability/", {"action": "remove-extra", "extra_shift": shift.pk}, follow=True)
    assert held.reference.encode() in page.content and ExtraShift.objects.filter(pk=shift.pk).exists()
    held.status = BookingStatus.CANCELLED
    held.save(update_fields=["status"])
    client.post("/portal/availability/", {"action": "remove-extra", "extra_shift": shift.pk})
    assert not ExtraShift.objects.filter(pk=shift.pk).exists()


def test_time_off_request_is_pending_and_past_is_refused(demo_spa, maya, django_assert_max_num_queries):
    client = _signed_in(demo_spa.tech)
    body = {"start_date": "2030-06-20", "start_time": "09:00", "end_date": "2030-06-21", "end_time": "21:00", "reason": "wedding"}
    assert client.post("/portal/time-off/", body).status_code == 302
    request = TimeOff.objects.get(technician=maya)
    assert request.status == ReviewStatus.PENDING and request.starts_at == datetime(2030, 6, 20, 9, 0, tzinfo=NY)
    with django_assert_max_num_queries(5):
        page = client.get("/portal/time-off/")
    assert b"wedding" in page.content and b"Pending" in page.content
    past = client.post("/portal/time-off/", {**body, "start_date": "2030-06-01"})
    assert past.status_code == 200 and b"in the past" in past.content and TimeOff.objects.filter(technician=maya).count() == 1


@pytest.mark.parametrize("path", PAGES)
def test_who_may_see_the_portal(demo_spa, maya, path):
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert _signed_in(demo_spa.premium).get(path).status_code == 403
    assert _signed_in(demo_spa.guest).get(path).status_code == 403
    manager = _signed_in(demo_spa.manager)
    page = manager.get(f"{path}?technician={maya.pk}")
    assert page.status_code == 200 and b"Maya Rivera" in page.content and b"viewed by a manager" in page.content


def test_a_manager_looks_but_does_not_change_a_technicians_day(demo_spa, maya, day_of):
    manager = _signed_in(demo_spa.manager)
    assert b"/complete/" not in manager.get(f"/portal/?technician={maya.pk}").content
    assert manager.post(f"/portal/bookings/{day_of['started'].reference}/complete/").status_code == 403
    assert manager.post("/portal/hours/", {"date": "2030-06-05", "hours": "7.5", "technician": maya.pk}).status_code == 403
    assert not WorkLog.objects.filter(technician=maya).exists()


def _pending(maya, day=date(2030, 6, 4), hours="7.50"):
    return WorkLog.objects.create(technician=maya, date=day, hours=Decimal(hours), history=[])


def test_the_manager_approves_and_rejects_with_a_reason_and_sees_the_payroll(demo_spa, maya):
    log = _pending(maya)
    rejected = _pending(maya, date(2030, 6, 3), "9.00")
    manager = _signed_in(demo_spa.manager)
    page = manager.get("/manager/hours/")
    assert page.status_code == 200 and f'id="worklog-{log.pk}"'.encode() in page.content
    assert manager.post(f"/manager/hours/{log.pk}/approve/").status_code == 302
    log.refresh_from_db()
    assert log.status == ReviewStatus.APPROVED and log.reviewed_by == demo_spa.manager and log.history[-1]["action"] == "approved"
    no_reason = manager.post(f"/manager/hours/{rejected.pk}/reject/", {"reason": ""}, follow=True)
    rejected.refresh_from_db()
    assert rejected.status == ReviewStatus.PENDING and b"Say why" in no_reason.content
    manager.post(f"/manager/hours/{rejected.pk}/reject/", {"reason": "Shift was 6 h"})
    rejected.refresh_from_db()
    assert rejected.status == ReviewStatus.REJECTED and rejected.reason == "Shift was 6 h"
    page = manager.get("/manager/hours/?week=2030-W23").content.decode()
    assert "$285.00" in page  # 7.50 h × $38.00
    assert 'href="/api/v1/manager/payroll.csv?week=2030-W23"' in page
    csv = manager.get("/api/v1/manager/payroll.csv?week=2030-W23")
    assert csv.status_code == 200 and "Maya Rivera,7.50,38.00,285.00" in csv.content.decode()


def test_time_off_review_page(demo_spa, maya):
    request = TimeOff.objects.create(technician=maya, starts_at=NOW + timedelta(days=10), ends_at=NOW + timedelta(days=11),
                                     status=ReviewStatus.PENDING, reason="dentist")
    manager = _signed_in(demo_spa.manager)
    assert b"dentist" in manager.get("/manager/time-off/").content
    manager.post(f"/manager/time-off/{request.pk}/approve/")
    request.refresh_from_db()
    assert request.status == ReviewStatus.APPROVED and request.reviewed_by == demo_spa.manager


@pytest.mark.parametrize("path", ["/manager/hours/", "/manager/time-off/"])
def test_manager_pages_are_for_managers(demo_spa, maya, path):
    assert Client().get(path).status_code == 302
    for user in (demo_spa.tech, demo_spa.premium):
        assert _signed_in(user).get(path).status_code == 403
    log = _pending(maya)
    assert _signed_in(demo_spa.tech).post(f"/manager/hours/{log.pk}/approve/").status_code == 403
    log.refresh_from_db()
    assert log.status == ReviewStatus.PENDING


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_no_inline_script_or_handlers_on_staff_pages(demo_spa, maya, day_of):
    _pending(maya)
    pages = [(_signed_in(demo_spa.tech), p) for p in PAGES] + [(_signed_in(demo_spa.manager), p) for p in
                                                               ("/manager/", "/manager/hours/", "/manager/time-off/")]
    for client, path in pages:
        html = client.get(path).content.decode()
        assert not INLINE_SCRIPT.search(html), path
        assert not INLINE_HANDLER.search(html), path


@pytest.mark.django_db
def test_the_menu_leads_each_role_to_its_own_pages(client, demo_spa):
    client.force_login(demo_spa.tech)
    page = client.get("/").content.decode()
    assert 'href="/portal/"' in page and 'href="/manager/"' not in page
    client.force_login(demo_spa.manager)
    page = client.get("/").content.decode()
    assert 'href="/manager/"' in page and 'href="/manager/hours/"' in page and 'href="/portal/"' not in page
    client.force_login(demo_spa.base)
    page = client.get("/").content.decode()
    assert 'href="/portal/"' not in page and 'href="/manager/"' not in page
