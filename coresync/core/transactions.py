"""Side effects after commit: the one helper every service uses.

E-mails, Celery ``.delay``, WebSocket broadcasts and outbox processing must
never run for a transaction that rolls back, and never hold a database
transaction open while talking to the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def on_commit(func: Callable, *args, **kwargs) -> None:
    """Run ``func(*args, **kwargs)`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_run_safely, func, *args, **kwargs), robust=True)


def delay_on_commit(task, *args, **kwargs) -> None:
    """Queue a Celery task after commit; a broker outage is logged, never raised into the request."""
    on_commit(task.delay, *args, **kwargs)


def _run_safely(func: Callable, *args, **kwargs) -> None:
    try:
        func(*args, **kwargs)
    except Exception:  # the transaction is committed; a failed side effect must not turn into a 500
        logger.exception("after-commit side effect %r failed", getattr(func, "__qualname__", func))
