"""booking_create / cancel / reschedule / expire holds / idempotency, on the small spa ("now" is Monday 08:00)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from coresync.bookings import signals
from coresync.bookings.models import Booking, BookingStatus, IdempotencyKey
from coresync.bookings.selectors import availability_for
from coresync.bookings.services import (
    MAX_NOTES,
    GuestDetails,
    booking_cancel,
    booking_create,
    booking_create_idempotent,
    booking_reschedule,
    bookings_expire_holds,
)
from coresync.core.errors import (
    CancellationWindowClosed,
    IdempotencyKeyReused,
    InvalidBookingState,
    OutsideBookingWindow,
    SlotUnavailable,
    ValidationFailed,
)
from coresync.memberships.tests.factories import MembershipFactory, MembershipTierFactory, UserFactory

from .support import MONDAY, NOW, at, walls

TUESDAY = MONDAY + timedelta(days=1)
GUEST = GuestDetails(name="Ada Guest", email="ada@example.test", phone="+1 212 555 0100")


def book(spa, day=TUESDAY, wall="11:00", **kwargs):
    kwargs.setdefault("guest", GUEST)
    kwargs.setdefault("now", NOW)
    return booking_create(service=spa.service.slug, start=at(day, wall), **kwargs)


def offered(spa, day=TUESDAY, now=NOW):
    return walls(availability_for(service=spa.service.slug, date_from=day, date_to=day, now=now))


# --- create ---------------------------------------------------------------------------------------------------------


def test_on_site_mode_confirms_at_once_with_a_price_snapshot(spa):
    booking = book(spa)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.hold_expires_at is None
    assert re.fullmatch(r"CS-[2-9A-HJKMNP-TV-Z]{6}", booking.reference)
    assert (booking.start, booking.end, booking.blocked_until) == (at(TUESDAY, "11:00"), at(TUESDAY, "12:00"), at(TUESDAY, "12:15"))
    assert (booking.technician_id, booking.room_id) == (spa.technician.id, spa.room.id)
    assert (booking.customer_name, booking.customer_email, booking.customer_phone) == ("Ada Guest", "ada@example.test", "+1 212 555 0100")
    assert (booking.subtotal, booking.discount, booking.tax, booking.total) == (
        Decimal("100.00"), Decimal("0.00"), Decimal("8.88"), Decimal("108.88"),
    )
    assert booking.price_column == "non_member" and booking.channel == "web"
    assert "11:00" not in offered(spa)


def test_a_member_pays_their_column_and_add_ons_are_stored_per_line(spa):
    member = MembershipFactory(tier=MembershipTierFactory(price_column="premium", discount_percent=Decimal("40"), booking_window_days=90)).user

    booking = book(spa, customer=member, guest=None, addons=[spa.addon.slug])

    assert booking.customer == member and booking.customer_email == member.email
    assert (booking.price_column, booking.subtotal, booking.discount, booking.total) == (
        "premium", Decimal("120.00"), Decimal("48.00"), Decimal("78.39"),  # 60 + 12 charged, tax 8.875% of 72 = 6.39
    )
    assert [(a.name, a.extra_minutes, a.amount) for a in booking.booking_addons.all()] == [(spa.addon.name, 30, Decimal("12.00"))]
    assert booking.end - booking.start == timedelta(minutes=90)


def test_confirmed_bookings_announce_themselves_after_commit(spa, django_capture_on_commit_callbacks):
    heard = []
    signals.booking_confirmed.connect(lambda sender, booking, **kw: heard.append(booking.reference), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            booking = book(spa)
    finally:
        signals.booking_confirmed.disconnect(dispatch_uid="t")

    assert heard == [booking.reference]


def test_a_taken_start_is_refused_with_slot_unavailable(spa):
    book(spa)

    with pytest.raises(SlotUnavailable) as taken:
        book(spa, wall="12:00")  # inside the first booking's buffer
    assert taken.value.code == "slot_unavailable"
    assert Booking.objects.filter(service=spa.service.id).count() == 1


def test_a_named_technician_is_booked_or_refused(spa):
    spa.add_room()
    second = spa.add_technician()

    assert book(spa, technician=second.id).technician_id == second.id
    with pytest.raises(SlotUnavailable):
        book(spa, technician=second.id, wall="11:30")
    assert book(spa, wall="11:30").technician_id == spa.technician.id


# --- online payment holds -------------------------------------------------------------------------------------------


@pytest.fixture
def online(settings):
    settings.BOOKING_PAYMENT_MODE = "online"
    settings.BOOKING_HOLD_MINUTES = 15


def test_online_mode_holds_the_slot_for_fifteen_minutes(spa, online):
    booking = book(spa)

    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert booking.hold_expires_at == NOW + timedelta(minutes=15)
    assert "11:00" not in offered(spa)


def test_expired_holds_release_the_slot_once(spa, online):
    booking = book(spa)

    assert bookings_expire_holds(now=NOW + timedelta(minutes=14, seconds=59)) == 0
    assert bookings_expire_holds(now=NOW + timedelta(minutes=15)) == 1
    assert bookings_expire_holds(now=NOW + timedelta(minutes=16)) == 0  # idempotent

    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED
    assert "11:00" in offered(spa)
    assert book(spa).status == BookingStatus.PENDING_PAYMENT  # someone else can take it now


def test_expiring_holds_leaves_confirmed_bookings_alone(spa, online):
    admin_booking = book(spa, channel="admin")  # staff bookings are confirmed even in online mode

    assert admin_booking.status == BookingStatus.CONFIRMED
    assert bookings_expire_holds(now=NOW + timedelta(days=1)) == 0
    admin_booking.refresh_from_db()
    assert admin_booking.status == BookingStatus.CONFIRMED


# --- the booking window ---------------------------------------------------------------------------------------------


def test_a_guest_cannot_book_past_three_days(spa):
    with pytest.raises(OutsideBookingWindow) as refused:
        book(spa, day=MONDAY + timedelta(days=4))

    assert refused.value.code == "outside_booking_window"
    assert refused.value.extra == {"window_ends": (MONDAY + timedelta(days=3)).isoformat()}
    assert book(spa, day=MONDAY + timedelta(days=3)).status == BookingStatus.CONFIRMED


def test_members_book_as_far_as_their_tier_allows(spa):
    member = MembershipFactory(tier=MembershipTierFactory(booking_window_days=60)).user

    assert book(spa, day=MONDAY + timedelta(days=60), customer=member, guest=None).customer == member
    with pytest.raises(OutsideBookingWindow):
        book(spa, day=MONDAY + timedelta(days=61), customer=member, guest=None)


def test_staff_bookings_ignore_window_and_lead_time(spa):
    assert book(spa, day=MONDAY + timedelta(days=200), channel="admin").status == BookingStatus.CONFIRMED
    assert book(spa, day=MONDAY, wall="09:00", channel="admin").start == at(MONDAY, "09:00")


# --- invalid starts and input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "wall", "code"),
    [
        (TUESDAY, "11:10", "invalid_start"),  # off the 15-minute grid
        (TUESDAY, "08:45", "invalid_start"),  # before opening
        (TUESDAY, "16:15", "invalid_start"),  # would end after closing
        (TUESDAY, "17:00", "invalid_start"),
        (MONDAY, "07:00", "start_in_past"),
        (MONDAY, "08:00", "start_in_past"),  # exactly now
        (MONDAY, "09:45", "start_too_soon"),  # inside the 2 h lead time
    ],
)
def test_invalid_starts_have_their_error_codes(spa, day, wall, code):
    with pytest.raises(ValidationFailed) as refused:
        book(spa, day=day, wall=wall)

    assert refused.value.code == code
    assert "start" in refused.value.fields
    assert not Booking.objects.filter(service=spa.service.id).exists()


def test_a_start_with_seconds_is_not_on_the_grid(spa):
    with pytest.raises(ValidationFailed) as refused:
        booking_create(service=spa.service.slug, start=at(TUESDAY, "11:00") + timedelta(seconds=30), guest=GUEST, now=NOW)

    assert refused.value.code == "invalid_start"


def test_a_naive_start_is_read_as_local_wall_time(spa):
    booking = booking_create(service=spa.service.slug, start=at(TUESDAY, "11:00").replace(tzinfo=None), guest=GUEST, now=NOW)

    assert booking.start == at(TUESDAY, "11:00")


@pytest.mark.parametrize(
    ("guest", "notes", "field"),
    [
        (GuestDetails(name="Ada", email="not-an-email"), "", "guest.email"),
        (GuestDetails(name="Ada", email="ada@example"), "", "guest.email"),
        (GuestDetails(name="", email="ada@example.test"), "", "guest.name"),
        (GuestDetails(name="Ada\x00", email="ada@example.test"), "", "guest.name"),
        (GuestDetails(name="Ada", email="ada@example.test\x1b"), "", "guest.email"),
        (GuestDetails(name="A" * 151, email="ada@example.test"), "", "guest.name"),
        (GuestDetails(name="Ada", email="ada@example.test", phone="call me"), "", "guest.phone"),
        (GuestDetails(name="Ada", email="ada@example.test"), "x" * (MAX_NOTES + 1), "notes"),
        (GuestDetails(name="Ada", email="ada@example.test"), "hello\x07", "notes"),
        (None, "", "guest"),
    ],
)
def test_bad_guest_details_are_refused_field_by_field(spa, guest, notes, field):
    with pytest.raises(ValidationFailed) as refused:
        booking_create(service=spa.service.slug, start=at(TUESDAY, "11:00"), guest=guest, notes=notes, now=NOW)

    assert field in refused.value.fields
    assert not Booking.objects.filter(service=spa.service.id).exists()


def test_notes_up_to_the_limit_and_newlines_are_kept(spa):
    notes = ("Line one\nLine two\t" + "x" * MAX_NOTES)[:MAX_NOTES]

    assert book(spa, notes=notes).notes == notes


def test_an_unknown_channel_is_refused(spa):
    with pytest.raises(ValidationFailed) as refused:
        book(spa, channel="carrier-pigeon")
    assert "channel" in refused.value.fields


# --- idempotency ----------------------------------------------------------------------------------------------------


def idempotent(spa, key, payload, owner="ip:203.0.113.9", wall="11:00"):
    return booking_create_idempotent(
        owner=owner, key=key, payload=payload, render=lambda b: {"reference": b.reference},
        service=spa.service.slug, start=at(TUESDAY, wall), guest=GUEST, now=NOW,
    )


def test_the_same_key_and_payload_replays_the_first_answer(spa):
    payload = {"service": spa.service.slug, "start": "2030-06-04T11:00:00-04:00"}

    first = idempotent(spa, "key-1", payload)
    again = idempotent(spa, "key-1", dict(payload))

    assert first[0] == again[0] == 201
    assert again[1] == first[1] and again[2] is True and first[2] is False
    assert Booking.objects.filter(service=spa.service.id).count() == 1
    assert IdempotencyKey.objects.get(key="key-1").booking.reference == first[1]["reference"]


def test_the_same_key_with_another_payload_is_refused(spa):
    idempotent(spa, "key-1", {"start": "11:00"})

    with pytest.raises(IdempotencyKeyReused) as reused:
        idempotent(spa, "key-1", {"start": "12:30"}, wall="12:30")
    assert reused.value.code == "idempotency_key_reused"
    assert Booking.objects.filter(service=spa.service.id).count() == 1


def test_keys_belong_to_their_owner(spa):
    idempotent(spa, "key-1", {"start": "11:00"})
    other = idempotent(spa, "key-1", {"start": "11:00"}, owner="user:42", wall="13:00")

    assert other[2] is False
    assert Booking.objects.filter(service=spa.service.id).count() == 2


def test_a_failed_booking_leaves_no_key_behind(spa):
    book(spa)

    with pytest.raises(SlotUnavailable):
        idempotent(spa, "key-1", {"start": "11:00"})
    assert not IdempotencyKey.objects.filter(key="key-1").exists()


# --- cancel ---------------------------------------------------------------------------------------------------------


def test_cancelling_before_the_24_hours_frees_the_slot(spa):
    booking = book(spa)

    cancelled = booking_cancel(booking=booking, reason="Flight moved", now=at(MONDAY, "10:59"))

    cancelled.refresh_from_db()
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.cancelled_at == at(MONDAY, "10:59")
    assert cancelled.cancellation_reason == "Flight moved"
    assert "11:00" in offered(spa)


def test_cancelling_inside_24_hours_is_refused_but_staff_may(spa):
    booking = book(spa)

    with pytest.raises(CancellationWindowClosed) as closed:
        booking_cancel(booking=booking, now=at(MONDAY, "11:01"))
    assert closed.value.code == "cancellation_window_closed"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED

    staff = UserFactory(is_staff=True)
    assert booking_cancel(booking=booking, actor=staff, now=at(TUESDAY, "10:30")).status == BookingStatus.CANCELLED


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW])
def test_only_live_bookings_can_be_cancelled(spa, status):
    booking = book(spa)
    Booking.objects.filter(pk=booking.pk).update(status=status)

    with pytest.raises(InvalidBookingState):
        booking_cancel(booking=booking, actor=UserFactory(is_staff=True), now=NOW)


def test_a_started_booking_cannot_be_cancelled_even_by_staff(spa):
    booking = book(spa)

    with pytest.raises(InvalidBookingState):
        booking_cancel(booking=booking, actor=UserFactory(is_staff=True), now=at(TUESDAY, "11:00"))


# --- reschedule -----------------------------------------------------------------------------------------------------


def test_rescheduling_keeps_the_technician_when_free_and_frees_the_old_slot(spa):
    spa.add_room()
    second = spa.add_technician()
    booking = book(spa, technician=second.id)

    moved = booking_reschedule(booking=booking, start=at(TUESDAY, "14:00"), now=NOW)

    moved.refresh_from_db()
    assert moved.technician_id == second.id  # the lower id would win a fresh booking; the guest keeps their technician
    assert (moved.start, moved.end, moved.blocked_until) == (at(TUESDAY, "14:00"), at(TUESDAY, "15:00"), at(TUESDAY, "15:15"))
    assert moved.rescheduled_from == at(TUESDAY, "11:00")
    assert moved.reference == booking.reference
    assert Booking.objects.filter(service=spa.service.id).count() == 1
    assert book(spa, technician=second.id).technician_id == second.id  # 11:00 with them is free again


def test_rescheduling_moves_to_another_technician_when_theirs_is_busy(spa):
    spa.add_room()
    second = spa.add_technician()
    booking = book(spa, technician=second.id)
    book(spa, wall="14:00", technician=second.id)

    moved = booking_reschedule(booking=booking, start=at(TUESDAY, "14:00"), now=NOW)

    assert moved.technician_id == spa.technician.id


def test_rescheduling_onto_a_taken_time_changes_nothing(spa):
    booking = book(spa)
    book(spa, wall="14:00")

    with pytest.raises(SlotUnavailable):
        booking_reschedule(booking=booking, start=at(TUESDAY, "14:30"), now=NOW)
    booking.refresh_from_db()
    assert booking.start == at(TUESDAY, "11:00")


def test_rescheduling_to_a_nearby_overlapping_time_is_allowed(spa):
    booking = book(spa)

    moved = booking_reschedule(booking=booking, start=at(TUESDAY, "11:30"), now=NOW)  # overlaps only itself

    assert moved.start == at(TUESDAY, "11:30")


def test_rescheduling_respects_the_windows(spa):
    booking = book(spa)

    with pytest.raises(OutsideBookingWindow):
        booking_reschedule(booking=booking, start=at(MONDAY + timedelta(days=4), "11:00"), now=NOW)
    with pytest.raises(CancellationWindowClosed):
        booking_reschedule(booking=booking, start=at(MONDAY + timedelta(days=3), "11:00"), now=at(MONDAY, "11:30"))
    with pytest.raises(ValidationFailed) as off_grid:
        booking_reschedule(booking=booking, start=at(TUESDAY, "14:05"), now=NOW)
    assert off_grid.value.code == "invalid_start"
    booking.refresh_from_db()
    assert booking.start == at(TUESDAY, "11:00")


def test_a_cancelled_booking_cannot_be_rescheduled(spa):
    booking = booking_cancel(booking=book(spa), now=NOW)

    with pytest.raises(InvalidBookingState):
        booking_reschedule(booking=booking, start=at(TUESDAY, "14:00"), now=NOW)
