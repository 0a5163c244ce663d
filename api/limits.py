"""The API's rate limit: at most API_RATE_LIMIT requests a minute per token (per user for the
browser's session), counted where every worker and replica counts together: in the shared cache
when there is one (CACHE_URL: Redis, whose INCR is atomic), otherwise in the database, with one
upsert a request (``RateCount``, a row per caller), since the database cache's increment is a
read and a write of several queries that racing requests can interleave."""

from __future__ import annotations

import logging
import math
import time
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from todo_site.cache import RedisCache

from .auth import token_of
from .models import RateCount

WINDOW_SECONDS = 60

logger = logging.getLogger(__name__)


def _caller_key(request: HttpRequest) -> str:
    token = token_of(request)
    if token is not None:
        return f"token:{token.pk}"
    return f"user:{request.auth.pk}"  # type: ignore[attr-defined]


class PerCaller(BaseThrottle):
    """Fixed one-minute windows, each counted atomically, so racing requests never get past the
    limit together. ninja asks ``wait()`` right after a refusal, in the same request (sync
    workers serve one request at a time)."""

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: HttpRequest) -> bool:
        limit = settings.API_RATE_LIMIT
        if not limit:
            return True
        now = time.time()
        window = math.floor(now / WINDOW_SECONDS)
        caller = _caller_key(request)
        try:
            if settings.CACHE_URL:
                count = _count_in_cache(f"api-rate:{caller}:{window}")
            else:
                count = _count_in_database(caller, window)
        except Exception:  # a cache that does not answer: serve, as the sessions do, and say so
            logger.warning("API rate limit not counted: the cache does not answer", exc_info=True)
            return True
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= limit

    def wait(self) -> float:
        return self._wait


def _count_in_cache(key: str) -> int:
    shared = cast(RedisCache, cache)  # what CACHE_URL always names (settings)
    return shared.count(key, timeout=2 * WINDOW_SECONDS)


def _count_in_database(caller: str, window: int) -> int:
    """Count one request and return the window's count, in one statement: the caller's row is
    created at 1, counted up within its minute or started again at 1 in a new one, under its row
    lock, and LAST_INSERT_ID(n) hands n back with the statement's own answer. (The assignments
    run left to right: ``hits`` reads the row's old minute.)"""
    table = connection.ops.quote_name(RateCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (caller, minute, hits) VALUES (%s, %s, LAST_INSERT_ID(1)) "  # noqa: S608 - our table's name
            "ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(IF(minute = %s, hits + 1, 1)), "
            "minute = %s",
            [caller, window, window, window],
        )
        return int(cursor.lastrowid)
