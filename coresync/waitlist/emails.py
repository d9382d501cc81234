"""The waitlist offer e-mail: the freed time, how long it is held, a one-click accept link (signed)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from coresync.catalog.models import Location
from coresync.core.formatting import format_date, format_time
from coresync.notifications.emails import ComposedEmail
from coresync.notifications.facts import PlaceFacts, place_facts
from coresync.notifications.models import EmailKind
from coresync.notifications.services import message_email_send

from .models import WaitlistOffer
from .services import offer_token

KIND = EmailKind.WAITLIST_OFFER


@dataclass(frozen=True)
class OfferFacts:
    guest_email: str
    first_name: str
    service_name: str
    technician_name: str
    day_text: str
    time_text: str
    expires_text: str
    hold_minutes: int
    accept_url: str
    place: PlaceFacts


def offer_facts(offer: WaitlistOffer) -> OfferFacts:
    entry = offer.entry
    location = Location.objects.get(pk=entry.location_id)
    tz = location.timezone
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    return OfferFacts(
        guest_email=entry.email, first_name=(entry.name or "").split(" ")[0] or "there",
        service_name=entry.service.name, technician_name=offer.technician.display_name,
        day_text=format_date(offer.start, zone), time_text=format_time(offer.start, zone),
        expires_text=format_time(offer.expires_at, zone), hold_minutes=settings.WAITLIST_HOLD_MINUTES,
        accept_url=settings.SITE_URL + reverse("waitlist:accept", args=[offer_token(offer)]), place=place_facts(location),
    )


def compose_offer(facts: OfferFacts) -> ComposedEmail:
    subject = f"A time opened up: {facts.service_name} on {facts.day_text} at {facts.time_text}"
    context = {"offer": facts, "place": facts.place, "subject": subject, "site_url": settings.SITE_URL, "kind": KIND,
               "preheader": f"Held for you until {facts.expires_text}. One click to book it."}
    return ComposedEmail(
        kind=KIND, to=facts.guest_email, subject=subject,
        text=render_to_string("emails/waitlist_offer.txt", context).strip() + "\n",
        html=render_to_string("emails/waitlist_offer.html", context),
    )


def offer_email_send(*, offer_id: int, dedupe_key: str):
    offer = WaitlistOffer.objects.select_related("entry__service", "technician").get(pk=offer_id)
    return message_email_send(dedupe_key=dedupe_key, composed=compose_offer(offer_facts(offer)))


def sample_offer_email() -> ComposedEmail:
    """The offer e-mail from sample facts (the manager's preview, the screenshot test)."""
    from coresync.notifications.sample import SAMPLE_PLACE

    return compose_offer(OfferFacts(
        guest_email="amelia@example.com", first_name="Amelia", service_name="Deep Tissue Massage", technician_name="Maya R.",
        day_text="Friday, November 14", time_text="3:00 PM", expires_text="10:30 AM", hold_minutes=settings.WAITLIST_HOLD_MINUTES,
        accept_url=settings.SITE_URL + "/waitlist/offers/SAMPLE/", place=SAMPLE_PLACE,
    ))
