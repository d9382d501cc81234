"""Outbox handlers: one per kind, registered by the app that owns the side effect.

A handler takes the message's payload and its dedupe key and must be idempotent:
it may run again after a crash between its effect and the row being marked done.
It raises ``ProviderError(retryable=True)`` (or any unexpected exception) to be
retried later, ``ProviderError(retryable=False)`` to give up at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Handler = Callable[[dict, str], None]


@dataclass(frozen=True)
class Registration:
    kind: str
    func: Handler
    max_attempts: int | None = None


_HANDLERS: dict[str, Registration] = {}


def outbox_handler(kind: str, *, max_attempts: int | None = None) -> Callable[[Handler], Handler]:
    """Register ``func(payload, dedupe_key)`` as the one handler of ``kind``."""

    def register(func: Handler) -> Handler:
        existing = _HANDLERS.get(kind)
        if existing is not None and existing.func is not func and existing.func.__qualname__ != func.__qualname__:
            raise RuntimeError(f"outbox kind {kind!r} already has a handler: {existing.func.__qualname__}")
        _HANDLERS[kind] = Registration(kind=kind, func=func, max_attempts=max_attempts)
        return func

    return register


def registration_for(kind: str) -> Registration | None:
    return _HANDLERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)
