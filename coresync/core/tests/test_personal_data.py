"""Personal data at rest: nothing readable in the database (a pg_dump on PostgreSQL, the raw file on SQLite),
every lookup the site makes still finds its row, keys rotate, blind indexes follow every write."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from coresync.accounting.models import QuickBooksConnection
from coresync.accounting.secrets import _legacy, secret_decrypt
from coresync.accounts.models import User
from coresync.ai_agent.models import AgentAction, Conversation
from coresync.ai_agent.selectors import upcoming_bookings_for, user_by_phone
from coresync.ai_agent.services import chat_turn
from coresync.bookings.models import Booking
from coresync.bookings.selectors import availability_for
from coresync.bookings.services import GuestDetails, booking_create
from coresync.core import crypto
from coresync.core.pii import resave_rows
from coresync.notifications.models import EmailLog
from coresync.privacy.services import personal_data_erase
from coresync.waitlist.models import WaitlistEntry
from coresync.waitlist.services import waitlist_join

NAME, EMAIL, PHONE, NOTE = "Zofia Quellbrunn", "Zofia.Quellbrunn@Example.org", "+1 (917) 555-0188", "quellbrunn-knee-injury"
# What must never appear in a dump: each piece on its own (an e-mail is found by its local part too).
SECRETS = ["Quellbrunn", "quellbrunn", "5550188", "555-0188", "knee-injury"]


def _free_start(viewer=None, offset: int = 3):
    day = timezone.localdate() + timedelta(days=offset)
    return availability_for(service="swedish-massage", date_from=day, date_to=day + timedelta(days=4), viewer=viewer).slots[0].start


def _everything_personal(client, demo_spa) -> Booking:
    """The ways a person's details reach the database: sign-up, a guest booking (with its e-mail), a chat with a
    phone number, a waitlist entry, a failed sign-in, an idempotent API booking."""
    client.post("/accounts/signup/", {"name": NAME, "email": "signup." + EMAIL, "phone": PHONE, "password": "a-Long-pass-9931"})
    client.logout()
    client.post("/accounts/login/", {"username": "wrong." + EMAIL, "password": "nope"})
    booking = booking_create(service="swedish-massage", start=_free_start(), notes=NOTE,
                             guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))  # fmt: skip
    chat_turn(message=f"hi, I'm {NAME}, call me on {PHONE} about my knee-injury", session_id=None)
    day = timezone.localdate() + timedelta(days=2)
    waitlist_join(service="swedish-massage", date_from=day, date_to=day, guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    api_body = {"service": "swedish-massage", "start": _free_start(offset=1).isoformat(),
                "guest": {"name": NAME, "email": "api." + EMAIL, "phone": PHONE}}  # fmt: skip
    assert client.post("/api/v1/bookings/", api_body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    return booking


def _database_text() -> str:
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        return subprocess.run(["pg_dump", "-h", connection.settings_dict.get("HOST") or "127.0.0.1", "-U",
                               connection.settings_dict.get("USER") or "postgres", "--data-only", name],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
    return "\n".join(connection.connection.iterdump())


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_name_email_phone_or_note(client, demo_spa):
    booking = _everything_personal(client, demo_spa)
    assert EmailLog.objects.filter(booking=booking).exists()  # the confirmation was written (and its body encrypted)
    text = _database_text()
    assert "gAAAAA" in text  # the dump does hold the values, as Fernet tokens
    for secret in SECRETS:
        leaks = [line[:80] for line in text.splitlines() if secret in line]
        assert not leaks, f"{secret!r} is readable in the database dump: {leaks}"
    # …and the site still reads them back.
    booking.refresh_from_db()
    assert (booking.customer_name, booking.customer_email, booking.notes) == (NAME, EMAIL.lower(), NOTE)
    assert User.objects.get(email="SIGNUP." + EMAIL.upper()).name == NAME


def test_lookups_by_email_and_phone_go_through_the_blind_index(demo_spa):
    booking = booking_create(service="swedish-massage", start=_free_start(), guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    assert Booking.objects.get(customer_email__iexact=EMAIL.upper()) == booking
    assert Booking.objects.get(customer_email=EMAIL.lower()) == booking  # e-mail addresses compare case-insensitively
    assert Booking.objects.get(customer_email__in=["nobody@example.org", EMAIL]) == booking
    assert Booking.objects.get(customer_phone="917.555.0188") == booking  # a phone number by its digits
    assert not Booking.objects.filter(customer_email="other@example.org").exists()
    assert upcoming_bookings_for(phone="19175550188", now=timezone.now()) == [booking]
    raw = Booking.objects.filter(pk=booking.pk).values_list("customer_email_bidx", flat=True).get()
    assert re.fullmatch(r"[0-9a-f]{64}", raw) and raw == crypto.blind_index("email", EMAIL)
    with pytest.raises(FieldError):
        list(Booking.objects.filter(customer_email__contains="Quell"))  # never a silent comparison with ciphertext
    with pytest.raises(FieldError):
        list(Booking.objects.filter(customer_name=NAME))  # a name has no index


def test_sign_in_sign_up_and_caller_id_find_the_account(client, demo_spa):
    premium = demo_spa.premium
    premium.phone = PHONE
    premium.save(update_fields=["phone"])  # update_fields: the phone's index is written with it
    assert user_by_phone("9175550188") == premium
    assert client.login(username=premium.email.upper(), password="coresync-demo")
    client.logout()
    response = client.post("/accounts/signup/", {"name": "Someone", "email": premium.email.upper(), "password": "a-Long-pass-9931"})
    assert response.status_code == 200 and User.objects.filter(email=premium.email).count() == 1  # refused: taken


def test_the_sign_in_attempts_store_no_address(client, demo_spa):
    from axes.models import AccessAttempt

    client.post("/accounts/login/", {"username": demo_spa.guest.email, "password": "wrong"})
    attempt = AccessAttempt.objects.get()
    assert demo_spa.guest.email not in attempt.username and attempt.username == crypto.blind_index("email", demo_spa.guest.email)


def test_an_indexed_field_saved_with_update_fields_moves_its_index(demo_spa):
    booking = booking_create(service="swedish-massage", start=_free_start(), guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    booking.customer_email = "moved@example.org"
    booking.save(update_fields=["customer_email"])
    assert Booking.objects.get(customer_email="moved@example.org") == booking
    assert not Booking.objects.filter(customer_email=EMAIL).exists()


def test_after_erasure_the_old_address_finds_nothing(demo_spa):
    booking_create(service="swedish-massage", start=_free_start(), guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    chat_turn(message=f"this is {NAME}", session_id=None, caller_phone=PHONE, channel="phone")
    personal_data_erase(EMAIL)
    assert not Booking.objects.filter(customer_email=EMAIL).exists()
    assert not EmailLog.objects.filter(recipient=EMAIL).exists()
    assert not Booking.objects.filter(customer_phone=PHONE).exists()


def test_rows_written_before_encryption_are_encrypted_and_indexed(demo_spa):
    """What the migrations run on a live database: plaintext rows become tokens, their indexes are filled."""
    booking = booking_create(service="swedish-massage", start=_free_start(), guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_booking SET customer_name = %s, customer_email = %s, customer_email_bidx = '' WHERE id = %s",
                       [NAME, EMAIL, booking.pk])  # fmt: skip
    assert Booking.objects.get(pk=booking.pk).customer_name == NAME  # a plaintext leftover still reads
    assert resave_rows(Booking) == Booking.objects.count()
    raw_name, raw_email = Booking.objects.filter(pk=booking.pk).values_list("customer_name", "customer_email").get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT customer_name, customer_email FROM bookings_booking WHERE id = %s", [booking.pk])
        raw_name, raw_email = cursor.fetchone()
    assert raw_name.startswith("gAAAAA") and raw_email.startswith("gAAAAA")
    assert Booking.objects.get(customer_email=EMAIL).customer_name == NAME


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rotate_field_keys_moves_every_row_to_the_new_key(demo_spa, settings):
    # The demo spa was written under the development key (derived from SECRET_KEY): rotate from it to a real one.
    old, new = crypto._derived(b"coresync.fields:").decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    booking = booking_create(service="swedish-massage", start=_free_start(), notes=NOTE, guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    QuickBooksConnection.objects.create(realm_id="r1", refresh_token=_legacy(settings.SECRET_KEY).encrypt(b"rt-legacy").decode())
    before = _raw("bookings_booking", "customer_name", booking.pk)
    assert Fernet(old).decrypt(before.encode()).decode() == NAME

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # the new key in front: it encrypts, both decrypt
    out = io.StringIO()
    call_command("rotate_field_keys", "--batch", "2", stdout=out)
    assert "bookings.Booking" in out.getvalue() and "rows" in out.getvalue() and "QuickBooks connection tokens: 1" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key dropped: everything still reads
    booking.refresh_from_db()
    assert (booking.customer_name, booking.notes) == (NAME, NOTE)
    assert Fernet(new).decrypt(_raw("bookings_booking", "customer_name", booking.pk).encode()).decode() == NAME
    assert secret_decrypt(QuickBooksConnection.objects.get().refresh_token) == "rt-legacy"
    assert Booking.objects.get(customer_email=EMAIL) == booking  # indexes untouched by an encryption-key change
    settings.FIELD_ENCRYPTION_KEYS = [old]
    with pytest.raises(InvalidToken):
        Booking.objects.get(pk=booking.pk)  # the old key alone no longer opens it: it was really re-encrypted


def test_a_new_index_key_with_the_previous_one_kept_then_reindexed(demo_spa, settings):
    settings.FIELD_INDEX_KEY = "first-index-key-" * 3
    booking = booking_create(service="swedish-massage", start=_free_start(), guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    settings.FIELD_INDEX_KEY, settings.FIELD_INDEX_KEY_PREVIOUS = "second-index-key" * 3, "first-index-key-" * 3
    assert Booking.objects.get(customer_email=EMAIL) == booking  # found under the previous key meanwhile
    call_command("rotate_field_keys", "--reindex", stdout=io.StringIO())
    settings.FIELD_INDEX_KEY_PREVIOUS = ""
    assert Booking.objects.get(customer_email=EMAIL) == booking
    assert Booking.objects.get(customer_phone=PHONE) == booking


def test_chat_turns_are_stored_encrypted_and_read_back(demo_spa):
    chat_turn(message=f"hello, my number is {PHONE}", session_id=None, caller_phone=PHONE, channel="phone")
    action = AgentAction.objects.get()
    assert PHONE in action.message and isinstance(action.reply, dict)
    assert PHONE not in _raw("ai_agent_agentaction", "message", action.pk)
    assert Conversation.objects.get(caller_phone="9175550188").caller_phone == PHONE


def test_waitlist_entries_are_found_by_email(demo_spa):
    day = timezone.localdate() + timedelta(days=2)
    waitlist_join(service="swedish-massage", date_from=day, date_to=day, guest=GuestDetails(name=NAME, email=EMAIL, phone=PHONE))
    assert WaitlistEntry.objects.get(email__iexact=EMAIL).name == NAME
