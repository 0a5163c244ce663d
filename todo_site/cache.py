"""Django's Redis cache backend, with one Redis client per connection pool.

Django's client makes a new ``redis.Redis`` for every cache operation, and redis-py's
constructor fills a table of some 170 reply callbacks each time: ~0.2 ms of CPU per operation,
as much as the rest of a cached session lookup. A client keeps no connection of its own (the pool
does, and redis-py's pools reset themselves after a fork), so one per pool serves every thread.
"""

from __future__ import annotations

from typing import Any

# Django's client imports redis-py on its first operation, in every worker: ~170 ms. Imported
# with this module instead, which todo_site.wsgi loads before gunicorn forks.
import redis  # noqa: F401
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


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
