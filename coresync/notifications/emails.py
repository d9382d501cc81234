"""Compose the e-mails from plain facts: subject, text, HTML, attachments and headers.

Pure rendering: no database, no sending. ``services`` feeds it facts read from
the database; the preview page and the screenshot test feed it sample facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string

from .attachments import booking_ics, membership_card_pdf
from .facts import BookingFacts, DeadLetterFacts, HandoffFacts, MemberFacts, SyncNoticeFacts, format_clock
from .models import EmailKind


@dataclass
class ComposedEmail:
    kind: str
    to: str
    subject: str
    text: str
    html: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def compose(
    kind: str, facts: BookingFacts | MemberFacts | HandoffFacts | DeadLetterFacts | SyncNoticeFacts, *, unsubscribe_url: str = ""
) -> ComposedEmail:
    """Render one e-mail. ``unsubscribe_url`` is required for the kinds a guest may switch off."""
    builder = _BUILDERS[EmailKind(kind)]
    subject, context, attachments = builder(facts)
    context.update(
        subject=subject,
        place=facts.place,
        site_url=settings.SITE_URL,
        unsubscribe_url=unsubscribe_url,
        kind=kind,
    )
    headers = {}
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST to the URL; the body link shows a confirm button.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return ComposedEmail(
        kind=kind,
        to=_recipient(facts),
        subject=subject,
        text=render_to_string(f"emails/{kind}.txt", context).strip() + "\n",
        html=render_to_string(f"emails/{kind}.html", context),
        attachments=attachments,
        headers=headers,
    )


def _recipient(facts) -> str:
    if isinstance(facts, BookingFacts):
        return facts.guest_email
    if isinstance(facts, MemberFacts):
        return facts.member_email
    return facts.manager_email


def _booking_context(booking: BookingFacts, preheader: str) -> dict:
    return {
        "booking": booking,
        "addons_text": ", ".join(booking.addons),
        "when_lines": f"{booking.day_text}\n{booking.time_text}",
        "start_clock": format_clock(booking.start_local),
        "preheader": preheader,
    }


def _invite(booking: BookingFacts, *, method: str = "REQUEST") -> tuple[str, bytes, str]:
    return ("coresync-" + booking.reference.lower() + ".ics", booking_ics(booking, method=method), "text/calendar")


def _confirmation(booking: BookingFacts):
    subject = f"Confirmed: {booking.service_name} on {booking.day_text} · {booking.reference}"
    context = _booking_context(booking, f"{booking.when_text} with {booking.technician_name}. Reference {booking.reference}.")
    return subject, context, [_invite(booking)]


def _rescheduled(booking: BookingFacts):
    subject = f"Moved: {booking.service_name} now on {booking.day_text} at {format_clock(booking.start_local)} · {booking.reference}"
    context = _booking_context(booking, f"Your new time: {booking.when_text} with {booking.technician_name}.")
    return subject, context, [_invite(booking)]


def _cancelled(booking: BookingFacts):
    subject = f"Cancelled: {booking.service_name} on {booking.day_text} · {booking.reference}"
    context = _booking_context(booking, f"Your {booking.service_name} on {booking.day_text} is cancelled.")
    return subject, context, [_invite(booking, method="CANCEL")]


def _handoff_notice(handoff: HandoffFacts):
    subject = "Concierge handoff: a guest asked for a person"
    context = {"handoff": handoff, "preheader": f"{handoff.reason} · {handoff.contact or 'no contact given'}"}
    return subject, context, []


def _dead_letter_notice(dead: DeadLetterFacts):
    subject = f"Outbox: {dead.kind} gave up after {dead.attempts} attempt(s)"
    return subject, {"dead": dead, "preheader": f"{dead.kind} · {dead.dedupe_key}"}, []


def _sync_notice(notice: SyncNoticeFacts):
    return f"Google sync: {notice.title}", {"notice": notice, "preheader": notice.lines[0] if notice.lines else notice.title}, []


def _reminder(booking: BookingFacts):
    subject = f"See you {booking.start_local:%A} at {format_clock(booking.start_local)}: {booking.service_name} · {booking.reference}"
    context = _booking_context(booking, "Directions, parking and what to bring for your visit.")
    return subject, context, []


def _review_request(booking: BookingFacts):
    subject = f"How was your {booking.service_name}, {booking.first_name}?"
    context = _booking_context(booking, "A few words from you mean a great deal to us.")
    return subject, context, []


def _membership_welcome(member: MemberFacts):
    subject = f"Welcome to {member.place.name}, {member.first_name}: your {member.tier_name} membership"
    if member.card_on_file:
        card_notice = (
            f"Your card on file will be charged {member.monthly_price_text} each month"
            + (f", next on {member.renews_text}" if member.renews_text else "")
            + ". It also makes checkout one tap; you can remove it at any time from your account or at the front desk."
        )
    else:
        card_notice = (
            "There is no card on file yet. Add one from your account or at the front desk for one-tap checkout "
            "and automatic renewal."
        )
    context = {
        "member": member,
        "card_notice": card_notice,
        "preheader": f"Your {member.tier_name} membership card and benefits.",
    }
    card = (f"membership-card-{member.member_number}.pdf", membership_card_pdf(member), "application/pdf")
    return subject, context, [card]


_BUILDERS = {
    EmailKind.BOOKING_CONFIRMATION: _confirmation,
    EmailKind.BOOKING_REMINDER: _reminder,
    EmailKind.REVIEW_REQUEST: _review_request,
    EmailKind.MEMBERSHIP_WELCOME: _membership_welcome,
    EmailKind.BOOKING_RESCHEDULED: _rescheduled,
    EmailKind.BOOKING_CANCELLED: _cancelled,
    EmailKind.HANDOFF_NOTICE: _handoff_notice,
    EmailKind.DEAD_LETTER_NOTICE: _dead_letter_notice,
    EmailKind.SYNC_NOTICE: _sync_notice,
}
