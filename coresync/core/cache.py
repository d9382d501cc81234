"""Django's Redis cache, with one client object per server, that degrades to a miss when Redis is away.

``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the shared
connection pool on every cache call; with redis-py 8 that object costs more CPU
than the round trip itself (measured ~160 µs per call). The client is
thread-safe (all state lives in the pool), so one per server is kept.

The cache is an optimisation, never a dependency: with Redis down or hung every
read is a miss and every write is dropped (logged once per outage), so bookings,
the catalog, availability, chat and sign-in keep working from the database.
Sockets time out after ``CACHE_SOCKET_TIMEOUT`` seconds, and after a failure the
cache is not asked again for ``CACHE_RETRY_SECONDS``, so a hung server costs one
short timeout per process and interval rather than one per call.
"""

from __future__ import annotations

import functools
import logging
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class CacheUnavailable(Exception):
    """The cache server cannot be reached (raised only where a miss cannot stand in for the answer)."""


def _degrading(fallback):
    """Run the cache call; on a Redis error (or while one is recent) answer ``fallback(*args)`` instead."""

    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            if self._down_until > time.monotonic():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except RedisError as error:
                self._mark_down(error)
                return fallback(*args, **kwargs)
            if self._down_until:
                self._mark_up()
            return result

        return call

    return wrap


def _none(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _default(key, default=None, *args, **kwargs):
    return default


def _no_entries(keys, *args, **kwargs):
    return {}


def _all_failed(data, *args, **kwargs):
    return list(data)


def _unavailable(*args, **kwargs):
    raise CacheUnavailable("the cache is unavailable")


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", settings.CACHE_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", settings.CACHE_SOCKET_TIMEOUT)
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._down_until = 0.0

    def _mark_down(self, error: Exception) -> None:
        if self._down_until == 0.0:
            logger.warning("cache unavailable, serving without it: %s", type(error).__name__)
        self._down_until = time.monotonic() + settings.CACHE_RETRY_SECONDS

    @property
    def available(self) -> bool:
        return self._down_until <= time.monotonic()

    def _mark_up(self) -> None:
        if self._down_until:
            logger.info("cache reachable again")
        self._down_until = 0.0

    get = _degrading(_default)(DjangoRedisCache.get)
    get_many = _degrading(_no_entries)(DjangoRedisCache.get_many)
    has_key = _degrading(_false)(DjangoRedisCache.has_key)
    add = _degrading(_false)(DjangoRedisCache.add)
    set = _degrading(_none)(DjangoRedisCache.set)
    set_many = _degrading(_all_failed)(DjangoRedisCache.set_many)
    touch = _degrading(_false)(DjangoRedisCache.touch)
    delete = _degrading(_false)(DjangoRedisCache.delete)
    delete_many = _degrading(_none)(DjangoRedisCache.delete_many)
    clear = _degrading(_false)(DjangoRedisCache.clear)
    incr = _degrading(_unavailable)(DjangoRedisCache.incr)

    @_degrading(_unavailable)
    def count_hit(self, key: str, timeout: int) -> int:
        """Increment a counter that lives ``timeout`` seconds from its first hit, in one round trip."""
        full = self.make_and_validate_key(key)
        pipe = self._cache.get_client(full, write=True).pipeline(transaction=False)
        pipe.set(full, 0, ex=timeout, nx=True)  # what ``add(key, 0)`` stores: integers are not pickled
        pipe.incr(full)
        return int(pipe.execute()[1])

    def ping(self) -> None:
        """Ask the server directly (the readiness probe): raises when it does not answer."""
        self._cache.get_client(write=True).ping()
        self._mark_up()


def count_hit(key: str, timeout: int) -> int:
    """A rate-limit counter on the default cache: one Redis round trip there, add + incr elsewhere."""
    from django.core.cache import caches

    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.count_hit(key, timeout)
    backend.add(key, 0, timeout=timeout)
    try:
        return backend.incr(key)
    except ValueError:  # evicted between add and incr
        backend.set(key, 1, timeout=timeout)
        return 1
