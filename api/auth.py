"""Who calls the API: a personal access token (``Authorization: Bearer``), or the browser's
session with Django's CSRF check on every write. Only the API reads tokens: the pages and the
admin know nothing of them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from . import services
from .models import Token
from .problems import Problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_of(request: HttpRequest) -> Token | None:
    """The token the request was authenticated with (None for a session)."""
    return getattr(request, "api_token", None)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """A token that is sent must work: an unknown, expired or revoked one is a 401, never
        a fall back to the session; a read-only one that writes is a 403."""
        now = timezone.now()
        found = Token.objects.for_secret(token, now)
        if found is None:
            raise Problem("invalid_token")
        if request.method not in SAFE_METHODS and not found.can_write:
            raise Problem("read_only_token")
        services.token_used(token=found, now=now)
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionCookie(APIKeyCookie):
    """The logged-in browser; a write needs the CSRF token as a form post does (header
    ``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise Problem("csrf_failed")
        return request.user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None
