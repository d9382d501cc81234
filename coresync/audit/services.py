"""``security_event(kind, ...)``: the one way to write the security log, from a request, a task or a command."""

from __future__ import annotations

import ipaddress
import logging

from django.db import DatabaseError

from coresync.core.crypto import blind_index
from coresync.core.observability import request_id_var
from coresync.core.ratelimit import client_ip

from .context import current, who
from .models import SecurityEvent

logger = logging.getLogger("coresync.security")


def request_id_of(request) -> str:
    """The request id the request-id middleware set (or the one a proxy sent); outside a request, the task's (observability)."""
    if request is None:
        return request_id_var.get()[:64]
    return str(getattr(request, "request_id", "") or request.META.get("HTTP_X_REQUEST_ID", "") or request_id_var.get())[:64]


def _address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None  # "unknown", or a proxy header we do not trust: no address rather than a wrong one


def security_event(kind: str, *, request=None, actor=None, actor_label: str = "", detail: dict | None = None) -> SecurityEvent | None:
    """Append one row; never breaks what it records (a failed write is logged, the act goes on).

    Without ``request`` or ``actor``, the audit context's (set by the middleware, a task or a webhook) are used.
    """
    if request is None and actor is None:
        actor, label = who()
        request = current().request
        actor_label = actor_label or ("" if actor is not None else label)
    user = getattr(request, "user", None) if actor is None and request is not None else actor
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    ip = _address(client_ip(request)) if request is not None else None
    try:
        event = SecurityEvent.objects.create(
            kind=kind, actor=user, actor_label=(actor_label or (getattr(user, "email", "") if user else ""))[:254],
            ip=ip or None, request_id=request_id_of(request), detail=detail or {},
        )
    except DatabaseError:
        logger.exception("security log write failed: %s", kind)
        return None
    # The log names an account by id and anyone else by a digest: an e-mail address never reaches the log lines.
    label = event.actor_label
    who_ = event.actor_id or (f"address:{blind_index('email', label)[:12]}" if "@" in label else label or "-")
    logger.info("security %s actor=%s ip=%s request_id=%s", kind, who_, ip, event.request_id)
    return event
