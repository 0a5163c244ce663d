from __future__ import annotations

import contextlib
import datetime as dt
import enum
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
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
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if hops := [hop.strip() for hop in forwarded.split(",") if hop.strip()]:
            with contextlib.suppress(ValueError):
                return str(ipaddress.ip_address(hops[-1].partition("%")[0]))
    return str(request.META.get("REMOTE_ADDR", ""))


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


class Counts(enum.Enum):
    """Which answered requests keep their hit."""

    ALL = enum.auto()
    FAILURES = enum.auto()
    SUCCESSES = enum.auto()


def _logged_in(request: HttpRequest, response: HttpResponse, user_before: object) -> bool:
    return request.user.pk not in (None, user_before)


def _form_accepted(request: HttpRequest, response: HttpResponse, user_before: object) -> bool:
    """The view redirected: it took the form (a refused one is shown again with its errors)."""
    return response.status_code in (301, 302, 303)


@dataclass(frozen=True)
class AddressLimit:
    """At most ``settings.<settings_prefix>_LIMIT`` counted requests per client address per
    ``settings.<settings_prefix>_WINDOW``.

    Counting is insert-then-count: a request's own hit is stored before it counts the window, so
    racing requests (other workers, other replicas) all see each other and the limit is never
    exceeded; a refused request takes its hit back, so waiting out the window always works. Once
    answered, a request whose outcome the limit does not count (``counts``; ``succeeded`` tells
    a success from a failure) takes its hit back too.
    """

    scope: AddressHit.Scope
    settings_prefix: str
    message: str
    counts: Counts
    succeeded: Callable[[HttpRequest, HttpResponse, object], bool] = _logged_in

    def keeps(self, request: HttpRequest, response: HttpResponse, user_before: object) -> bool:
        """Whether the answered ``request`` stays counted."""
        if self.counts is Counts.ALL:
            return True
        return self.succeeded(request, response, user_before) == (self.counts is Counts.SUCCESSES)

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
    Counts.FAILURES,
)
# A sign-up's answers: a refused one says why ("this username exists", an oracle), so refusals
# are few; an accepted one makes an account (or mails an address that has one), so a whole team
# behind one office address may sign up in an hour, and no script makes accounts by the thousand.
SIGNUP_FAILURES = AddressLimit(
    AddressHit.Scope.SIGNUP_FAILURE,
    "SIGNUP_ADDRESS_FAILURE",
    "Too many refused sign-ups from your address.",
    Counts.FAILURES,
    _form_accepted,
)
SIGNUPS = AddressLimit(
    AddressHit.Scope.SIGNUP,
    "SIGNUP_ADDRESS",
    "Too many sign-ups from your address.",
    Counts.SUCCESSES,
    _form_accepted,
)
PASSWORD_RESETS = AddressLimit(
    AddressHit.Scope.PASSWORD_RESET,
    "PASSWORD_RESET_ADDRESS",
    "Too many password reset requests from your address.",
    Counts.ALL,  # each request may send a mail
)
# URL name -> its limits, each of which must admit the request. The site's and the admin's login
# share one count.
LIMITED_VIEWS = {
    "account_login": (LOGIN_FAILURES,),
    "mfa_authenticate": (LOGIN_FAILURES,),  # the second step: a code
    "admin:login": (LOGIN_FAILURES,),
    "account_signup": (SIGNUP_FAILURES, SIGNUPS),
    "account_reset_password": (PASSWORD_RESETS,),
}


def limits_for(request: HttpRequest) -> tuple[AddressLimit, ...]:
    """The limits that apply to this request: POSTs to the views in LIMITED_VIEWS."""
    if request.method != "POST":
        return ()
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return ()
    return LIMITED_VIEWS.get(match.view_name, ())
