"""Sample facts for the manager's preview page and the screenshot test (no database needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from .facts import BookingFacts, DeadLetterFacts, HandoffFacts, MemberFacts, PlaceFacts, PriceLine, SyncNoticeFacts

SAMPLE_PLACE = PlaceFacts(
    name="CoreSync Spa & Wellness Club",
    address="41 Mercer Street\nNew York, NY 10013",
    phone="+1 212 555 0142",
    email="concierge@coresync.test",
    map_url="https://maps.example.com/?q=41+Mercer+Street+New+York",
    directions="Take the A/C/E to Canal Street; we are two blocks north, the black door beside the gallery.",
    parking="Valet at the Mercer Street entrance from 9 am; the Icon garage on Grand Street validates 3 hours.",
    what_to_bring="Nothing but yourself: robes, slippers and lockers are ready. Please arrive 15 minutes early.",
    review_url="https://g.page/r/coresync-demo/review",
)


def sample_booking(*, start: datetime | None = None) -> BookingFacts:
    start = start or datetime(2025, 11, 14, 20, 0, tzinfo=UTC)
    return BookingFacts(
        reference="CS-7KQ2M9",
        guest_name="Amelia Laurent",
        guest_email="amelia@example.com",
        service_name="Deep Tissue Massage",
        technician_name="Maya R.",
        room_name="Treatment Room 2",
        start=start,
        end=start + timedelta(minutes=75),
        place=SAMPLE_PLACE,
        currency="USD",
        total=Decimal("163.30"),
        tax=Decimal("13.30"),
        discount=Decimal("0"),
        paid=False,
        addons=("Hot Stones", "Aromatherapy"),
        price_lines=(
            PriceLine("Deep Tissue Massage (60 min)", "$120.00"),
            PriceLine("Hot Stones", "$20.00"),
            PriceLine("Aromatherapy", "$10.00"),
        ),
        duration_minutes=75,
    )


def sample_member() -> MemberFacts:
    return MemberFacts(
        member_name="Amelia Laurent",
        member_email="amelia@example.com",
        member_number="CSM-204817",
        tier_name="Premium",
        started_on=date(2025, 11, 1),
        renews_on=date(2025, 12, 1),
        card_on_file=True,
        monthly_price=Decimal("249.00"),
        discount_percent=Decimal("40"),
        booking_window_days=90,
        benefits=(
            "40% off every service and add-on",
            "Book up to 90 days ahead",
            "Priority access to the private spa",
            "One complimentary guest pass each month",
        ),
        place=SAMPLE_PLACE,
    )


def sample_handoff() -> HandoffFacts:
    return HandoffFacts(
        manager_email="manager@coresync.test",
        channel="web",
        reason="Asked for a person",
        contact="amelia@example.com",
        last_message="Could someone call me about a couples package?",
        replay_url="https://spa.example/admin/ai_agent/conversation/1/change/",
        place=SAMPLE_PLACE,
    )


def sample_dead_letter() -> DeadLetterFacts:
    return DeadLetterFacts(
        manager_email="manager@coresync.test", kind="email.booking", dedupe_key="email:booking_confirmation:1:0",
        attempts=10, error="sendgrid answered 503", admin_url="https://spa.example/admin/outbox/outboxmessage/1/change/",
        place=SAMPLE_PLACE,
    )


def sample_sync_notice() -> SyncNoticeFacts:
    return SyncNoticeFacts(
        manager_email="manager@coresync.test",
        title="A calendar event was moved in Google and put back",
        lines=(
            "Booking CS-7KQ2M9 (Deep Tissue Massage with Maya R.) was moved in the CoreSync · Master calendar.",
            "It had been moved to Saturday November 15, 11:00 AM.",
            "CoreSync keeps the booking at Friday November 14, 3:00 PM and has put the event back.",
        ),
        link="https://spa.example/admin/bookings/booking/1/change/",
        link_label="Open the booking",
        place=SAMPLE_PLACE,
    )


# E-mails composed by apps above this one (waitlist offer, payroll report): each registers a sample
# in its AppConfig.ready(), so the manager's preview and the screenshot test show them too.
REGISTERED_SAMPLES: dict = {}


def register_sample(kind: str, make) -> None:
    """``make()`` returns the ``ComposedEmail`` of ``kind`` rendered from sample facts."""
    REGISTERED_SAMPLES[kind] = make
