"""Account pages: nothing is cancelled or moved without a confirm step, the change policy comes from the
bookings services, cancelled bookings have their own group, and money and times read as in chat and e-mail."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from coresync.bookings.models import BookingStatus
from coresync.core.formatting import format_datetime, format_money, format_time
from coresync.web.links import booking_manage_path

TWENTY_FOUR_HOUR = re.compile(r"\b(?:[01]\d|2[0-3]):[0-5]\d\b(?!\s?[AP]M)")


def _local(booking, moment):
    return moment.astimezone(ZoneInfo(booking.location.timezone))


def _free_times(client, url, booking) -> list[str]:
    day = _local(booking, booking.start + timedelta(days=1)).date()
    response = client.get(url, {"action": "reschedule", "day": day.isoformat()})
    assert response.status_code == 200
    return [iso for iso, _local_start in response.context["slots"]]


def test_cancel_on_the_booking_page_asks_before_it_cancels(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    url = reverse("web:my-booking", args=[premium_booking.reference])
    html = client.get(url).content.decode()
    assert 'name="confirm"' not in html, "the plain page offers no one-tap cancel"
    response = client.post(url, {"action": "cancel"})  # an old form or a double tap: asks, changes nothing
    assert response.status_code == 302 and response["Location"] == f"{url}?action=cancel"
    premium_booking.refresh_from_db()
    assert premium_booking.status == BookingStatus.CONFIRMED
    html = client.get(response["Location"]).content.decode()
    assert "Cancel this booking?" in html and "Yes, cancel it" in html and "Keep my booking" in html
    client.post(url, {"action": "cancel", "confirm": "yes"})
    premium_booking.refresh_from_db()
    assert premium_booking.status == BookingStatus.CANCELLED and premium_booking.ics_sequence == 1


def test_reschedule_picks_a_free_time_then_confirms_it(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    url = reverse("web:my-booking", args=[premium_booking.reference])
    old_start = premium_booking.start
    new_start = _free_times(client, url, premium_booking)[2]
    # Picking a time shows what will change and asks.
    response = client.post(url, {"action": "reschedule", "start": new_start})
    assert response.status_code == 302 and "action=reschedule" in response["Location"]
    premium_booking.refresh_from_db()
    assert premium_booking.start == old_start, "a tap on a time moves nothing"
    html = client.get(url, {"action": "reschedule", "start": new_start}).content.decode()
    target = timezone.datetime.fromisoformat(new_start)
    assert "Move this booking?" in html and format_datetime(_local(premium_booking, target)) in html
    assert format_datetime(_local(premium_booking, old_start)) in html
    client.post(url, {"action": "reschedule", "start": new_start, "confirm": "yes"})
    premium_booking.refresh_from_db()
    assert premium_booking.start == target and premium_booking.ics_sequence == 1
    page = client.get(url).content.decode()
    assert "is moved to" in page and format_time(_local(premium_booking, target)) in page


def test_guest_with_a_manage_link_confirms_too(client, demo_spa, free_slot):
    from coresync.bookings.services import GuestDetails, booking_create

    booking = booking_create(
        service="swedish-massage", start=free_slot(days_ahead=2), guest=GuestDetails("Lena Park", "lena@example.com", "+12125550100")
    )
    path = booking_manage_path(booking)
    client.post(path, {"action": "cancel"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    client.post(path, {"action": "cancel", "confirm": "yes"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_change_policy_is_the_bookings_rule(client, demo_spa, premium_booking):
    """The deadline shown is the one ``booking_cancel`` enforces, whatever the location's setting."""
    from coresync.bookings.services import booking_change_deadline

    location = premium_booking.location
    location.free_cancellation_hours = 48
    location.save()
    premium_booking.refresh_from_db()
    client.force_login(demo_spa.premium)
    html = client.get(reverse("web:my-booking", args=[premium_booking.reference])).content.decode()
    deadline = _local(premium_booking, booking_change_deadline(premium_booking))
    assert f"Free to cancel or move until {format_datetime(deadline)} (48 hours before the start)" in html
    # Inside the window the page offers no change at all (the services would refuse it).
    premium_booking.start = timezone.now() + timedelta(hours=30)
    premium_booking.end = premium_booking.start + timedelta(hours=1)
    premium_booking.blocked_until = premium_booking.end
    premium_booking.save()
    html = client.get(reverse("web:my-booking", args=[premium_booking.reference])).content.decode()
    assert "Move to another time" not in html and "can no longer be changed online" in html


def test_cancelled_future_booking_is_listed_as_cancelled_not_past(client, demo_spa, premium_booking):
    from coresync.bookings.services import booking_cancel

    booking_cancel(booking=premium_booking, actor=demo_spa.premium)
    client.force_login(demo_spa.premium)
    response = client.get(reverse("web:my-bookings"))
    assert [r.booking.reference for r in response.context["cancelled"]] == [premium_booking.reference]
    assert response.context["past"] == [] and response.context["upcoming"] == []
    html = response.content.decode()
    cancelled = html[html.index('id="cancelled-title"'):html.index('id="past-title"')]
    assert premium_booking.reference in cancelled


def test_money_and_times_read_as_in_chat_and_email(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    start = _local(premium_booking, premium_booking.start)
    for url in (reverse("web:my-bookings"), reverse("web:my-booking", args=[premium_booking.reference])):
        html = client.get(url).content.decode()
        text = re.sub(r"<[^>]+>", " ", html)
        assert format_time(start) in text, url
        assert not TWENTY_FOUR_HOUR.search(text), (url, TWENTY_FOUR_HOUR.search(text))
        assert "USD" not in text, url
    html = client.get(reverse("web:my-booking", args=[premium_booking.reference])).content.decode()
    assert format_money(premium_booking.total) in html
    assert premium_booking.discount and f"You save {format_money(premium_booking.discount)}" in html
    assert "member saving" not in html


def test_account_pages_show_the_spa_address_and_phone_in_the_footer(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    location = demo_spa.location
    first_line = location.address.splitlines()[0].strip()
    for url in (
        reverse("web:my-bookings"), reverse("web:my-membership"),
        reverse("web:my-booking", args=[premium_booking.reference]), "/legal/terms/",
    ):
        html = client.get(url).content.decode()
        footer = html[html.index('<footer class="site-footer">'):]
        assert first_line in footer and f'href="tel:{location.phone}"' in footer, url


def test_a_garbled_or_far_future_time_is_a_message_not_an_error(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    url = reverse("web:my-booking", args=[premium_booking.reference])
    for start in ("9999-12-31T23:59:59-12:00", "not-a-time", "2026-12-04T10:00"):
        response = client.get(url, {"action": "reschedule", "start": start})
        assert response.status_code == 200 and "Choose one of the times offered." in response.content.decode(), start
        response = client.post(url, {"action": "reschedule", "start": start, "confirm": "yes"}, follow=True)
        assert response.status_code == 200 and "Choose one of the times offered." in response.content.decode(), start
    for day in ("9999-12-31", "0001-01-01", "2026-02-30", "x"):
        assert client.get(url, {"action": "reschedule", "day": day}).status_code == 200, day
    premium_booking.refresh_from_db()
    assert premium_booking.ics_sequence == 0


def test_the_times_offered_leave_out_the_bookings_own(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    url = reverse("web:my-booking", args=[premium_booking.reference])
    day = _local(premium_booking, premium_booking.start).date()
    offered = client.get(url, {"action": "reschedule", "day": day.isoformat()}).context["slots"]
    assert offered and premium_booking.start not in [local for _iso, local in offered]
