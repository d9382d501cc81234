"""Sentry (issue 16): errors of web and workers, with no customer's personal data in them.

``sentry_init`` is called by settings when ``SENTRY_DSN`` is set. Nothing personal is collected by
default: ``send_default_pii`` is off (sentry-sdk 2.75 deprecates the flag in favour of ``data_collection``,
given here explicitly: no user, no cookies, no IP or forwarding headers, no SQL parameters, no queue
payloads; with it Sentry's own EventScrubber is off), and ``scrub_event`` (``before_send``,
``before_send_transaction``, ``before_breadcrumb``) removes what could still carry a customer: values under
name-like keys, secrets under keys naming one (password, token, secret, …), anything that looks like an e-mail address, a phone or a card number, the Authorization,
Cookie and webhook signature headers. Every event is tagged with the request id of the work it came from.
"""

from __future__ import annotations

import re

from .observability import request_id_var

FILTERED = "[Filtered]"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 9+ digits with the separators people type (phones, card numbers); not inside a longer token (ids, UUIDs).
DIGITS = re.compile(r"(?<![\w-])\+?\d[\d ().-]{7,}\d(?![\w-])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Keys whose values are a person's name, contact or words, or a secret Sentry's default list does not know.
PII_KEYS = frozenset({
    "name", "first_name", "last_name", "full_name", "given_name", "family_name", "display_name", "guest_name",
    "customer_name", "email", "e_mail", "phone", "phone_number", "mobile", "notes", "note", "address",
    "card", "card_number", "number", "cvc", "cvv", "iban", "party", "guest", "customer", "recipient", "to",
})
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "stripe-signature", "x-twilio-signature",
    "x-atlas-signature", "x-goog-channel-token", "x-twilio-email-event-webhook-signature", "x-csrftoken",
})
# A key containing one of these names a secret (Sentry's own denylist, by substring).
SECRET_TERMS = ("password", "passwd", "secret", "token", "auth", "session", "csrf", "xsrf", "credential", "api_key",
                "apikey", "private_key", "signature", "jwt", "bearer", "cookie")
# Structural parts of an event that never hold request data and must stay as they are.
_KEEP = frozenset({"event_id", "timestamp", "start_timestamp", "platform", "sdk", "modules", "release", "environment",
                   "level", "logger", "server_name", "tags", "filename", "abs_path", "module", "function", "lineno",
                   "colno", "in_app", "context_line", "pre_context", "post_context", "type", "mechanism", "trace_id",
                   "span_id", "parent_span_id", "op", "url", "method", "category"})


def _digits_filtered(match: re.Match) -> str:
    text = match.group(0)
    if ISO_DATE.match(text) or sum(c.isdigit() for c in text) < 9:
        return text
    return FILTERED


def scrub_text(text: str) -> str:
    return DIGITS.sub(_digits_filtered, EMAIL.sub(FILTERED, text))


def _normal_key(key) -> str:
    return str(key).strip().lower().replace("-", "_")


def scrub(value, pii_keys: frozenset = PII_KEYS):
    """``value`` with personal data replaced by ``[Filtered]`` (dicts and lists walked, keys kept)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            nk = _normal_key(k)
            if nk in pii_keys or nk.replace("_", "-") in SECRET_HEADERS or any(term in nk for term in SECRET_TERMS):
                out[k] = FILTERED if v not in (None, "", [], {}) else v
            elif str(k) in _KEEP:
                out[k] = v
            else:
                out[k] = scrub(v, pii_keys)
        return out
    if isinstance(value, list | tuple):
        return [scrub(item, pii_keys) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """``before_send``: the event scrubbed, the request id as a tag."""
    event = scrub(event)
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request["data"] = scrub(request.get("data"), PII_KEYS | {"message", "text", "body"})  # a chat's words
        if isinstance(request.get("query_string"), str):
            request["query_string"] = scrub_text(request["query_string"])
        if isinstance(request.get("url"), str):
            request["url"] = scrub_text(request["url"])
    event.pop("user", None)
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})
        if isinstance(event["tags"], dict):
            event["tags"]["request_id"] = request_id
    return event


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return scrub(crumb)


# What the SDK collects by itself: the equivalent of send_default_pii=False, minus cookies, SQL and queue data.
DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "denylist", "terms": ["forwarded", "-ip", "remote-", "via", "-user", "signature",
                                                                "cookie", "channel-token"]}},
    "url_query_params": {"mode": "denylist", "terms": ["email", "phone", "name", "token", "signature"]},
    "database_query_data": False,
    "queues": False,
    "gen_ai": {"inputs": False, "outputs": False},
}


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0, **options) -> None:
    """Start Sentry for Django and Celery (``options`` for tests: ``transport``)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn, environment=environment, traces_sample_rate=traces_sample_rate, data_collection=DATA_COLLECTION,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=scrub_event, before_send_transaction=scrub_event, before_breadcrumb=scrub_breadcrumb,
        **options,
    )
