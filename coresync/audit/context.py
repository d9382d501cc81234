"""Who is acting, and through which channel: set at the edges (a request, a task, a webhook, the sheet), read by the audit.

The request-id middleware has already put the request id in ``request_id_var``; this
module adds the rest of the "who/how" of a change, so the services that write need no
extra arguments. ``audit_context(channel=..., actor=...)`` narrows it for a block::

    with audit_context(channel=Channel.SHEET, actor_label="sheet"):
        pricing_import(tabs)

The actor of a request is read only when something is recorded (``request.user`` is
lazy; DRF's authenticated user is written back onto the Django request), so setting
the context costs no query.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from coresync.core.observability import request_id_var


class Channel:
    WEB = "web"
    API = "api"
    ADMIN = "admin"
    PORTAL = "portal"
    CHAT = "chat"
    PHONE = "phone"
    SHEET = "sheet"
    TASK = "task"
    SYSTEM = "system"

    @staticmethod
    def webhook(provider: str) -> str:
        return f"webhook:{provider}"


@dataclass(frozen=True)
class AuditContext:
    channel: str = Channel.SYSTEM
    actor: Any = None  # a user, when known outright (a task acting for someone)
    actor_label: str = ""  # who, when no account acts: "stripe", "sheet", "task:payments.sweep"
    request: Any = None  # the Django request, for its (lazy) user
    gather: list | None = None  # while set, changes are gathered here instead of written (a service records one summary)


_OUTSIDE = AuditContext()  # no request, no task: a command, a shell, a test
_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)


def current() -> AuditContext:
    return _context.get() or _OUTSIDE


def set_context(**values) -> contextvars.Token:
    return _context.set(replace(current(), **values))


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


@contextmanager
def audit_context(*, channel: str | None = None, actor: Any = None, actor_label: str | None = None, request: Any = None):
    """Narrow who/how for a block; values not given are kept from the outer context."""
    values: dict = {}
    if channel is not None:
        values["channel"] = channel
    if actor is not None:
        values["actor"], values["request"] = actor, None
    if actor_label is not None:
        values["actor_label"] = actor_label
    if request is not None:
        values["request"] = request
    token = set_context(**values)
    try:
        yield current()
    finally:
        reset_context(token)


def who() -> tuple[Any, str]:
    """``(user or None, label)`` for the current context: the label names a system actor, never a person."""
    ctx = current()
    user = ctx.actor if ctx.actor is not None else getattr(ctx.request, "user", None) if ctx.request is not None else None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is not None and getattr(user, "pk", None) is None:
        user = None
    return user, "" if user is not None else (ctx.actor_label or ctx.channel)


def request_id() -> str:
    ctx = current()
    rid = request_id_var.get()
    if not rid and ctx.request is not None:
        rid = str(getattr(ctx.request, "request_id", "") or "")
    return rid[:64]


WEBHOOK_PATHS = (
    ("/api/payments/stripe/", Channel.webhook("stripe")),
    ("/api/notifications/sendgrid/", Channel.webhook("sendgrid")),
    ("/api/integrations/google/sheets/", Channel.SHEET),
    ("/api/integrations/google/", Channel.webhook("google")),
    ("/api/ai/atlas-webhook/", Channel.PHONE),  # Atlas: the phone concierge
    ("/api/v1/chat/", Channel.CHAT),
)


def channel_for_path(path: str) -> str:
    for prefix, channel in WEBHOOK_PATHS:
        if path.startswith(prefix):
            return channel
    if path.startswith("/admin/"):
        return Channel.ADMIN
    if path.startswith("/api/"):
        return Channel.API
    if path.startswith(("/portal/", "/manager/")):
        return Channel.PORTAL
    return Channel.WEB
