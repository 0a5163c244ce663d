from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts.models import AddressHit


def client_ip(request: HttpRequest) -> str:
    """The client's address: behind our proxy (BEHIND_PROXY) the right-most X-Forwarded-For
    entry, which that proxy appended; otherwise the socket's peer, since a client can forge the
    header when nothing in front of us overwrites it.

    The entry is parsed and written back canonically (one address, one spelling, whatever the
    client sent); an entry that is no address falls back to the peer, the proxy itself.
    """
    return client_address(request.META)


def client_address(environ: Mapping[str, object]) -> str:
    """client_ip from a WSGI environ (request.META is one), for gunicorn's access log too."""
    if settings.BEHIND_PROXY:
        forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", ""))
        if hops := [hop.strip() for hop in forwarded.split(",") if hop.strip()]:
            with contextlib.suppress(ValueError):
                return str(ipaddress.ip_address(hops[-1].partition("%")[0]))
    return str(environ.get("REMOTE_ADDR", ""))


def axes_username(request: HttpRequest, credentials: dict[str, object] | None = None) -> str:
    """The name typed into the login box (allauth's "login" field; the admin's "username"), as
    typed: a username or an e-mail address."""
    credentials = credentials or {}
    username = (
        credentials.get("username")
        or credentials.get("email")
        or request.POST.get("login")
        or request.POST.get("username", "")
    )
    return str(username)[:150]


@dataclass(frozen=True)
class AddressLimit:
    """At most ``settings.<settings_prefix>_LIMIT`` counted requests per client address per
    ``settings.<settings_prefix>_WINDOW``.

    Counting is insert-then-count: a request's own hit is stored before it counts the window, so
    racing requests (other workers, other replicas) all see each other and the limit is never
    exceeded; a refused request takes its hit back, so waiting out the window always works.
    """

    scope: AddressHit.Scope
    settings_prefix: str
    message: str
    counts_successes: bool  # false: a successful login takes its hit back (only failures count)

    @property
    def limit(self) -> int:
        return int(getattr(settings, f"{self.settings_prefix}_LIMIT"))

    @property
    def window(self) -> dt.timedelta:
        window: dt.timedelta = getattr(settings, f"{self.settings_prefix}_WINDOW")
        return window

    def take(self, address: str) -> AddressHit | None:
        """Count one request from ``address``; None (nothing counted) when it is over the limit."""
        now = timezone.now()
        start = now - self.window
        hits = AddressHit.objects.filter(scope=self.scope)
        hits.before(start).delete()
        hit = hits.create(scope=self.scope, address=address, created=now)
        if hits.filter(address=address).since(start).count() > self.limit:
            hit.delete()
            return None
        return hit


LOGIN_FAILURES = AddressLimit(
    AddressHit.Scope.LOGIN_FAILURE,
    "LOGIN_ADDRESS_FAILURE",
    "Too many failed logins from your address.",
    counts_successes=False,
)
SIGNUPS = AddressLimit(
    AddressHit.Scope.SIGNUP,
    "SIGNUP_ADDRESS",
    "Too many sign-ups from your address.",
    counts_successes=True,  # every attempt counts: "this username exists" is the answer
)
PASSWORD_RESETS = AddressLimit(
    AddressHit.Scope.PASSWORD_RESET,
    "PASSWORD_RESET_ADDRESS",
    "Too many password reset requests from your address.",
    counts_successes=True,  # each request may send a mail
)
# URL name -> its limit. The site's and the admin's login share one count.
LIMITED_VIEWS = {
    "account_login": LOGIN_FAILURES,
    "mfa_authenticate": LOGIN_FAILURES,  # the second step: a code
    "admin:login": LOGIN_FAILURES,
    "account_signup": SIGNUPS,
    "account_reset_password": PASSWORD_RESETS,
}


def limit_for(request: HttpRequest) -> AddressLimit | None:
    """The limit that applies to this request: POSTs to the views in LIMITED_VIEWS."""
    if request.method != "POST":
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return LIMITED_VIEWS.get(match.view_name)
