"""Group bookings (SPEC §10.7): 2–6 people at one start, each on their own technician, all or nothing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from coresync.bookings.groups import (
    PartyMember,
    booking_cancel_group,
    booking_create_group,
    booking_reschedule_group,
    group_availability,
)
from coresync.bookings.models import ACTIVE_Q, Booking, BookingGroup
from coresync.bookings.services import GuestDetails, booking_cancel, booking_create
from coresync.bookings.tests.factories import BookingFactory
from coresync.catalog.tests.factories import ServiceFactory
from coresync.core.errors import SlotUnavailable, ValidationFailed

from .support import MONDAY, NOW, at, small_spa

TUESDAY = MONDAY + timedelta(days=1)
ORGANISER = GuestDetails(name="Ava Stone", email="ava@example.com", phone="+1 212 555 0100")


def party(*names: str, **member) -> list[PartyMember]:
    return [PartyMember(name=name, **member) for name in names]


def group_of(spa, *names, start="11:00", **kwargs):
    return booking_create_group(service=spa.service.slug, start=at(TUESDAY, start), party=party(*names), guest=ORGANISER, now=NOW, **kwargs)


def test_two_people_get_their_own_bookings_on_different_technicians_at_one_start(spa):
    spa.add_technician(), spa.add_room()

    result = booking_create_group(
        service=spa.service.slug, start=at(TUESDAY, "11:00"), guest=ORGANISER, now=NOW,
        party=[PartyMember(name="Ava Stone"), PartyMember(name="Ben Stone", email="ben@example.com", addons=[spa.addon.slug])],
    )

    ava, ben = Booking.objects.filter(group=result.group).order_by("id")
    assert [ava.pk, ben.pk] == [b.pk for b in result.bookings]
    assert ava.start == ben.start == at(TUESDAY, "11:00")
    assert ava.technician_id != ben.technician_id and ava.room_id != ben.room_id
    assert (ava.customer_name, ava.customer_email, ava.customer_phone) == ("Ava Stone", "ava@example.com", "+1 212 555 0100")
    assert (ben.customer_name, ben.customer_email, ben.customer_phone) == ("Ben Stone", "ben@example.com", "+1 212 555 0100")
    assert list(ben.booking_addons.values_list("addon_id", flat=True)) == [spa.addon.id] and not ava.booking_addons.exists()
    assert ben.end - ben.start == timedelta(minutes=90) and ava.end - ava.start == timedelta(minutes=60)
    assert ben.total > ava.total  # the add-on is priced on Ben's own booking
    assert result.group.size == 2 and result.group.organiser_email == "ava@example.com"


def test_each_person_may_have_their_own_service(spa):
    spa.add_technician(), spa.add_room()
    facial = ServiceFactory(location=spa.location, required_room_type=spa.room_type, required_skill=spa.skill, duration_minutes=30)

    result = booking_create_group(
        service=spa.service.slug, start=at(TUESDAY, "11:00"), guest=ORGANISER, now=NOW,
        party=[PartyMember(name="Ava Stone"), PartyMember(name="Ben Stone", service=facial.slug)],
    )

    assert [b.service_id for b in result.bookings] == [spa.service.id, facial.id]


def test_a_room_that_holds_two_takes_the_couple_and_no_other_party(spa):
    spa.room.capacity = 2
    spa.room.save()
    spa.add_technician(), spa.add_technician()

    result = group_of(spa, "Ava Stone", "Ben Stone")

    assert {b.room_id for b in result.bookings} == {spa.room.id}  # side by side in the suite
    assert len({b.technician_id for b in result.bookings}) == 2
    with pytest.raises(SlotUnavailable):  # the third technician is free, the suite is not: parties never share
        booking_create(service=spa.service.slug, start=at(TUESDAY, "11:30"), guest=ORGANISER, now=NOW)


def test_a_room_for_one_is_never_shared_by_the_party(spa):
    spa.add_technician()  # two technicians, one single room

    with pytest.raises(SlotUnavailable):
        group_of(spa, "Ava Stone", "Ben Stone")
    assert not Booking.objects.exists()


def test_all_or_nothing_when_one_person_cannot_be_placed(spa):
    spa.add_technician(), spa.add_room(), spa.add_room()  # two technicians for three people

    with pytest.raises(SlotUnavailable):
        group_of(spa, "Ava Stone", "Ben Stone", "Cleo Stone")

    assert not Booking.objects.exists() and not BookingGroup.objects.exists()


@pytest.mark.parametrize("people", [1, 7])
def test_a_group_is_two_to_six_people(spa, people):
    with pytest.raises(ValidationFailed) as raised:
        group_of(spa, *[f"Guest {n}" for n in range(people)])
    assert raised.value.code == "invalid_party_size"


def test_a_bad_e_mail_of_one_person_names_that_person(spa):
    spa.add_technician(), spa.add_room()
    with pytest.raises(ValidationFailed) as raised:
        booking_create_group(service=spa.service.slug, start=at(TUESDAY, "11:00"), guest=ORGANISER, now=NOW,
                             party=[PartyMember(name="Ava"), PartyMember(name="Ben", email="not-an-email")])
    assert set(raised.value.fields) == {"party.1.email"}


def test_without_a_guest_the_first_person_books_for_everyone(spa):
    spa.add_technician(), spa.add_room()
    result = booking_create_group(service=spa.service.slug, start=at(TUESDAY, "11:00"), now=NOW,
                                  party=[PartyMember(name="Ava Stone", email="ava@example.com"), PartyMember(name="Ben")])
    assert [b.customer_email for b in result.bookings] == ["ava@example.com", "ava@example.com"]


def test_group_availability_offers_a_start_only_when_everyone_fits(spa):
    other = spa.add_technician()
    spa.add_room()
    BookingFactory(service=spa.service, technician=other, room=spa.add_room(), start=at(TUESDAY, "11:00"))  # busy 11:00–12:15

    for_two = [s.strftime("%H:%M") for s in group_availability(service=spa.service.slug, day=TUESDAY, people=2, now=NOW)]

    assert "09:45" in for_two and "12:15" in for_two
    assert not {"10:00", "11:00", "12:00"} & set(for_two)  # one of the two technicians is busy then (buffer included)
    with pytest.raises(SlotUnavailable):
        group_of(spa, "Ava", "Ben", start="11:00")
    group_of(spa, "Ava", "Ben", start=for_two[0])  # what is offered books
    assert group_availability(service=spa.service.slug, day=TUESDAY, people=3, now=NOW) == []


def test_group_availability_counts_the_capacity_of_a_room(spa):
    spa.room.capacity = 2
    spa.room.save()
    spa.add_technician()
    assert at(TUESDAY, "11:00") in group_availability(service=spa.service.slug, day=TUESDAY, people=2, now=NOW)


def test_cancel_all_cancels_every_person_and_one_only_that_person(spa):
    spa.add_technician(), spa.add_technician(), spa.add_room(), spa.add_room()
    ava, ben, cleo = group_of(spa, "Ava", "Ben", "Cleo").bookings

    booking_cancel(booking=ava, now=NOW)  # scope "one" is the plain cancel
    assert list(Booking.objects.filter(ACTIVE_Q).order_by("id").values_list("pk", flat=True)) == [ben.pk, cleo.pk]

    cancelled = booking_cancel_group(booking=ben, now=NOW)

    assert [b.pk for b in cancelled] == [ben.pk, cleo.pk]
    assert not Booking.objects.filter(ACTIVE_Q).exists()


def test_reschedule_all_moves_everyone_together_keeping_their_technicians(spa):
    spa.add_technician(), spa.add_room()
    ava, ben = group_of(spa, "Ava", "Ben").bookings

    moved = booking_reschedule_group(booking=ben, start=at(TUESDAY, "11:30"), now=NOW)  # overlaps the old times: excluded

    assert [(b.pk, b.start) for b in moved] == [(ava.pk, at(TUESDAY, "11:30")), (ben.pk, at(TUESDAY, "11:30"))]
    assert [b.technician_id for b in moved] == [ava.technician_id, ben.technician_id]
    assert all(b.ics_sequence == 1 for b in Booking.objects.all())


def test_reschedule_all_is_all_or_nothing(spa):
    other = spa.add_technician()
    spa.add_room()
    ava, _ben = group_of(spa, "Ava", "Ben").bookings
    BookingFactory(service=spa.service, technician=other, room=spa.add_room(), start=at(TUESDAY, "14:00"))

    with pytest.raises(SlotUnavailable):
        booking_reschedule_group(booking=ava, start=at(TUESDAY, "14:00"), now=NOW)

    assert set(Booking.objects.filter(group__isnull=False).values_list("start", flat=True)) == {at(TUESDAY, "11:00")}


def test_queries_grow_linearly_with_the_party(spa):
    for _ in range(6):
        spa.add_technician(), spa.add_room()
    group_of(spa, "Warm", "Up", start="15:00")  # the read models are loaded once
    counts = {}
    for people, start in ((2, "09:00"), (4, "11:00"), (6, "13:00")):
        with CaptureQueriesContext(connection) as queries:
            group_of(spa, *[f"Guest {n}" for n in range(people)], start=start)
        counts[people] = len(queries)

    per_person = (counts[4] - counts[2]) / 2
    assert counts[6] - counts[4] == counts[4] - counts[2]  # linear: the same cost for every further person
    assert per_person <= 3  # the booking row, and what its creation announces (outbox rows)
    assert counts[2] <= 12


# --- PostgreSQL: the exclusion constraints are the guarantee -------------------------------------------


@pytest.mark.postgres
def test_the_database_lets_one_party_share_a_room_and_refuses_another(spa):
    from coresync.bookings.tests.factories import BookingFactory as Make

    spa.room.capacity = 2
    spa.room.save()
    second, third = spa.add_technician(), spa.add_technician()
    group = BookingGroup.objects.create(organiser_name="Ava", organiser_email="ava@example.com", size=2)
    Make(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"), group=group)
    Make(service=spa.service, technician=second, room=spa.room, start=at(TUESDAY, "11:00"), group=group)
    with pytest.raises(IntegrityError, match="booking_no_room_overlap"), transaction.atomic():
        Make(service=spa.service, technician=third, room=spa.room, start=at(TUESDAY, "11:30"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_groups_racing_for_one_start_never_overlap():
    spa = small_spa()
    spa.room.capacity = 2
    spa.room.save()
    for _ in range(2):
        spa.add_technician(), spa.add_room()  # three technicians (a suite for two, two single rooms): one pair fits
    threads = 6
    barrier = threading.Barrier(threads)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            booking_create_group(service=spa.service.slug, start=at(TUESDAY, "11:00"), now=NOW,
                                 party=party(f"Guest {n}a", f"Guest {n}b", email=f"g{n}@example.test"))
            outcome = "created"
        except SlotUnavailable:
            outcome = "slot_unavailable"
        except Exception as error:  # anything else is a failure the test must show
            outcome = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert outcomes == Counter({"created": 1, "slot_unavailable": threads - 1})
    active = list(Booking.objects.filter(ACTIVE_Q).values_list("technician_id", "room_id", "group_id"))
    assert len(active) == 2 and len({t for t, _r, _g in active}) == 2 and len({g for _t, _r, g in active}) == 1
