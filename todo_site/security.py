from __future__ import annotations

import contextlib
import datetime as dt
import enum
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from allauth.account.utils import filter_users_by_email
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
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
    """The account that the name typed into the login box (allauth's "login" field; the admin's
    "username") names, so that failures lock the account whichever of its names is typed."""
    credentials = credentials or {}
    typed = (
        credentials.get("username")
        or credentials.get("email")
        or request.POST.get("login")
        or request.POST.get("username", "")
    )
    return account_name(str(typed))[:150]


def account_name(login: str) -> str:
    """The username of the one account that ``login`` names as one of its e-mail addresses
    (looked up first, as allauth's backend does) or as its username (as the database compares
    names); otherwise ``login`` itself. Both lookups run for every name, found or not, as the
    login itself makes them: they tell nothing new about which names exist."""
    by_email = filter_users_by_email(login, prefer_verified=True) if login else []
    by_username = list(User.objects.filter(username=login)[:2])
    for users in (by_email, by_username):
        if len(users) == 1:
            return str(users[0].get_username())
    return login


def check_current_password(request: HttpRequest, user: User, password: str) -> bool:
    """A logged-in user's current password (changing it, deleting the account), checked as a
    login is: refused while the account is locked out from this address (AxesMiddleware then
    answers with the lockout page), and a wrong one is a failed login for django-axes and for
    the per-address limit."""
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked is not None and checked.pk == user.pk


@receiver(user_login_failed, dispatch_uid="todo_site.security.login_failed")
def _note_failed_login(request: HttpRequest | None = None, **kwargs: object) -> None:
    if request is not None:
        request.todo_login_failed = True  # type: ignore[attr-defined]


def login_failed(request: HttpRequest) -> bool:
    """Whether a password or code was checked and refused while answering ``request``."""
    return bool(getattr(request, "todo_login_failed", False))


class Counts(enum.Enum):
    """Which answered requests keep their hit."""

    ALL = enum.auto()
    FAILURES = enum.auto()
    SUCCESSES = enum.auto()


def _no_login_refused(request: HttpRequest, response: HttpResponse) -> bool:
    """No password or code was checked and refused while answering."""
    return not login_failed(request)


def _form_accepted(request: HttpRequest, response: HttpResponse) -> bool:
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
    succeeded: Callable[[HttpRequest, HttpResponse], bool] = _no_login_refused

    def keeps(self, request: HttpRequest, response: HttpResponse) -> bool:
        """Whether the answered ``request`` stays counted."""
        if self.counts is Counts.ALL:
            return True
        return self.succeeded(request, response) == (self.counts is Counts.SUCCESSES)

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
# URL name -> its limits, each of which must admit the request. Every form that checks a password
# or a code shares one count.
LIMITED_VIEWS = {
    "account_login": (LOGIN_FAILURES,),
    "mfa_authenticate": (LOGIN_FAILURES,),  # the second step: a code
    "admin:login": (LOGIN_FAILURES,),
    "account_reauthenticate": (LOGIN_FAILURES,),
    "account_change_password": (LOGIN_FAILURES,),
    "account_delete": (LOGIN_FAILURES,),
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
