"""Our own page for every error status, rendered so that rendering cannot fail.

Each page is a fixed template rendered without a request context: nothing here touches the
database, the session or ``request.POST`` (the request may be the very thing that broke: a body in
a charset Django refuses raises again on every read). Security headers come from the middleware
around every response (see MIDDLEWARE in settings).
"""

from __future__ import annotations

import datetime as dt
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

from .uploads import FileUploadRefused


def error_page(status: int, *, message: str = "") -> HttpResponse:
    """The page for ``status`` (templates/<status>.html), with an optional extra sentence."""
    html = loader.render_to_string(f"{status}.html", {"message": message})
    response = HttpResponse(html, status=status)
    # SecurityMiddleware adds these on the way out, but an error it raises itself (a foreign Host
    # while redirecting to HTTPS) never passes back through it. CSP and X-Frame-Options come from
    # middleware outside it.
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, FileUploadRefused):
        return error_page(415)
    return error_page(400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(404)


def method_not_allowed(allowed: str) -> HttpResponse:
    response = error_page(405)
    response["Allow"] = allowed
    return response


def too_many_requests(*, message: str, retry_after: dt.timedelta) -> HttpResponse:
    response = error_page(429, message=message)
    response["Retry-After"] = str(int(retry_after.total_seconds()))
    return response


def rate_limited(request: HttpRequest) -> HttpResponse:
    """allauth's answer to a request over one of its rate limits (ACCOUNT_RATE_LIMITS)."""
    return error_page(429)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so sys.exc_info() still holds it: a
    # database that does not answer is a 503 (try again), anything else a 500.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = error_page(503)
        response["Retry-After"] = "30"
        return response
    return error_page(500)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: object
) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): one username from one address."""
    cooloff: dt.timedelta = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60)
    return too_many_requests(
        message=f"Too many failed logins: this account is locked from your address for "
        f"{minutes} minutes.",
        retry_after=cooloff,
    )
