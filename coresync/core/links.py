"""Signed links that let a guest without an account manage one booking.

The booking e-mails carry ``booking_manage_url(booking)``; the web app's manage
page reads it back with ``booking_manage_lookup``. The token signs the booking's
reference and the guest's e-mail, so it stops working if either changes, and it
cannot be forged or pointed at another booking. It lives on the ground floor so
the e-mails (notifications) and the pages (web) share it without importing each other.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "coresync.web.manage-booking"  # unchanged when it moved here from web: links already sent keep working
MAX_AGE_SECONDS = 400 * 24 * 3600


def booking_manage_token(*, reference: str, email: str) -> str:
    return signing.dumps({"r": reference, "e": email.strip().lower()}, salt=SALT, compress=True)


def booking_manage_path(booking) -> str:
    token = booking_manage_token(reference=booking.reference, email=booking.customer_email)
    return reverse("web:manage-booking", kwargs={"token": token})


def booking_manage_url(booking) -> str:
    """Absolute link for e-mails (``SITE_URL`` + path)."""
    return settings.SITE_URL + booking_manage_path(booking)


def booking_manage_lookup(token: str) -> tuple[str, str] | None:
    """``(reference, email)`` from a valid token, else ``None``."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not payload.get("r") or not payload.get("e"):
        return None
    return str(payload["r"]), str(payload["e"])
