"""The admin runs the spa: every list loads, and the front desk books through the booking service."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib import admin
from django.urls import reverse

from coresync.bookings.models import Booking

NY = ZoneInfo("America/New_York")


@pytest.fixture
def manager_client(client, demo_spa):
    client.force_login(demo_spa.manager)
    return client


def test_every_admin_list_and_add_page_loads(manager_client):
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert manager_client.get(changelist).status_code == 200, changelist
        add = manager_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code in (200, 403), opts.label


def test_booking_list_filters_and_search(manager_client, demo_spa):
    url = reverse("admin:bookings_booking_changelist")
    assert manager_client.get(url, {"status__exact": "confirmed", "channel__exact": "admin", "q": "CS-"}).status_code == 200


@time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=NY), tick=False)
def test_front_desk_books_through_the_service_and_sees_conflicts(manager_client, demo_spa):
    url = reverse("admin:bookings_booking_add")
    form = {
        "service_choice": demo_spa.services["swedish-massage"].pk,
        "start_at": "2026-12-01 09:15",  # staff may book inside the online lead time
        "technician_choice": demo_spa.technicians["Maya Rivera"].pk,
        "guest_name": "Walk In",
        "guest_email": "walkin@example.com",
        "guest_phone": "",
        "notes": "Prefers a quiet room",
    }
    response = manager_client.post(url, form)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.channel == "admin" and booking.customer_email == "walkin@example.com"
    assert booking.start == datetime(2026, 12, 1, 9, 15, tzinfo=NY) and booking.total > 0

    again = manager_client.post(url, {**form, "guest_email": "second@example.com"}, follow=True)
    assert Booking.objects.count() == 1
    assert "Not booked" in again.content.decode()
    change = manager_client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert change.status_code == 200 and booking.reference in change.content.decode()


@time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=NY), tick=False)
def test_cancel_action_uses_the_service(manager_client, demo_spa):
    from coresync.bookings.services import GuestDetails, booking_create

    booking = booking_create(service="swedish-massage", start=datetime(2026, 12, 2, 11, 0, tzinfo=NY),
                             guest=GuestDetails("Ann Lee", "ann@example.com"))
    response = manager_client.post(reverse("admin:bookings_booking_changelist"),
                                   {"action": "cancel_bookings", "_selected_action": [booking.pk]})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_at is not None
