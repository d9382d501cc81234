"""Side effects after commit: the one helper every service uses.

E-mails, Celery ``.delay``, WebSocket broadcasts and outbox processing must
never run for a transaction that rolls back, and never hold a database
transaction open while talking to the network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# After the broker failed to take a message, publishing is skipped this long: a hung broker then costs one
# request its short socket timeout, not every request (the outbox's beat sweep delivers what was skipped).
BROKER_BACKOFF_SECONDS = 10.0
_broker_down_until = 0.0


def on_commit(func: Callable, *args, **kwargs) -> None:
    """Run ``func(*args, **kwargs)`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_run_safely, func, *args, **kwargs), robust=True)


def delay_on_commit(task, *args, **kwargs) -> None:
    """Queue a Celery task after commit; a broker outage is logged, never raised into the request."""
    on_commit(_publish, task, *args, **kwargs)


def _publish(task, *args, **kwargs) -> None:
    global _broker_down_until
    if task.app.conf.task_always_eager:
        task.delay(*args, **kwargs)
        return
    if time.monotonic() < _broker_down_until:
        logger.warning("broker unavailable: %s not queued now", task.name)
        return
    try:
        task.delay(*args, **kwargs)
    except (OperationalError, OSError):
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.exception("broker unavailable: %s not queued; publishing paused for %.0f s", task.name, BROKER_BACKOFF_SECONDS)


def _run_safely(func: Callable, *args, **kwargs) -> None:
    try:
        func(*args, **kwargs)
    except Exception:  # the transaction is committed; a failed side effect must not turn into a 500
        logger.exception("after-commit side effect %r failed", getattr(func, "__qualname__", func))
