"""The API's rate limit: at most API_RATE_LIMIT requests a minute per token (per user for the
browser's session), counted in the shared ``default`` cache so that every worker and replica
counts together."""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from .auth import token_of

WINDOW_SECONDS = 60

logger = logging.getLogger(__name__)


def _caller_key(request: HttpRequest) -> str:
    token = token_of(request)
    if token is not None:
        return f"token:{token.pk}"
    return f"user:{request.auth.pk}"  # type: ignore[attr-defined]


class PerCaller(BaseThrottle):
    """Fixed one-minute windows: ``add`` then ``incr`` of one counter, both atomic in Redis, so
    racing requests never get past the limit together. ninja asks ``wait()`` right after a
    refusal, in the same request (sync workers serve one request at a time)."""

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: HttpRequest) -> bool:
        limit = settings.API_RATE_LIMIT
        if not limit:
            return True
        now = time.time()
        window = math.floor(now / WINDOW_SECONDS)
        key = f"api-rate:{_caller_key(request)}:{window}"
        try:
            count = self._count(key)
        except Exception:  # a cache that does not answer: serve, as the sessions do, and say so
            logger.warning("API rate limit not counted: the cache does not answer", exc_info=True)
            return True
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= limit

    def _count(self, key: str) -> int:
        cache.add(key, 0, timeout=2 * WINDOW_SECONDS)
        try:
            return int(cache.incr(key))
        except ValueError:  # evicted between the two: this request starts the count again
            cache.set(key, 1, timeout=2 * WINDOW_SECONDS)
            return 1

    def wait(self) -> float:
        return self._wait
