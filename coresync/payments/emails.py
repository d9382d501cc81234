"""The payment e-mails (SPEC §10.8): the payment link (a bank asked for the card holder) and the dunning notice.

Composed here, sent once per dedupe key through the e-mail log (``notifications.services.message_email_send``),
which retries the mail provider like every other mail.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from coresync.bookings.models import Booking
from coresync.core.formatting import format_datetime, format_money
from coresync.core.links import booking_manage_token
from coresync.notifications.emails import ComposedEmail
from coresync.notifications.services import message_email_send

from .models import MembershipSubscription


def pay_page_url(booking: Booking) -> str:
    token = booking_manage_token(reference=booking.reference, email=booking.customer_email)
    return settings.SITE_URL + reverse("payments:pay-page", kwargs={"token": token})


def _compose(kind: str, *, to: str, subject: str, context: dict) -> ComposedEmail:
    context.update(subject=subject, site_url=settings.SITE_URL)
    return ComposedEmail(kind=kind, to=to, subject=subject, text=render_to_string(f"payments/emails/{kind}.txt", context).strip() + "\n",
                         html=render_to_string(f"payments/emails/{kind}.html", context))


def payment_email_send(*, kind: str, dedupe_key: str, booking_id: int | None = None, subscription_id: int | None = None) -> None:
    if kind == "payment_link":
        booking = Booking.objects.select_related("location", "service").get(pk=booking_id)
        tz = ZoneInfo(booking.location.timezone)
        context = {"name": booking.customer_name, "reference": booking.reference, "service": booking.service.name,
                   "when": format_datetime(booking.start, tz),
                   "amount": format_money(booking.total, booking.currency), "url": pay_page_url(booking)}
        composed = _compose(kind, to=booking.customer_email, subject=f"Please confirm your payment · {booking.reference}", context=context)
    else:
        row = MembershipSubscription.objects.select_related("user", "tier").get(pk=subscription_id)
        context = {"name": row.user.name or row.user.email, "tier": row.tier.name,
                   "amount": format_money(row.tier.monthly_price, "USD"), "url": settings.SITE_URL + "/accounts/membership/"}
        composed = _compose(kind, to=row.user.email, subject=f"Your {row.tier.name} membership payment did not go through", context=context)
    message_email_send(dedupe_key=dedupe_key, composed=composed)
