"""A customer's data: exported whole, erased everywhere (nothing readable left), the books still add up."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from coresync.accounting.models import Receipt
from coresync.ai_agent.models import AgentAction
from coresync.ai_agent.services import chat_turn
from coresync.bookings.models import Booking
from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_create
from coresync.payments.models import Payment, PaymentStatus, SavedCard
from coresync.privacy.models import PrivacyRequest, RequestKind
from coresync.privacy.services import personal_data_erase, personal_data_export, subject_digest
from coresync.waitlist.services import waitlist_join

NAME, PHONE, NOTE = "Priya Lakshmanan", "+12125550177", "allergic to lavender oil"


def free_starts(service: str, viewer, count: int) -> list:
    day = timezone.localdate() + timedelta(days=3)
    found = availability_for(service=service, date_from=day, date_to=day + timedelta(days=5), viewer=viewer)
    chosen, last = [], None
    for slot in found.slots:
        if last is None or slot.start_minute - last >= 180:
            chosen.append(slot.start)
            last = slot.start_minute
    return chosen[:count]


@pytest.fixture
def customer(demo_spa):
    """A member with a history everywhere: bookings (one made as a guest, in other letters), a chat, a waitlist entry, a card."""
    user = demo_spa.premium
    user.name, user.phone = NAME, PHONE
    user.save()
    first, second = free_starts("swedish-massage", user, 2)
    paid = booking_create(service="swedish-massage", start=first, customer=user, notes=NOTE)
    Payment.objects.create(booking=paid, customer=user, provider="local", status=PaymentStatus.PAID, amount=paid.total,
                           amount_paid=paid.total, paid_at=timezone.now(), idempotency_key=f"pay-{paid.reference}")  # fmt: skip
    booking_create(service="swedish-massage", start=second, guest=GuestDetails(name=NAME, email=user.email.upper(), phone=PHONE))
    chat_turn(message=f"hi, this is {NAME}, my number is {PHONE}", session_id=None, user=user)
    day = timezone.localdate() + timedelta(days=4)
    waitlist_join(service="swedish-massage", date_from=day, date_to=day, customer=user)
    SavedCard.objects.create(user=user, provider="local", brand="visa", last4="4242", exp_month=12, exp_year=2030,
                             consent_at=timezone.now(), consent_version="v1")  # fmt: skip
    return user


def dump() -> str:
    out = io.StringIO()
    call_command("dumpdata", "--natural-foreign", exclude=["contenttypes", "auth.permission", "sessions"], stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_export_holds_everything_tied_to_the_address(customer):
    data = personal_data_export(customer.email.title())
    assert data["account"][0]["name"] == NAME
    assert {b["customer_email"].lower() for b in data["bookings"]} == {customer.email} and len(data["bookings"]) == 2
    assert any(b["notes"] == NOTE for b in data["bookings"])
    assert data["memberships"] and data["waitlist"] and data["saved_cards"][0]["last4"] == "4242"
    assert data["emails"] and all(e["recipient"].lower() == customer.email for e in data["emails"])
    assert PHONE in data["conversations"][0]["turns"][0]["said"]
    json.dumps(data)  # plain JSON all the way down
    record = PrivacyRequest.objects.get()
    assert record.kind == RequestKind.EXPORT and record.subject_digest == subject_digest(customer.email)
    assert customer.email not in json.dumps(record.summary)


@pytest.mark.django_db(transaction=True)
def test_after_erasure_nothing_readable_is_left_and_the_books_still_add_up(customer, demo_spa):
    other = booking_create(service="swedish-massage", start=free_starts("swedish-massage", None, 3)[2],
                           guest=GuestDetails(name="Ada Lovelace", email="ada@example.test", phone="+12125550100"))  # fmt: skip
    totals = sorted(Booking.objects.filter(customer_email__iexact=customer.email).values_list("reference", "total"))
    assert NAME in dump() and PHONE in dump() and NOTE in dump()
    receipt = Receipt.objects.get()  # the paid booking's sales receipt in the ledger, with the customer on it
    assert customer.email in str(receipt.body)

    counts = personal_data_erase(customer.email, reason="customer's request")

    text = dump()
    for secret in (NAME, PHONE, NOTE, customer.email, customer.email.upper()):
        assert secret not in text, secret
    assert "Ada Lovelace" in text and "ada@example.test" in text  # nobody else's data is touched
    erased = sorted(Booking.objects.filter(reference__in=[r for r, _ in totals]).values_list("reference", "total"))
    assert erased == totals  # references and amounts stay for the books
    receipt.refresh_from_db()
    assert receipt.total == Booking.objects.get(pk=receipt.booking_id).total and counts["ledger_receipts"] == 1
    assert counts["bookings"] == 2 and counts["waitlist_entries"] == 1 and counts["saved_cards"] == 1 and counts["account"] == 1
    assert all(a.message == "[erased]" for a in AgentAction.objects.filter(conversation__customer=customer))
    customer.refresh_from_db()
    assert not customer.is_active and not customer.has_usable_password()
    assert Booking.objects.get(pk=other.pk).customer_name == "Ada Lovelace"
    assert PrivacyRequest.objects.filter(kind=RequestKind.ERASE, subject_digest=subject_digest(customer.email.upper())).exists() is False
    assert PrivacyRequest.objects.filter(kind=RequestKind.ERASE).get().summary == counts


@pytest.mark.django_db(transaction=True)
def test_an_erased_address_exports_nothing(customer):
    email = customer.email
    personal_data_erase(email)
    data = personal_data_export(email)
    assert not any(data[key] for key in ("account", "bookings", "waitlist", "emails", "saved_cards", "conversations"))


@pytest.mark.django_db
def test_the_admin_desk_is_the_managers_and_erasure_needs_the_word(client, customer, demo_spa):
    client.force_login(demo_spa.base)
    assert client.get("/admin/privacy/privacyrequest/export/").status_code == 302  # not staff: to the admin sign-in
    client.force_login(demo_spa.manager)
    response = client.post("/admin/privacy/privacyrequest/export/", {"email": customer.email, "reason": "asked by e-mail"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["account"][0]["name"] == NAME
    refused = client.post("/admin/privacy/privacyrequest/erase/", {"email": customer.email, "confirm": "erase"})
    assert refused.status_code == 200 and b"Type ERASE" in refused.content
    assert Booking.objects.filter(customer_email=customer.email).exists()
    done = client.post("/admin/privacy/privacyrequest/erase/", {"email": customer.email, "confirm": "ERASE"})
    assert done.status_code == 302
    assert not Booking.objects.filter(customer_email__iexact=customer.email).exists()
    listing = client.get("/admin/privacy/privacyrequest/", {"q": customer.email})
    assert listing.status_code == 200 and b"Erasure" in listing.content  # found by the address through its digest


@pytest.mark.django_db
def test_the_command_refuses_without_yes(customer):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy_erase", customer.email)
    assert any(b.customer_name == NAME for b in Booking.objects.filter(customer=customer))
