"""The project's cache backends: each process's memory bounded in bytes, and Redis with one client
per connection pool.

``MemoryCache`` is Django's in-process cache, bounded by ``OPTIONS["MAX_BYTES"]``: Django's bounds
it by entries only, and a tasks page with a long query string can be ten times the size of a short
one. A value's size is its pickled bytes, its key and ``ENTRY_OVERHEAD`` (what the store's
bookkeeping costs for any entry), so many small values are bounded as well as a few large ones.
The least recently used entries go first. Like Django's, every alias with the same ``LOCATION``
shares one store: each alias needs its own.

``RedisCache``: Django's client makes a new ``redis.Redis`` for every cache operation, and
redis-py's constructor fills a table of some 170 reply callbacks each time: ~0.2 ms of CPU per
operation, as much as the rest of a cached session lookup. A client keeps no connection of its own
(the pool does, and redis-py's pools reset themselves after a fork), so one per pool serves every
thread.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from threading import Lock
from typing import Any

# Django's client imports redis-py on its first operation, in every worker: ~170 ms. Imported
# with this module instead, which todo_site.wsgi loads before gunicorn forks.
import redis  # noqa: F401
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Bytes an entry costs beyond its key's and value's characters: the store's, the expiry table's
# and the size table's slots, the key's and the value's object headers, the expiry time and the
# size. tracemalloc on CPython 3.11: 250 bytes, up to 470 once evictions leave the tables' slots
# in use; tests/test_caches.py checks the whole bound.
ENTRY_OVERHEAD = 600


class _Sizes(dict[str, int]):
    """Each entry's size in one store, and their total."""

    total = 0


# Per LOCATION, as Django keeps the stores themselves.
_sizes: dict[str, _Sizes] = {}


class MemoryCache(LocMemCache):
    # Django's, which django-stubs does not describe.
    _cache: OrderedDict[str, bytes]
    _expire_info: dict[str, float | None]
    _lock: Lock

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(name, params)
        options = params.get("OPTIONS", {})
        self._max_bytes = int(options["MAX_BYTES"])
        if "MAX_ENTRIES" not in options:  # bytes bound the entries too
            self._max_entries = sys.maxsize
        self._sizes = _sizes.setdefault(name, _Sizes())

    # Called with the lock held (add, set).
    def _set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self._delete(key)
        size = ENTRY_OVERHEAD + len(key) + len(value)
        if size > self._max_bytes:  # larger than the whole store: not kept
            return
        while self._cache and (
            self._sizes.total + size > self._max_bytes or len(self._cache) >= self._max_entries
        ):
            self._delete(next(reversed(self._cache)))  # the least recently used
        # With room made here, Django's _set never culls behind our back.
        super()._set(key, value, timeout)  # type: ignore[misc]
        self._sizes[key] = size
        self._sizes.total += size

    # Called with the lock held (get, delete, has_key, incr, _set). incr keeps an entry's
    # recorded size: a number's pickle grows by a few bytes at most.
    def _delete(self, key: str) -> bool:
        deleted: bool = super()._delete(key)  # type: ignore[misc]
        if deleted:
            self._sizes.total -= self._sizes.pop(key)
        return deleted

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            self._sizes.clear()
            self._sizes.total = 0


class ReusedClients(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Both private to Django's client, which django-stubs does not describe.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClients

    def count(self, key: str, *, timeout: int) -> int:
        """Count one at ``key`` and return the count: the key starts at 0, to expire in
        ``timeout`` seconds, if it is not there. What ``add`` then ``incr`` do, in one round trip
        (a MULTI of SET NX and INCR) where they take two, and atomic, so a count never outlives
        its timeout."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        pipeline = client.pipeline()
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        _added, count = pipeline.execute()
        return int(count)
