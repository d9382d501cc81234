"""Celery beat that runs once however many machines start it.

Every web machine may run ``manage.py runall`` (web, worker and beat); beat must
still send each scheduled job once. ``SingleBeatScheduler`` is django-celery-beat's
database scheduler behind a leader lease in Redis: the beat holding the lease
sends, the others stand by and take over within ``BEAT_LEASE_SECONDS`` when the
leader stops renewing (a crash, a machine gone). The lease is a token under one
key, set with NX and a time-to-live and renewed only by its holder (a Lua
compare-and-extend), so two beats never both believe they lead. Without Redis
(the embedded default: one machine) every beat leads. The jobs themselves stay
idempotent (claims, unique keys): the lease avoids waste, it is not what keeps
data right.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger("coresync.beat")

LEASE_KEY = "coresync:beat:leader"
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class BeatLease:
    """A renewable lease under ``LEASE_KEY``: ``held()`` takes or renews it and says whether this process leads."""

    def __init__(self, client=None, *, seconds: float | None = None, token: str | None = None, key: str = LEASE_KEY):
        self.client, self.key = client, key
        self.seconds = seconds or settings.BEAT_LEASE_SECONDS
        self.token = token or f"{uuid.uuid4().hex}"
        self.leading: bool | None = None  # unknown until the first look: the first answer is logged either way
        self._extend = client.register_script(_EXTEND) if client is not None else None

    @classmethod
    def from_settings(cls) -> BeatLease:
        if not settings.REDIS_URL:
            return cls(None)
        import redis

        return cls(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2))

    def held(self) -> bool:
        if self.client is None:
            return True
        ttl = int(self.seconds * 1000)
        try:
            if self.leading and self._extend(keys=[self.key], args=[self.token, ttl]):
                return True
            took = bool(self.client.set(self.key, self.token, nx=True, px=ttl))
        except Exception as error:  # Redis away: stop sending rather than risk two leaders; the lease expires anyway
            logger.warning("beat lease unavailable (%s): standing by", error)
            took = False
        if took != self.leading:
            logger.info("beat %s", "leads: sending scheduled jobs" if took else "stands by: another beat leads")
        self.leading = took
        return took

    def release(self) -> None:
        if self.client is not None and self.leading:
            try:
                if self.client.get(self.key) == self.token.encode():
                    self.client.delete(self.key)
            except Exception:  # noqa: S110 - best effort: the lease expires on its own
                pass
        self.leading = False


class SingleBeatScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler that sends only while it holds the beat lease."""

    def __init__(self, *args, **kwargs):
        self.lease = BeatLease.from_settings()
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        """Renew (or try to take) the lease on every tick: one Redis call, and ticks come at most a third of a lease apart."""
        if not self.lease.held():
            return min(self.lease.seconds / 3, self.max_interval)
        return min(super().tick(*args, **kwargs), self.lease.seconds / 3)

    def close(self) -> None:
        self.lease.release()
        super().close()
