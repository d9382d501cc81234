from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from coresync.bookings.models import BookingStatus
from coresync.core.formatting import format_date
from coresync.web.links import booking_manage_path, booking_manage_token

PASSWORD = "coresync-demo"


def test_signup_creates_customer_and_signs_in(client, demo_spa):
    response = client.post(
        reverse("web:signup"),
        {"name": "Ada Quiet", "email": "Ada@Example.com", "phone": "+1 212 555 0100", "password": "a-long-calm-evening"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:my-bookings")
    user = get_user_model().objects.get(email="ada@example.com")
    assert user.name == "Ada Quiet" and user.check_password("a-long-calm-evening")
    assert client.get(reverse("web:my-bookings")).status_code == 200


def test_signup_rejects_taken_email_and_weak_password(client, demo_spa):
    response = client.post(reverse("web:signup"), {"name": "X", "email": "guest@coresync.test", "password": "123"})
    html = response.content.decode()
    assert response.status_code == 200 and "already exists" in html and "too short" in html


def test_login_by_email_and_logout(client, demo_spa):
    response = client.post(reverse("web:login"), {"username": "premium@coresync.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("web:my-membership")).status_code == 200
    client.post(reverse("web:logout"))
    assert client.get(reverse("web:my-membership")).status_code == 302


def test_password_reset_by_email(client, demo_spa):
    client.post(reverse("web:password_reset"), {"email": "guest@coresync.test"})
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    response = client.post(form.redirect_chain[-1][0], {"new_password1": "quiet-evening-42", "new_password2": "quiet-evening-42"})
    assert response.status_code == 302
    assert client.login(username="guest@coresync.test", password="quiet-evening-42")


def test_account_pages_need_sign_in(client, demo_spa):
    for name in ("web:my-bookings", "web:my-membership"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_my_bookings_lists_upcoming_and_cancels_only_after_confirming(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    html = client.get(reverse("web:my-bookings")).content.decode()
    assert premium_booking.reference in html and "Swedish Massage" in html
    url = reverse("web:my-booking-cancel", args=[premium_booking.reference])
    response = client.post(url)  # one tap: asks first
    assert response.status_code == 302 and response["Location"].endswith("?action=cancel")
    premium_booking.refresh_from_db()
    assert premium_booking.status == BookingStatus.CONFIRMED
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    premium_booking.refresh_from_db()
    assert premium_booking.status == BookingStatus.CANCELLED


def test_other_customers_cannot_see_a_booking(client, demo_spa, premium_booking):
    client.force_login(demo_spa.base)
    assert client.get(reverse("web:my-booking", args=[premium_booking.reference])).status_code == 404
    assert client.post(reverse("web:my-booking-cancel", args=[premium_booking.reference])).status_code == 404


def test_cancel_inside_24_hours_is_refused_with_a_message(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    premium_booking.start = timezone.now() + timedelta(hours=3)
    premium_booking.end = premium_booking.start + timedelta(hours=1)
    premium_booking.blocked_until = premium_booking.end
    premium_booking.save()
    response = client.post(reverse("web:my-booking-cancel", args=[premium_booking.reference]), {"confirm": "yes"}, follow=True)
    assert "Please call the spa" in response.content.decode()
    premium_booking.refresh_from_db()
    assert premium_booking.status == BookingStatus.CONFIRMED


def test_reschedule_offers_free_times_and_moves_the_booking(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    url = reverse("web:my-booking", args=[premium_booking.reference])
    day = (premium_booking.start + timedelta(days=1)).astimezone(timezone.get_current_timezone()).date()
    response = client.get(url, {"day": day.isoformat()})
    slots = response.context["slots"]
    assert slots, "the engine offers free times"
    new_start = slots[0][0]
    response = client.post(url, {"action": "reschedule", "start": new_start, "confirm": "yes"})
    assert response.status_code == 302
    premium_booking.refresh_from_db()
    assert premium_booking.start.isoformat()[:16] == timezone.datetime.fromisoformat(new_start).astimezone(premium_booking.start.tzinfo).isoformat()[:16]


def test_booking_page_shows_the_customers_own_price(client, demo_spa, premium_booking):
    client.force_login(demo_spa.premium)
    html = client.get(reverse("web:my-booking", args=[premium_booking.reference])).content.decode()
    assert f"${premium_booking.total:,.2f}" in html


def test_guest_manages_booking_through_signed_link(client, demo_spa, free_slot):
    from coresync.bookings.services import GuestDetails, booking_create

    booking = booking_create(
        service="swedish-massage", start=free_slot(days_ahead=2), guest=GuestDetails("Lena Park", "lena@example.com", "+12125550100")
    )
    path = booking_manage_path(booking)
    html = client.get(path + "?action=cancel").content.decode()
    assert booking.reference in html and "Cancel this booking?" in html
    response = client.post(path, {"action": "cancel", "confirm": "yes"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


@pytest.mark.parametrize("tamper", ["bad-token", "other-email"])
def test_forged_or_mismatched_links_are_refused(client, demo_spa, premium_booking, tamper):
    if tamper == "bad-token":
        token = booking_manage_token(reference=premium_booking.reference, email=premium_booking.customer_email) + "x"
    else:
        token = booking_manage_token(reference=premium_booking.reference, email="someone@else.test")
    assert client.get(reverse("web:manage-booking", args=[token])).status_code == 404


def test_my_membership_shows_tier_renewal_and_benefits_without_price(client, demo_spa):
    client.force_login(demo_spa.premium)
    html = client.get(reverse("web:my-membership")).content.decode()
    membership = demo_spa.premium.memberships.get()
    assert "Premium" in html and membership.member_number in html and "40% off" in html
    assert format_date(membership.started_on, with_year=True) in html  # dates as the chat and e-mails write them
    assert str(membership.tier.monthly_price) not in html and "$" not in html


def test_non_member_sees_tiers_to_join(client, demo_spa):
    client.force_login(demo_spa.guest)
    html = client.get(reverse("web:my-membership")).content.decode()
    assert "not a member yet" in html and "Base" in html and "Premium" in html


@pytest.mark.parametrize("reference", ["CS-\x00ABC", "CS ABC", "x" * 300])
def test_a_reference_that_is_not_one_never_reaches_the_database(client, demo_spa, reference):
    """A NUL byte in the path is a 500 on PostgreSQL if it gets as far as a query: it must not match at all."""
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(f"/accounts/bookings/{reference}/")
    client.force_login(demo_spa.premium)
    assert client.get(f"/accounts/bookings/{reference}/").status_code == 404
    assert client.post(f"/accounts/bookings/{reference}/cancel/").status_code == 404
