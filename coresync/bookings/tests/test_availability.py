"""Availability rules one by one (SPEC §3), each on a small purpose-built spa.

The spa (``support.small_spa``): open 09:00–17:00 daily, 15-minute grid, 2 h lead
time, one room, one technician working 09:00–17:00 daily, one service of 60 min
+ 15 min buffer. "Now" is Monday 2030-06-03 08:00 New York.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_create
from coresync.bookings.tests.factories import BookingFactory
from coresync.catalog.tests.factories import RoomTypeFactory, SkillFactory
from coresync.core.errors import ApplicationError, ValidationFailed
from coresync.integrations.calendar import BusyBlock
from coresync.technicians.tests.factories import ExtraShiftFactory, TimeOffFactory

from .support import MONDAY, NOW, at, days_offered, small_spa, walls

TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
THURSDAY = MONDAY + timedelta(days=3)
FULL_DAY = [f"{h:02d}:{m:02d}" for h in range(9, 16) for m in (0, 15, 30, 45)] + ["16:00"]  # 09:00 … 16:00


def available(spa, day=TUESDAY, date_to=None, **kwargs):
    kwargs.setdefault("now", NOW)
    return availability_for(service=spa.service.slug, date_from=day, date_to=date_to or day, **kwargs)


def between(first: str, last: str, step: int = 15) -> list[str]:
    return [w for w in FULL_DAY if first <= w <= last and (int(w[:2]) * 60 + int(w[3:])) % step == 0]


# --- grid and opening hours -----------------------------------------------------------------------------------------


def test_a_free_day_offers_every_grid_start_whose_service_fits_the_opening_hours(spa):
    result = available(spa)

    assert walls(result) == FULL_DAY  # 09:00 … 16:00: 60 min ends by 17:00; the buffer may run past closing
    assert all(slot.end - slot.start == timedelta(minutes=60) for slot in result.slots)
    assert {slot.technician_id for slot in result.slots} == {spa.technician.id}
    assert result.slots[0].start_iso == "2030-06-04T09:00:00-04:00"


def test_the_slot_step_of_the_location_sets_the_grid(spa):
    spa.location.slot_step_minutes = 30
    spa.location.save()

    assert walls(available(spa)) == between("09:00", "16:00", step=30)


def test_opening_hours_of_the_weekday_bound_the_starts(db):
    spa = small_spa(hours={1: [("10:00", "12:00"), ("14:00", "16:30")]})  # Tuesday only, with a lunch break

    result = available(spa, MONDAY, WEDNESDAY + timedelta(days=1))

    assert days_offered(result) == [TUESDAY]
    assert walls(result) == ["10:00", "10:15", "10:30", "10:45", "11:00", "14:00", "14:15", "14:30", "14:45", "15:00", "15:15", "15:30"]


def test_add_ons_must_fit_inside_opening_hours_too_and_lengthen_the_slot(spa):
    result = available(spa, addon_slugs=[spa.addon.slug])  # +30 min

    assert walls(result) == between("09:00", "15:30")
    assert all(slot.end - slot.start == timedelta(minutes=90) for slot in result.slots)


def test_add_ons_lengthen_the_interval_that_must_be_free(spa):
    spa.add_room()
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"))

    plain = walls(available(spa))
    longer = walls(available(spa, addon_slugs=[spa.addon.slug]))

    assert "09:30" in plain  # 09:30 + 60 + 15 buffer = 10:45, before the 11:00 booking
    assert "09:30" not in longer and "09:15" in longer  # 09:30 + 90 + 15 = 11:15 overlaps it; 09:15 ends at 11:00


# --- lead time and booking window -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now_wall", "first_start"),
    [("08:00", "10:00"), ("08:05", "10:15"), ("09:59", "12:00"), ("14:00", "16:00")],
)
def test_the_first_start_today_is_at_least_two_hours_from_now(spa, now_wall, first_start):
    result = available(spa, MONDAY, now=at(MONDAY, now_wall))

    assert walls(result)[0] == first_start


def test_no_start_today_once_the_last_one_is_closer_than_the_lead_time(spa):
    result = available(spa, MONDAY, TUESDAY, now=at(MONDAY, "14:01"))

    assert days_offered(result) == [TUESDAY]


def test_days_before_today_are_not_searched(spa):
    result = available(spa, MONDAY - timedelta(days=5), MONDAY, now=at(MONDAY, "08:00"))

    assert days_offered(result) == [MONDAY]


@pytest.mark.parametrize(("who", "days"), [("guest", 3), ("base", 60), ("premium", 90)])
def test_the_booking_window_follows_the_tier(demo_spa, who, days):
    spa = small_spa()
    viewer = None if who == "guest" else getattr(demo_spa, who)

    result = available(spa, MONDAY, MONDAY + timedelta(days=120), viewer=viewer)

    assert result.window_ends == MONDAY + timedelta(days=days)
    assert days_offered(result)[-1] == MONDAY + timedelta(days=days)
    assert len(days_offered(result)) == days + 1


def test_a_signed_in_customer_without_membership_gets_the_guest_window(demo_spa):
    spa = small_spa()

    result = available(spa, MONDAY, MONDAY + timedelta(days=30), viewer=demo_spa.guest)

    assert result.window_ends == MONDAY + timedelta(days=3)


def test_the_tier_window_is_data(demo_spa):
    spa = small_spa()
    base = demo_spa.tiers["base"]
    base.booking_window_days = 10
    base.save()

    result = available(spa, MONDAY, MONDAY + timedelta(days=30), viewer=demo_spa.base)

    assert result.window_ends == MONDAY + timedelta(days=10)
    assert days_offered(result)[-1] == MONDAY + timedelta(days=10)


def test_the_guest_window_is_set_per_location(spa):
    spa.location.guest_booking_window_days = 1
    spa.location.save()

    result = available(spa, MONDAY, MONDAY + timedelta(days=10))

    assert days_offered(result) == [MONDAY, TUESDAY]


def test_bad_ranges_and_unknown_services_are_refused(spa):
    with pytest.raises(ValidationFailed):
        available(spa, TUESDAY, MONDAY)
    with pytest.raises(ValidationFailed):
        available(spa, MONDAY, MONDAY + timedelta(days=121))
    with pytest.raises(ApplicationError) as missing:
        availability_for(service="no-such-service", date_from=MONDAY, date_to=MONDAY, now=NOW)
    assert missing.value.code == "unknown_service"
    with pytest.raises(ValidationFailed) as addon:
        available(spa, addon_slugs=["hot-stones"])  # an add-on of another service
    assert addon.value.code == "unknown_addon"


# --- technicians ----------------------------------------------------------------------------------------------------


def test_only_technicians_with_the_required_skill_are_offered(spa):
    other_skill = SkillFactory()
    unskilled = spa.add_technician(skills=[other_skill])
    spa.technician.skills.set([other_skill])

    assert available(spa).slots == []
    with pytest.raises(ValidationFailed) as refused:
        available(spa, technician_id=unskilled.id)
    assert refused.value.code == "unknown_technician"


def test_the_weekly_schedule_decides_who_works_when(db):
    spa = small_spa(schedule={1: [("12:00", "15:00")], 3: [("09:00", "11:00"), ("15:00", "17:00")]})

    result = available(spa, MONDAY, THURSDAY)

    assert days_offered(result) == [TUESDAY, THURSDAY]
    assert walls(result, TUESDAY) == between("12:00", "14:00")
    assert walls(result, THURSDAY) == [*between("09:00", "10:00"), *between("15:00", "16:00")]


def test_time_off_removes_the_starts_it_touches(spa):
    TimeOffFactory(technician=spa.technician, starts_at=at(TUESDAY, "12:00"), ends_at=at(TUESDAY, "13:00"))

    offered = walls(available(spa))

    assert [w for w in FULL_DAY if w not in offered] == between("11:15", "12:45")


def test_time_off_over_several_days_removes_them(spa):
    TimeOffFactory(technician=spa.technician, starts_at=at(TUESDAY, "00:00"), ends_at=at(THURSDAY, "00:00"))

    assert days_offered(available(spa, TUESDAY, THURSDAY)) == [THURSDAY]


def test_an_extra_shift_adds_starts_on_a_day_off(db):
    spa = small_spa(schedule={0: [("09:00", "17:00")]})  # Mondays only
    ExtraShiftFactory(technician=spa.technician, starts_at=at(WEDNESDAY, "10:00"), ends_at=at(WEDNESDAY, "12:00"))
    ExtraShiftFactory(technician=spa.technician, starts_at=at(THURSDAY, "18:00"), ends_at=at(THURSDAY, "20:00"))  # spa closed

    result = available(spa, TUESDAY, THURSDAY)

    assert days_offered(result) == [WEDNESDAY]
    assert walls(result) == between("10:00", "11:00")


def test_an_extra_shift_extends_a_working_day(db):
    spa = small_spa(schedule={1: [("09:00", "12:00")]})
    ExtraShiftFactory(technician=spa.technician, starts_at=at(TUESDAY, "12:00"), ends_at=at(TUESDAY, "14:00"))

    assert walls(available(spa)) == between("09:00", "13:00")


def test_the_technician_filter_offers_only_that_technician(spa):
    spa.add_room()
    afternoon = spa.add_technician(schedule={1: [("13:00", "17:00")]})

    result = available(spa, technician_id=afternoon.id)

    assert walls(result) == between("13:00", "16:00")
    assert {slot.technician_id for slot in result.slots} == {afternoon.id}
    assert {slot.technician_name for slot in result.slots} == {afternoon.display_name}


# --- bookings, buffers and rooms ------------------------------------------------------------------------------------


def test_a_booking_and_its_buffer_block_the_technician(spa):
    spa.add_room()  # rooms are plenty: only the technician is constrained
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"))

    offered = walls(available(spa))

    # [t, t+75) must not overlap [11:00, 12:15): 09:45 ends with its buffer at 11:00; 12:15 starts after the buffer.
    assert [w for w in FULL_DAY if w not in offered] == between("10:00", "12:00")


def test_a_booking_and_its_buffer_block_the_room(spa):
    other = spa.add_technician()  # technicians are plenty: only the one room is constrained
    BookingFactory(service=spa.service, technician=other, room=spa.room, start=at(TUESDAY, "11:00"))

    offered = walls(available(spa))

    assert [w for w in FULL_DAY if w not in offered] == between("10:00", "12:00")


def test_without_a_buffer_the_next_start_follows_at_once(db):
    spa = small_spa(buffer=0)
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"))

    offered = walls(available(spa))

    assert [w for w in FULL_DAY if w not in offered] == between("10:15", "11:45")


def test_cancelled_and_expired_bookings_hold_no_time(spa):
    for status in ("cancelled", "expired"):
        BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"), status=status)

    assert walls(available(spa)) == FULL_DAY


def test_pending_payment_holds_block_like_confirmed_bookings(spa):
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"),
                   status="pending_payment", hold_expires_at=NOW + timedelta(minutes=15))

    assert "11:00" not in walls(available(spa))


def test_no_room_of_the_required_type_means_no_slot(spa):
    spa.room.room_type = RoomTypeFactory()
    spa.room.save()

    assert available(spa, MONDAY, THURSDAY).slots == []


def test_an_inactive_room_offers_nothing(spa):
    spa.room.active = False
    spa.room.save()

    assert available(spa).slots == []


def test_a_second_room_of_the_type_keeps_the_slot_open(spa):
    spa.add_technician()
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"))
    assert "11:00" not in walls(available(spa))

    spa.add_room()

    assert walls(available(spa)) == FULL_DAY


# --- external calendar ----------------------------------------------------------------------------------------------


def test_a_spa_wide_external_busy_block_removes_starts(spa, external_busy):
    external_busy.append(BusyBlock(start=at(TUESDAY, "10:00"), end=at(TUESDAY, "11:00")))

    offered = walls(available(spa))

    assert [w for w in FULL_DAY if w not in offered] == between("09:00", "10:45")


def test_a_technician_external_busy_block_removes_only_that_technician(spa, external_busy):
    spa.add_room()
    other = spa.add_technician()
    external_busy.append(BusyBlock(start=at(TUESDAY, "14:00"), end=at(TUESDAY, "15:00"), technician_id=spa.technician.id))

    mine = walls(available(spa, technician_id=spa.technician.id))
    anyone = available(spa)

    assert [w for w in FULL_DAY if w not in mine] == between("13:00", "14:45")
    assert walls(anyone) == FULL_DAY
    assert {s.technician_id for s in anyone.slots if "13:00" <= s.start.strftime("%H:%M") <= "14:45"} == {other.id}


def test_a_room_external_busy_block_removes_that_room(spa, external_busy):
    external_busy.append(BusyBlock(start=at(TUESDAY, "15:00"), end=at(TUESDAY, "17:00"), room_id=spa.room.id))

    offered = walls(available(spa))

    assert [w for w in FULL_DAY if w not in offered] == between("14:00", "16:00")


def test_external_blocks_outside_the_range_change_nothing(spa, external_busy):
    external_busy.append(BusyBlock(start=at(THURSDAY, "09:00"), end=at(THURSDAY, "17:00")))

    assert walls(available(spa)) == FULL_DAY


# --- who gets the booking -------------------------------------------------------------------------------------------


def test_the_engine_assigns_the_least_loaded_technician_of_the_day_ties_by_id(spa):
    spa.add_room()
    second = spa.add_technician()
    first = spa.technician
    assert first.id < second.id
    BookingFactory(service=spa.service, technician=first, room=spa.room, start=at(TUESDAY, "09:00"))

    result = available(spa, TUESDAY, WEDNESDAY)

    tuesday = {s.start.strftime("%H:%M"): s.technician_id for s in result.slots if s.start.date() == TUESDAY}
    assert set(tuesday.values()) == {second.id}  # first has 75 booked minutes on Tuesday, second none
    assert {s.technician_id for s in result.slots if s.start.date() == WEDNESDAY} == {first.id}  # tie: lower id


def test_booking_create_assigns_the_technician_the_engine_named(spa):
    spa.add_room()
    spa.add_room()
    second = spa.add_technician()
    third = spa.add_technician()
    guest = GuestDetails(name="Ada Guest", email="ada@example.test")
    assigned = []

    for wall in ("09:00", "10:30", "12:00", "13:30", "15:00", "16:00"):
        promised = {s.start.strftime("%H:%M"): s.technician_id for s in available(spa).slots}[wall]
        booking = booking_create(service=spa.service.slug, start=at(TUESDAY, wall), guest=guest, now=NOW)
        assert booking.technician_id == promised
        assigned.append(booking.technician_id)

    # Each booking goes to whoever has the fewest minutes that day: the three take turns.
    assert assigned[:3] == [spa.technician.id, second.id, third.id]
    assert sorted(assigned[3:]) == sorted([spa.technician.id, second.id, third.id])


def test_the_engine_assignment_does_not_depend_on_the_days_asked_for(spa):
    """A technician's bookings tomorrow must not count as today's load (availability and booking_create agree)."""
    spa.add_room()
    second = spa.add_technician()
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(WEDNESDAY, "10:00"))
    guest = GuestDetails(name="Ada Guest", email="ada@example.test")

    one_day = {s.start: s.technician_id for s in available(spa, TUESDAY, TUESDAY).slots}
    three_days = {s.start: s.technician_id for s in available(spa, TUESDAY, THURSDAY).slots if s.start.date() == TUESDAY}
    booking = booking_create(service=spa.service.slug, start=at(TUESDAY, "13:00"), guest=guest, now=NOW)

    assert set(one_day.values()) == set(three_days.values()) == {spa.technician.id}  # nobody is booked on Tuesday: tie, lower id
    assert booking.technician_id == spa.technician.id
    assert second.id > spa.technician.id


def test_without_now_the_clock_is_read_and_can_be_frozen(spa):
    import time_machine

    with time_machine.travel(at(MONDAY, "08:05"), tick=False):
        result = availability_for(service=spa.service.slug, date_from=MONDAY, date_to=MONDAY + timedelta(days=10))

    assert walls(result, MONDAY)[0] == "10:15"
    assert result.window_ends == MONDAY + timedelta(days=3)
