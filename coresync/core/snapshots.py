"""Read models kept in process memory, one build per version; the versions live in the shared cache.

A ``VersionedSnapshot`` is built from the database once per *version* and kept
in this process. Its version is a random token under one cache key, replaced
whenever a row it holds changes (``invalidate_on_commit`` from a signal
receiver), so every process rebuilds on its next read; a time-to-live bounds
staleness should a change bypass the signals (``QuerySet.update``).

Several read models are often needed together (availability reads the catalog,
the technicians' schedules and the membership tiers): ``current_versions`` reads
all their versions in one cache round trip, and ``get(version=...)`` takes one
already read.

Within one request (``versions_memo``, opened by ``SnapshotVersionsMiddleware``)
each version is read from the cache once: a booking used to ask four times (the
catalog, the tiers twice, the schedule), a round trip each. The request's own
changes update the memo, so it always sees what it wrote; other processes'
changes are seen by the next request, as they would be a millisecond later anyway.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


_MEMO: ContextVar[dict[str, str] | None] = ContextVar("coresync_snapshot_versions", default=None)
_KNOWN: dict[str, None] = {}  # every version key a read model declared: a memo's first read fetches them all at once


def version_key(key: str) -> str:
    """Declare a version key (each ``VersionedSnapshot`` does), so one request reads all of them in one round trip."""
    _KNOWN.setdefault(key, None)
    return key


@contextmanager
def versions_memo() -> Iterator[None]:
    """Read each version from the cache at most once inside the block (one request, one chat turn).

    Reentrant: inside an open memo (a chat turn inside an HTTP request) the outer one goes on.
    """
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def get_many_with_versions(keys: list[str]) -> dict:
    """``cache.get_many(keys)``; in a memo not read yet, every declared version comes in the same round trip.

    A chat turn reads its dialogue state and the FAQ first, then the catalog, tiers and schedules: one
    round trip instead of two or more.
    """
    memo = _MEMO.get()
    if memo is None or memo:
        return cache.get_many(keys)
    versions = [key for key in _KNOWN if key not in keys]
    found = cache.get_many([*keys, *versions])
    memo.update({key: value for key in versions if (value := found.pop(key, None))})
    return found


def current_versions(*keys: str) -> list[str]:
    """The versions under ``keys`` (in order), in one cache round trip when they all exist.

    A missing version is created with ``add`` so that concurrent first readers agree on one.
    """
    memo = _MEMO.get()
    if memo is None:
        wanted = list(keys)
    elif not memo:
        wanted = list(dict.fromkeys([*keys, *_KNOWN]))  # the request's first read: every known version in one trip
    else:
        wanted = [key for key in keys if key not in memo]
    found = dict(memo or {})
    if wanted:
        found.update(cache.get_many(wanted))
        missing = [key for key in wanted if key not in found]
        if missing:
            for key in missing:
                cache.add(key, uuid.uuid4().hex, timeout=None)
            found.update(cache.get_many(missing))
    versions = [found.get(key) or uuid.uuid4().hex for key in keys]
    if memo is not None:
        memo.update({key: found[key] for key in wanted if found.get(key)})
        memo.update(zip(keys, versions, strict=True))
    return versions


def bump_version(key: str) -> str:
    """A new version under ``key``: every process (and this request, at once) sees the change."""
    version = uuid.uuid4().hex
    cache.set(key, version, timeout=None)
    memo = _MEMO.get()
    if memo is not None:
        memo[key] = version
    return version


class VersionedSnapshot(Generic[T]):
    """One read model: ``load(version)`` builds it, ``get()`` returns the current one (zero queries when warm)."""

    def __init__(self, key: str, load: Callable[[str], T], *, max_age: Callable[[], float]):
        self.key = version_key(key)
        self._load = load
        self._max_age = max_age
        self._lock = threading.Lock()
        self._entry: tuple[float, str, T] | None = None

    def version(self) -> str:
        return current_versions(self.key)[0]

    def get(self, version: str | None = None) -> T:
        """The snapshot of ``version`` (read from the cache when not given), built now if this process has none."""
        version = version or self.version()
        entry = self._entry
        now = time.monotonic()
        if entry and entry[1] == version and now - entry[0] < self._max_age():
            return entry[2]
        value = self._load(version)
        with self._lock:
            self._entry = (now, version, value)
        return value

    def invalidate(self) -> None:
        """Make every process rebuild on its next read."""
        bump_version(self.key)
        self._entry = None

    def invalidate_on_commit(self, **_signal_kwargs) -> None:
        """A signal receiver: now (this transaction sees its own change) and again after commit.

        The second bump keeps any process from holding a snapshot it built from rows
        read before the commit.
        """
        self.invalidate()
        transaction.on_commit(self.invalidate)
