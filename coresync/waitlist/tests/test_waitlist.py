"""The waitlist: joining (tier window, bad ranges), leaving, and the chain offer → expire → next → accept."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from coresync.bookings.services import booking_cancel
from coresync.bookings.tests.factories import BookingFactory
from coresync.bookings.tests.support import MONDAY, NOW, at, small_spa
from coresync.notifications.models import EmailLog
from coresync.outbox.services import outbox_deliver, outbox_due
from coresync.waitlist import services
from coresync.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer

TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def spa(db, clock):
    return small_spa()


def _drain():
    """Deliver every due outbox message (what the after-commit dispatch and the sweep do)."""
    from django.utils import timezone

    for _ in range(5):
        keys = outbox_due(now=timezone.now() + timedelta(seconds=1))
        if not keys:
            return
        for key in keys:
            outbox_deliver(key)


def _join(spa, email, **extra):
    body = {"service": spa.service.slug, "date_from": TUESDAY.isoformat(), "date_to": TUESDAY.isoformat(),
            "guest": {"name": f"{email.split('@')[0].title()} Guest", "email": email}, **extra}
    return APIClient().post("/api/v1/waitlist/", body, format="json")


def test_a_guest_joins_and_leaves_with_the_token(spa):
    response = _join(spa, "ana@example.test")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "waiting" and body["id"]
    assert APIClient().delete(f"/api/v1/waitlist/{body['id']}/").status_code == 403
    gone = APIClient().delete(f"/api/v1/waitlist/{body['id']}/?token={body['token']}")
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert WaitlistEntry.objects.get().status == EntryStatus.CANCELLED


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"date_to": (MONDAY + timedelta(days=10)).isoformat()}, 403),  # a guest's window is 3 days
        ({"date_from": (MONDAY - timedelta(days=1)).isoformat()}, 400),
        ({"date_from": (TUESDAY + timedelta(days=1)).isoformat()}, 400),  # backwards
        ({"time_from": "15:00", "time_to": "12:00"}, 400),
        ({"time_from": "15:00"}, 400),
        ({"service": "no-such-service"}, 400),
        ({"guest": {"name": "x"}}, 400),
    ],
)
def test_bad_waitlist_requests_are_4xx_in_the_spec_shape(spa, change, status):
    response = _join(spa, "ana@example.test", **change)
    assert response.status_code == status, response.json()
    assert set(response.json()["error"]) >= {"code", "message", "fields"}
    assert not WaitlistEntry.objects.exists()


def test_the_chain_offer_expire_next_accept(spa, clock, settings):
    settings.BOOKING_PAYMENT_MODE = "on_site"
    taken = BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, "10:00"))
    # every other time that Tuesday is taken too, so the only free time will be the cancelled one
    for wall in ("11:15", "12:30", "13:45", "15:00"):
        BookingFactory(service=spa.service, technician=spa.technician, room=spa.room, start=at(TUESDAY, wall))
    first = _join(spa, "ana@example.test", time_from="09:30", time_to="12:00").json()["id"]
    second = _join(spa, "ben@example.test").json()["id"]
    _join(spa, "cy@example.test", time_from="16:00", time_to="17:00")  # wants another time of day

    booking_cancel(booking=taken, reason="ill")
    _drain()
    offer = WaitlistOffer.objects.get()
    assert (offer.entry_id, offer.status, offer.start) == (first, OfferStatus.OPEN, at(TUESDAY, "10:00"))
    mail = EmailLog.objects.get(kind="waitlist_offer")
    assert mail.recipient == "ana@example.test" and "/waitlist/offers/" in mail.body_text and "30 minutes" in mail.body_text

    _drain()  # a repeated run offers nothing more
    assert WaitlistOffer.objects.count() == 1

    clock.shift(timedelta(minutes=31))
    assert services.offers_expire() == 1
    _drain()
    assert WaitlistEntry.objects.get(pk=first).status == EntryStatus.WAITING
    nxt = WaitlistOffer.objects.get(status=OfferStatus.OPEN)
    assert nxt.entry_id == second and nxt.start == offer.start
    assert list(EmailLog.objects.filter(kind="waitlist_offer").values_list("recipient", flat=True).order_by("id")) == [
        "ana@example.test", "ben@example.test"]

    client = APIClient(enforce_csrf_checks=False)
    link = f"/waitlist/offers/{services.offer_token(nxt)}/"
    assert "Book this time" in client.get(link).content.decode()
    page = client.post(link)
    assert page.status_code == 200 and "It is yours" in page.content.decode()
    nxt.refresh_from_db()
    assert nxt.status == OfferStatus.ACCEPTED and nxt.booking.customer_email == "ben@example.test"
    assert nxt.booking.status == "confirmed" and nxt.booking.start == at(TUESDAY, "10:00")
    assert client.post(link).status_code == 200  # a second click: the same booking, no second one
    assert WaitlistOffer.objects.filter(status=OfferStatus.ACCEPTED).count() == 1
    old = client.post(f"/waitlist/offers/{services.offer_token(offer)}/")
    assert old.status_code == 409  # the expired offer cannot be used any more
    assert client.get("/waitlist/offers/forged-token/").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_offering_one_freed_slot_at_once_make_one_offer(clock):
    spa = small_spa()
    for n in range(2):
        _join(spa, f"guest{n}@example.test")
    slot = services.FreedSlot(spa.location.pk, spa.technician.pk, at(TUESDAY, "10:00"), at(TUESDAY, "11:15"))
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(services.waitlist_offer(slot))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert WaitlistOffer.objects.filter(status=OfferStatus.OPEN).count() == 1
    assert sum(1 for r in results if r is not None) == 1
