"""Golden files: the exact subject and plain text of every e-mail, rendered from fixed facts on a frozen clock.

A change to any e-mail's wording shows up here as a diff to review. After a
deliberate change, regenerate with ``UPDATE_GOLDEN=1 pytest coresync/notifications/tests/test_golden.py``
and commit the files under ``tests/golden/``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine

from coresync.notifications.emails import compose
from coresync.notifications.facts import DeadLetterFacts, HandoffFacts, booking_facts
from coresync.notifications.models import EmailKind
from coresync.notifications.sample import sample_member, sample_sync_notice

GOLDEN = Path(__file__).parent / "golden"
CLOCK = datetime(2031, 11, 10, 15, 0, tzinfo=UTC)
START = datetime(2031, 11, 14, 20, 0, tzinfo=UTC)  # Friday 3:00 PM in New York
UNSUBSCRIBE = "https://spa.example/notifications/unsubscribe/TOKEN/"


class _Lines(list):
    def all(self):
        return self


def _booking(**changes) -> SimpleNamespace:
    """A booking as the database hands it to ``booking_facts``, with the quote's own price lines."""
    location = SimpleNamespace(
        name="CoreSync Spa & Wellness Club",
        address="41 Mercer Street\nNew York, NY 10013",
        phone="+1 212 555 0142",
        email="concierge@coresync.test",
        map_url="https://maps.example.com/?q=41+Mercer+Street",
        directions="Take the A/C/E to Canal Street; we are two blocks north.",
        parking="Valet at the Mercer Street entrance from 9 am.",
        what_to_bring="Nothing but yourself. Please arrive 15 minutes early.",
        cancellation_policy="",
        google_review_url="https://g.page/r/coresync-demo/review",
        timezone="America/New_York",
        free_cancellation_hours=24,
    )
    booking = SimpleNamespace(
        reference="CS-7KQ2M9",
        customer_name="Amelia Laurent",
        customer_email="amelia@example.com",
        service=SimpleNamespace(name="Deep Tissue Massage"),
        technician=SimpleNamespace(display_name="Maya R."),
        room=SimpleNamespace(name="Treatment Room 2"),
        start=START,
        end=START + timedelta(minutes=90),
        location=location,
        currency="USD",
        subtotal=Decimal("150.00"),
        discount=Decimal("60.00"),
        tax=Decimal("7.99"),
        total=Decimal("97.99"),
        stripe_payment_intent_id="",
        booking_addons=_Lines([SimpleNamespace(name="Hot Stones")]),
        price_lines=[
            {"description": "Deep Tissue Massage", "amount": "120.00", "kind": "service"},
            {"description": "Hot Stones", "amount": "30.00", "kind": "addon"},
            {"description": "Premium member discount (40%)", "amount": "-60.00", "kind": "discount"},
            {"description": "Sales tax (8.875%)", "amount": "7.99", "kind": "tax"},
        ],
        ics_sequence=0,
        rescheduled_from=None,
    )
    for name, value in changes.items():
        setattr(booking, name, value)
    return booking


def _rendered(kind: str):
    if kind == EmailKind.MEMBERSHIP_WELCOME:
        return compose(kind, sample_member())
    if kind == EmailKind.DEAD_LETTER_NOTICE:
        return compose(kind, DeadLetterFacts(
            manager_email="manager@coresync.test", kind="email.booking", dedupe_key="email:booking_confirmation:7:0",
            attempts=10, error="sendgrid answered 503", admin_url="https://spa.example/admin/outbox/outboxmessage/3/change/",
        ))
    if kind == EmailKind.SYNC_NOTICE:
        return compose(kind, sample_sync_notice())
    if kind == EmailKind.WAITLIST_OFFER:
        from coresync.notifications.facts import PlaceFacts
        from coresync.waitlist.emails import OfferFacts, compose_offer

        return compose_offer(OfferFacts(
            guest_email="amelia@example.com", first_name="Amelia", service_name="Deep Tissue Massage", technician_name="Maya R.",
            day_text="Friday, November 14", time_text="3:00 PM", expires_text="10:30 AM", hold_minutes=30,
            accept_url="https://spa.example/waitlist/offers/TOKEN/", place=PlaceFacts(name="CoreSync Spa & Wellness Club"),
        ))
    if kind == EmailKind.PAYROLL_REPORT:
        from coresync.staff.payroll_mail import compose_payroll
        from coresync.technicians.services import Payroll, PayrollRow

        payroll = Payroll(week="2031-W45", rows=[
            PayrollRow(technician_id=3, name="Daniel Cho", hours=Decimal("31.50"), rate=Decimal("36.00"), amount=Decimal("1134.00")),
            PayrollRow(technician_id=1, name="Maya Rivera", hours=Decimal("37.50"), rate=Decimal("38.00"), amount=Decimal("1425.00")),
        ])
        return compose_payroll(payroll, to="manager@coresync.test", csv_url="https://spa.example/api/v1/manager/payroll.csv?week=2031-W45")
    if kind == EmailKind.HANDOFF_NOTICE:
        return compose(kind, HandoffFacts(
            manager_email="manager@coresync.test", channel="phone", reason="Asked for a person",
            contact="+1 212 555 0199", last_message="Can I talk to someone about a gift card?",
            replay_url="https://spa.example/admin/ai_agent/conversation/42/change/",
        ))
    changes = {}
    if kind == EmailKind.BOOKING_RESCHEDULED:
        changes = {"rescheduled_from": START - timedelta(days=1), "ics_sequence": 1}
    elif kind == EmailKind.BOOKING_CANCELLED:
        changes = {"ics_sequence": 1}
    unsubscribe = UNSUBSCRIBE if kind in (EmailKind.BOOKING_REMINDER, EmailKind.REVIEW_REQUEST) else ""
    return compose(kind, booking_facts(_booking(**changes)), unsubscribe_url=unsubscribe)


@pytest.fixture
def fixed_world(settings):
    settings.SITE_URL = "https://spa.example"
    settings.SECRET_KEY = "golden-files-fixed-secret-key-0123456789abcdefghijklmnop"
    with time_machine.travel(CLOCK, tick=False):
        yield


GOLDEN_KINDS = [
    EmailKind.BOOKING_CONFIRMATION,
    EmailKind.BOOKING_REMINDER,
    EmailKind.REVIEW_REQUEST,
    EmailKind.MEMBERSHIP_WELCOME,
    EmailKind.BOOKING_RESCHEDULED,
    EmailKind.BOOKING_CANCELLED,
    EmailKind.HANDOFF_NOTICE,
    EmailKind.DEAD_LETTER_NOTICE,
    EmailKind.SYNC_NOTICE,
    EmailKind.WAITLIST_OFFER,
    EmailKind.PAYROLL_REPORT,
]


@pytest.mark.parametrize("kind", GOLDEN_KINDS)
def test_each_email_reads_exactly_as_its_golden_file(fixed_world, kind):
    email = _rendered(kind)
    rendered = f"Subject: {email.subject}\nTo: {email.to}\n\n{email.text}"
    golden = GOLDEN / f"{kind}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"no golden file for {kind}: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == golden.read_text(encoding="utf-8")


def test_every_kind_has_a_golden_file():
    assert set(GOLDEN_KINDS) == set(EmailKind)


def test_the_confirmation_lists_the_sales_tax_and_the_discount_once(fixed_world):
    email = _rendered(EmailKind.BOOKING_CONFIRMATION)
    for part in (email.text, email.html):
        assert part.count("Sales tax") == 1
        assert part.count("member discount") + part.count("Member discount") == 1
        assert "$97.99" in part
    assert "Sales tax (8.875%): $7.99" in email.text
