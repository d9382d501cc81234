"""Races for one slot, and a randomized storm of creates/cancels/reschedules: never two active bookings overlap.

SQLite serialises writers (``BEGIN IMMEDIATE``); PostgreSQL rejects overlaps with
exclusion constraints. Every thread closes its own connection when done.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from coresync.bookings.models import ACTIVE_Q, Booking
from coresync.bookings.services import GuestDetails, booking_cancel, booking_create, booking_reschedule
from coresync.bookings.tests.factories import BookingFactory
from coresync.core.errors import ApplicationError, SlotUnavailable

from .support import MONDAY, NOW, at, small_spa

TUESDAY = MONDAY + timedelta(days=1)


def race_for_one_slot(spa, threads: int) -> Counter:
    """``threads`` guests ask for the same technician and start at the same moment."""
    barrier = threading.Barrier(threads)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            booking_create(service=spa.service.slug, start=at(TUESDAY, "11:00"), technician=spa.technician.id,
                           guest=GuestDetails(name=f"Guest {n}", email=f"guest{n}@example.test"), now=NOW)
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
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_ten_threads_racing_for_one_slot_make_one_booking():
    spa = small_spa()
    spa.add_room()  # rooms are plenty: all ten want the same technician

    outcomes = race_for_one_slot(spa, 10)

    assert outcomes == Counter({"created": 1, "slot_unavailable": 9})
    assert Booking.objects.filter(ACTIVE_Q, technician=spa.technician).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_threads_racing_for_one_slot_make_one_booking_on_postgres():
    spa = small_spa()
    spa.add_room()

    outcomes = race_for_one_slot(spa, 50)

    assert outcomes == Counter({"created": 1, "slot_unavailable": 49})
    assert Booking.objects.filter(ACTIVE_Q, technician=spa.technician).count() == 1


@pytest.mark.postgres
def test_a_raw_insert_that_overlaps_hits_the_exclusion_constraint(spa):
    other_room, other_technician = spa.add_room(), spa.add_technician()
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"))  # blocks 11:00–12:15

    with pytest.raises(IntegrityError, match="booking_no_technician_overlap"), transaction.atomic():
        BookingFactory(service=spa.service, technician=spa.technician, room=other_room, start=at(TUESDAY, "12:00"))
    with pytest.raises(IntegrityError, match="booking_no_room_overlap"), transaction.atomic():
        BookingFactory(service=spa.service, technician=other_technician, room=spa.room, start=at(TUESDAY, "10:00"))
    with pytest.raises(IntegrityError, match="booking_no_technician_overlap"), transaction.atomic():
        with connection.cursor() as cursor:  # bypassing the ORM too
            cursor.execute(
                "INSERT INTO bookings_booking (created_at, updated_at, reference, location_id, customer_name, customer_email,"
                " customer_phone, service_id, technician_id, room_id, start, \"end\", blocked_until, status, channel, notes,"
                " price_column, tier_name, currency, subtotal, discount, tax, total, price_lines, cancellation_reason,"
                " ai_session_id, atlas_call_id, ics_sequence, customer_email_bidx, customer_phone_bidx)"
                " VALUES (now(), now(), 'CS-RAWSQL', %s, 'Raw', 'raw@example.test', '', %s, %s, %s, %s, %s, %s, 'confirmed',"
                " 'admin', '', 'non_member', '', 'USD', 100, 0, 0, 100, '[]', '', '', '', 0, '', '')",
                [spa.location.id, spa.service.id, spa.technician.id, other_room.id,
                 at(TUESDAY, "11:30"), at(TUESDAY, "12:30"), at(TUESDAY, "12:45")],
            )

    # Touching is not overlapping ([start, blocked_until) is half-open), and released bookings hold nothing.
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "12:15"))
    BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "11:00"), status="cancelled")
    assert Booking.objects.filter(ACTIVE_Q, technician=spa.technician).count() == 2


OVERLAPS_SQL = """
    SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
      ON a.id < b.id AND (a.technician_id = b.technician_id OR a.room_id = b.room_id)
     AND tstzrange(a.start, a.blocked_until) && tstzrange(b.start, b.blocked_until)
    WHERE a.status NOT IN ('cancelled', 'expired') AND b.status NOT IN ('cancelled', 'expired')
"""


def python_overlaps() -> int:
    rows = list(Booking.objects.filter(ACTIVE_Q).values_list("technician_id", "room_id", "start", "blocked_until"))
    return sum(
        1 for i, a in enumerate(rows) for b in rows[i + 1:]
        if (a[0] == b[0] or a[1] == b[1]) and a[2] < b[3] and b[2] < a[3]
    )


def storm(spa, operations: int, seed: int) -> Counter:
    """Random creates, cancels and reschedules from 8 worker threads on a crowded little spa."""
    rnd = random.Random(seed)
    days = [TUESDAY, TUESDAY + timedelta(days=1)]
    walls = [f"{h:02d}:{m:02d}" for h in range(9, 16) for m in (0, 30)]
    technicians = [spa.technician.id, spa.add_technician().id, spa.add_technician().id]
    spa.add_room()
    plan = [(rnd.choice(["create", "create", "cancel", "reschedule"]), rnd.choice(days), rnd.choice(walls),
             rnd.choice([None, *technicians]), rnd.random()) for _ in range(operations)]
    created: list[int] = []
    lock = threading.Lock()

    def run(step) -> str:
        action, day, wall, technician, pick = step
        try:
            with lock:
                target = created[int(pick * len(created))] if created else None
            if action == "create" or target is None:
                booking = booking_create(service=spa.service.slug, start=at(day, wall), technician=technician,
                                         guest=GuestDetails(name="Storm", email="storm@example.test"), now=NOW)
                with lock:
                    created.append(booking.pk)
                return "created"
            booking = Booking.objects.get(pk=target)
            if action == "cancel":
                booking_cancel(booking=booking, now=NOW)
                return "cancelled"
            booking_reschedule(booking=booking, start=at(day, wall), technician=technician, now=NOW)
            return "rescheduled"
        except ApplicationError as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(run, plan))


@pytest.mark.django_db(transaction=True)
def test_a_storm_of_concurrent_changes_never_double_books_on_sqlite():
    spa = small_spa()

    outcomes = storm(spa, 120, seed=7)

    assert set(outcomes) <= {"created", "cancelled", "rescheduled", "slot_unavailable", "invalid_booking_state"}
    assert outcomes["created"] > 0 and outcomes["slot_unavailable"] > 0
    assert python_overlaps() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_hundred_concurrent_changes_never_double_book_on_postgres():
    spa = small_spa()

    outcomes = storm(spa, 500, seed=11)

    assert set(outcomes) <= {"created", "cancelled", "rescheduled", "slot_unavailable", "invalid_booking_state"}
    assert outcomes["created"] > 0 and outcomes["cancelled"] > 0 and outcomes["rescheduled"] > 0
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_SQL)
        assert cursor.fetchone()[0] == 0
    assert python_overlaps() == 0


@pytest.mark.django_db(transaction=True)
def test_one_idempotency_key_sent_eight_times_at_once_makes_one_booking():
    """A client retrying one request in parallel: every answer is the first booking's, and there is one booking.

    No technician is asked for and three are free, so each repeat could book someone
    else; only the key (inserted in the booking's own transaction) stops it.
    """
    from coresync.bookings.services import booking_create_idempotent

    spa = small_spa()
    spa.add_room()
    spa.add_room()
    spa.add_technician()
    spa.add_technician()
    payload = {"service": spa.service.slug, "start": "tuesday 11:00"}
    barrier = threading.Barrier(8)
    answers: list = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait()
            answer = booking_create_idempotent(
                owner="ip:203.0.113.9", key="retry-1", payload=payload, render=lambda b: {"reference": b.reference},
                service=spa.service.slug, start=at(TUESDAY, "11:00"),
                guest=GuestDetails(name="Ada Guest", email="ada@example.test"), now=NOW,
            )
        except Exception as error:  # anything but an answer is a failure the test must show
            answer = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            answers.append(answer)

    workers = [threading.Thread(target=attempt) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    references = {answer[1]["reference"] for answer in answers if isinstance(answer, tuple)}
    assert len(answers) == 8 and all(isinstance(answer, tuple) for answer in answers), answers
    assert len(references) == 1
    assert sorted(replayed for _, _, replayed in answers) == [False] + [True] * 7
    assert Booking.objects.filter(ACTIVE_Q).count() == 1
