"""SendGrid as a Django e-mail backend, on the official ``sendgrid`` SDK.

django-anymail dropped SendGrid in 13.0.1 (anymail #432), so this small
backend turns an ``EmailMessage`` into a v3 ``/mail/send`` request. The rest of
CoreSync only sees Django's mail API and ``DeliveryError``; no SDK object leaks out.

After a successful send, ``message.provider_message_id`` holds SendGrid's
``X-Message-Id`` (the prefix of ``sg_message_id`` in Event Webhook posts), and
our ``X-CoreSync-Email-Log`` header travels as the ``email_log_id`` custom arg.
"""

from __future__ import annotations

import base64
import logging
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from coresync.core.errors import ProviderError

logger = logging.getLogger(__name__)

SENDGRID_HOST = "https://api.sendgrid.com"
LOG_HEADER = "X-CoreSync-Email-Log"
# Headers SendGrid sets itself (or rejects when we do).
_RESERVED_HEADERS = {"message-id", "x-sg-id", "x-sg-eid", "received", "dkim-signature", "content-type",
                     "content-transfer-encoding", "to", "from", "subject", "reply-to", "cc", "bcc"}


class DeliveryError(ProviderError):
    """The mail could not be handed over. ``permanent`` (= not ``retryable``): retrying cannot help (bad address, bad request)."""

    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None):
        super().__init__(message, status=status, retryable=not permanent, provider="sendgrid")

    @property
    def permanent(self) -> bool:
        return not self.retryable


class SendGridBackend(BaseEmailBackend):
    def __init__(self, api_key: str | None = None, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.api_key = api_key or settings.SENDGRID_API_KEY
        self.timeout = kwargs.get("timeout") or settings.SENDGRID_TIMEOUT_SECONDS

    def send_messages(self, email_messages) -> int:
        from sendgrid import SendGridAPIClient

        client = SendGridAPIClient(api_key=self.api_key, host=SENDGRID_HOST)
        sent = 0
        for message in email_messages:
            try:
                response = client.client.mail.send.post(request_body=sendgrid_payload(message), timeout=self.timeout)
            except Exception as exc:
                error = _as_delivery_error(exc)
                logger.warning("sendgrid send to=%s failed: %s", ",".join(message.to), error)
                if not self.fail_silently:
                    raise error from exc
                continue
            message.provider_message_id = (response.headers or {}).get("X-Message-Id", "")
            logger.info("sendgrid sent to=%s status=%s id=%s", ",".join(message.to), response.status_code,
                        message.provider_message_id)
            sent += 1
        return sent


def _address(value: str) -> dict:
    name, email = parseaddr(value)
    return {"email": email, "name": name} if name else {"email": email}


def sendgrid_payload(message) -> dict:
    """The v3 ``/mail/send`` JSON body for a Django ``EmailMessage`` (or ``EmailMultiAlternatives``)."""
    personalization: dict = {"to": [_address(a) for a in message.to]}
    if message.cc:
        personalization["cc"] = [_address(a) for a in message.cc]
    if message.bcc:
        personalization["bcc"] = [_address(a) for a in message.bcc]
    headers = dict(message.extra_headers)
    log_id = headers.pop(LOG_HEADER, None)
    body: dict = {
        "personalizations": [personalization],
        "from": _address(message.from_email or settings.DEFAULT_FROM_EMAIL),
        "subject": message.subject,
        "content": _contents(message),
    }
    if message.reply_to:
        body["reply_to"] = _address(getaddresses(message.reply_to)[0][1])
    custom_headers = {k: str(v) for k, v in headers.items() if k.lower() not in _RESERVED_HEADERS}
    if custom_headers:
        body["headers"] = custom_headers
    if log_id:
        body["custom_args"] = {"email_log_id": str(log_id)}
    attachments = [_attachment(item) for item in message.attachments]
    if attachments:
        body["attachments"] = attachments
    return body


def _contents(message) -> list[dict]:
    contents = [{"type": "text/plain" if message.content_subtype == "plain" else "text/html", "value": message.body}]
    for alternative in getattr(message, "alternatives", []):
        content, mimetype = alternative[0], alternative[1]
        contents.append({"type": mimetype, "value": content})
    # SendGrid requires text/plain first, then text/html.
    return sorted(contents, key=lambda c: {"text/plain": 0, "text/html": 1}.get(c["type"], 2))


def _attachment(item) -> dict:
    filename, content, mimetype = item[0], item[1], item[2]
    if isinstance(content, str):
        content = content.encode("utf-8")
    return {
        "content": base64.b64encode(content).decode("ascii"),
        "filename": filename,
        "type": mimetype or "application/octet-stream",
        "disposition": "attachment",
    }


def _as_delivery_error(exc: Exception) -> DeliveryError:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", b"") or b""
    detail = body.decode("utf-8", "replace")[:500] if isinstance(body, bytes) else str(body)[:500]
    if status is None:
        return DeliveryError(f"SendGrid unreachable: {exc}", status=None)
    # 400/403/413: the request itself is wrong; 401 is a configuration problem worth retrying after a fix.
    permanent = status in (400, 403, 413)
    return DeliveryError(f"SendGrid answered {status}: {detail}", permanent=permanent, status=status)
