"""What each e-mail says and carries: parsed .ics, opened PDF, local times across DST."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import time_machine
from icalendar import Calendar
from pypdf import PdfReader

from coresync.notifications import services
from coresync.notifications.emails import compose
from coresync.notifications.models import EmailKind, EmailStatus
from coresync.notifications.sample import sample_booking

from .factories import BookingFactory, MembershipFactory, UserFactory, an_addon


def _html(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def _attachment(message, mimetype: str):
    return next(item for item in message.attachments if item[2].startswith(mimetype))


def test_confirmation_says_everything_and_carries_an_ics(spa, outbox):
    addon = an_addon()
    booking = BookingFactory(
        start=datetime(2031, 7, 18, 18, 0, tzinfo=UTC), customer_name="Amelia Laurent", addons=[addon]
    )
    with time_machine.travel(datetime(2031, 7, 10, 12, 0, tzinfo=UTC), tick=False):
        log = services.booking_email_send(booking_id=booking.pk, kind=EmailKind.BOOKING_CONFIRMATION)

    assert log.status == EmailStatus.SENT and log.recipient == booking.customer_email
    [message] = outbox
    assert message.to == [booking.customer_email]
    assert booking.reference in message.subject
    html, text = _html(message), message.body
    for part in (html, text):
        assert booking.reference in part
        assert booking.service.name in part
        assert addon.name in part
        assert booking.technician.display_name in part
        assert "2:00" in part and "EDT" in part  # 18:00 UTC in New York in July
        assert "$163.31" in part
        assert "due at the spa" in part.lower()
        assert "24 hours before" in part  # the location's cancellation policy
        assert "action=reschedule" in part and "action=cancel" in part
    assert "Friday, July 18, 2031" in text
    assert "Park Ave" in html or spa.location.address.splitlines()[0] in html

    filename, content, _mimetype = _attachment(message, "text/calendar")
    assert filename.endswith(".ics")
    content.encode("ascii")  # SendGrid mangles non-ASCII calendar parts
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert str(event["UID"]) == f"{booking.reference}@coresync"
    assert event.decoded("DTSTART") == booking.start
    assert event.decoded("DTEND") == booking.end
    assert booking.reference in str(event["DESCRIPTION"])
    assert spa.location.address.splitlines()[0] in str(event["LOCATION"])


def test_ics_is_ascii_even_for_accented_names():
    from coresync.notifications.attachments import booking_ics

    facts = sample_booking()
    facts = type(facts)(**{**facts.__dict__, "service_name": "Soin Éclat – Visage", "technician_name": "Zoë"})
    content = booking_ics(facts)
    content.decode("ascii")
    assert b"Soin Eclat - Visage" in content


def test_reminder_has_directions_parking_and_what_to_bring(spa, outbox):
    BookingFactory(start=datetime(2031, 1, 10, 20, 0, tzinfo=UTC))
    with time_machine.travel(datetime(2031, 1, 10, 0, 0, tzinfo=UTC), tick=False):
        sent = services.reminders_send_due()
    assert sent == 1
    [message] = outbox
    location = spa.location
    for part in (_html(message), message.body):
        assert location.directions.split(".")[0] in part.replace("&#x27;", "'")
        assert location.parking.split(";")[0] in part
        assert location.what_to_bring.split(":")[0] in part
        assert "3:00 PM" in part and "EST" in part  # 20:00 UTC in New York in January
    assert "List-Unsubscribe" in message.extra_headers


def test_review_request_links_google_and_unsubscribes_in_one_click(spa, outbox):
    booking = BookingFactory(start=datetime(2031, 3, 3, 15, 0, tzinfo=UTC))
    with time_machine.travel(booking.end.replace(hour=booking.end.hour + 2), tick=False):
        assert services.review_requests_send_due() == 1
    [message] = outbox
    assert spa.location.google_review_url in _html(message)
    assert spa.location.google_review_url in message.body
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http") and "/notifications/unsubscribe/" in header
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.strip("<>") in message.body


def test_membership_welcome_carries_the_card_as_a_pdf(spa, outbox):
    user = UserFactory(email="zoe@example.com", name="Zoë Fontaine")
    membership = MembershipFactory(user=user, member_number="M-12345678", card_on_file=True)
    log = services.membership_welcome_send(membership_id=membership.pk)

    assert log.status == EmailStatus.SENT
    [message] = outbox
    html = _html(message)
    for benefit in membership.tier.benefit_list:
        assert benefit in message.body
    assert "card on file will be charged" in message.body
    assert "M-12345678" in html and "Premium" in html
    filename, content, _mimetype = _attachment(message, "application/pdf")
    assert filename == "membership-card-M-12345678.pdf"
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    card = reader.pages[0].extract_text()
    assert "Zoë Fontaine" in card
    assert "Premium Member" in card
    assert "M-12345678" in card
    assert membership.started_on.isoformat() in card


def test_welcome_without_card_on_file_invites_adding_one(spa, outbox):
    membership = MembershipFactory(card_on_file=False)
    services.membership_welcome_send(membership_id=membership.pk)
    assert "There is no card on file yet" in outbox[0].body


def test_times_follow_the_location_zone_across_the_dst_change():
    # 2031-03-09 is the second Sunday of March: New York moves from EST (UTC-5) to EDT (UTC-4).
    before = sample_booking(start=datetime(2031, 3, 8, 20, 0, tzinfo=UTC))
    after = sample_booking(start=datetime(2031, 3, 9, 19, 0, tzinfo=UTC))
    text_before = compose(EmailKind.BOOKING_CONFIRMATION, before).text
    text_after = compose(EmailKind.BOOKING_CONFIRMATION, after).text
    assert "Saturday, March 8, 2031, 3:00 PM – 4:15 PM EST" in text_before
    assert "Sunday, March 9, 2031, 3:00 PM – 4:15 PM EDT" in text_after
