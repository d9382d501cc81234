"""Files attached to e-mails: the ``.ics`` invite and the PDF membership card."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .facts import BookingFacts, MemberFacts

ICS_PRODID = "-//CoreSync//Spa booking//EN"
_ASCII_REPLACEMENTS = str.maketrans({"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "·": "-", "…": "..."})


def ascii_only(text: str) -> str:
    """SendGrid mangles non-ASCII ``text/calendar`` parts, so the invite is kept ASCII (é → e)."""
    text = text.translate(_ASCII_REPLACEMENTS)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def booking_ics(facts: BookingFacts, *, method: str = "REQUEST", now: datetime | None = None) -> bytes:
    """One VEVENT in UTC, the same UID for every mail of a booking, so calendars update it in place.

    ``SEQUENCE`` is the booking's ``ics_sequence`` (+1 on each reschedule and on
    the cancellation): a calendar applies an update only when it is higher than
    what it holds. ``method="CANCEL"`` removes the event (RFC 5546 §3.2.5).
    """
    cancelled = method == "CANCEL"
    calendar = Calendar()
    calendar.add("prodid", ICS_PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", booking_ics_uid(facts.reference))
    event.add("sequence", facts.ics_sequence)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", facts.start.astimezone(UTC))
    event.add("dtend", facts.end.astimezone(UTC))
    event.add("summary", ascii_only(f"{'Cancelled: ' if cancelled else ''}{facts.service_name} at {facts.place.name}"))
    event.add("location", ascii_only(facts.place.address_one_line or facts.place.name))
    organizer = vCalAddress(f"mailto:{facts.place.email or settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = vText(ascii_only(facts.place.name))
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{facts.guest_email}")
    attendee.params.update({"cn": vText(ascii_only(facts.guest_name or facts.guest_email)), "rsvp": "FALSE",
                            "partstat": "ACCEPTED", "role": "REQ-PARTICIPANT"})
    event.add("attendee", attendee)
    event.add("description", ascii_only("\n".join(_ics_description(facts))))
    event.add("url", facts.manage_url())
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()


def booking_ics_uid(reference: str) -> str:
    return f"{reference}@coresync"


def _ics_description(facts: BookingFacts) -> list[str]:
    description = [
        f"Booking reference: {facts.reference}",
        f"Service: {facts.service_name}",
    ]
    if facts.addons:
        description.append("Add-ons: " + ", ".join(facts.addons))
    description += [
        f"With: {facts.technician_name}",
        f"Manage your booking: {facts.manage_url()}",
    ]
    if facts.place.phone:
        description.append(f"Spa: {facts.place.phone}")
    return description


# --- The membership card ------------------------------------------------------------

CARD_WIDTH, CARD_HEIGHT = 85.6 * mm, 54 * mm  # ISO/IEC 7810 ID-1, a credit card
INK = HexColor("#14110d")
GOLD = HexColor("#c9a96e")
IVORY = HexColor("#f3ede2")
MUTED = HexColor("#9c9283")


def membership_card_pdf(facts: MemberFacts) -> bytes:
    """A one-page, card-sized PDF: name, tier, member number, valid-from date and a QR code of the number."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT))
    canvas.setTitle(f"{facts.place.name} membership card {facts.member_number}")
    canvas.setAuthor(facts.place.name)
    canvas.setFillColor(INK)
    canvas.rect(0, 0, CARD_WIDTH, CARD_HEIGHT, stroke=0, fill=1)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.6)
    canvas.roundRect(2.5 * mm, 2.5 * mm, CARD_WIDTH - 5 * mm, CARD_HEIGHT - 5 * mm, 2.5 * mm, stroke=1, fill=0)

    left = 7 * mm
    canvas.setFillColor(GOLD)
    canvas.setFont("Times-Roman", 7)
    canvas.drawString(left, CARD_HEIGHT - 10 * mm, facts.place.name.upper())
    canvas.setFont("Times-Bold", 13)
    canvas.drawString(left, CARD_HEIGHT - 17 * mm, f"{facts.tier_name} Member")

    canvas.setFillColor(IVORY)
    canvas.setFont("Helvetica-Bold", 9.5)
    canvas.drawString(left, 21 * mm, facts.member_name)
    canvas.setFont("Helvetica", 6)
    canvas.setFillColor(MUTED)
    canvas.drawString(left, 15.5 * mm, "MEMBER NUMBER")
    canvas.drawString(left + 30 * mm, 15.5 * mm, "VALID FROM")
    canvas.setFillColor(IVORY)
    canvas.setFont("Courier-Bold", 8.5)
    canvas.drawString(left, 11.5 * mm, facts.member_number)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(left + 30 * mm, 11.5 * mm, facts.started_on.isoformat())

    _draw_qr(canvas, facts.member_number, x=CARD_WIDTH - 29 * mm, y=7 * mm, size=22 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_qr(canvas: Canvas, value: str, *, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(value, barLevel="M")
    widget.barFillColor = INK
    widget.barStrokeColor = INK
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    canvas.setFillColor(IVORY)
    canvas.roundRect(x - 1.2 * mm, y - 1.2 * mm, size + 2.4 * mm, size + 2.4 * mm, 1.5 * mm, stroke=0, fill=1)
    renderPDF.draw(drawing, canvas, x, y)
