"""Signed, non-expiring unsubscribe tokens: who (an account or a guest address), nothing else."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse


def unsubscribe_token(*, user_id: int | None = None, email: str = "") -> str:
    payload = {"u": user_id} if user_id else {"e": email.strip().lower()}
    return signing.dumps(payload, salt=settings.NOTIFICATIONS_UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, user_id: int | None = None, email: str = "") -> str:
    token = unsubscribe_token(user_id=user_id, email=email)
    return settings.SITE_URL + reverse("notifications:unsubscribe", kwargs={"token": token})


def unsubscribe_target(token: str) -> dict | None:
    """``{"u": id}`` or ``{"e": address}`` for a genuine token, ``None`` for anything else."""
    try:
        payload = signing.loads(token, salt=settings.NOTIFICATIONS_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if isinstance(payload, dict) and (isinstance(payload.get("u"), int) or isinstance(payload.get("e"), str)):
        return payload
    return None
