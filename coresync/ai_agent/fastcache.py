"""The concierge's hot cache reads and writes (session state, rate-limit counters) with fewer client objects.

Django's ``RedisCache`` builds a new ``redis.Redis`` client object for every
call; with redis-py 8 that costs more CPU than the round trip itself. Here one
client per Redis server set is kept (it is thread-safe: it holds the
connection pool) and Django's own key format and serializer are used, so
``cache.get`` and friends read what is written here and the other way round.
Any other cache backend (local memory in tests) goes through the Django API.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_clients: dict[tuple, object] = {}


def _redis() -> tuple[RedisCache, object] | None:
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    servers = tuple(backend._servers)
    client = _clients.get(servers)
    if client is None:
        client = _clients[servers] = backend._cache.get_client(write=True)
    return backend, client


def get_many(keys: list[str]) -> dict:
    """Like ``cache.get_many``: the keys found, with their values."""
    found = _redis()
    if found is None:
        return caches["default"].get_many(keys)
    backend, client = found
    values = client.mget([backend.make_and_validate_key(k) for k in keys])
    loads = backend._cache._serializer.loads
    return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}


def set_value(key: str, value, timeout: int) -> None:
    """Like ``cache.set`` with a positive timeout."""
    found = _redis()
    if found is None:
        caches["default"].set(key, value, timeout=timeout)
        return
    backend, client = found
    client.set(backend.make_and_validate_key(key), backend._cache._serializer.dumps(value), ex=timeout)


def count_hit(key: str, timeout: int) -> int:
    """Increment a counter that lives ``timeout`` seconds from its first hit; return the new count."""
    found = _redis()
    if found is None:
        cache = caches["default"]
        cache.add(key, 0, timeout=timeout)
        try:
            return cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=timeout)
            return 1
    backend, client = found
    full = backend.make_and_validate_key(key)
    pipe = client.pipeline(transaction=False)
    pipe.set(full, 0, ex=timeout, nx=True)  # what ``cache.add(key, 0)`` stores: integers are not pickled
    pipe.incr(full)
    return int(pipe.execute()[1])
