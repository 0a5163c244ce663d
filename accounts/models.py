from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from todo_site.database import CACHE_TABLE


class AddressHitQuerySet(models.QuerySet["AddressHit"]):
    def since(self, start: dt.datetime) -> AddressHitQuerySet:
        return self.filter(created__gte=start)

    def before(self, start: dt.datetime) -> AddressHitQuerySet:
        return self.filter(created__lt=start)


class AddressHit(models.Model):
    """One counted request from one client address, for the per-address limits of
    todo_site.security. Kept in the database so every worker and replica sees the same count."""

    class Scope(models.TextChoices):
        LOGIN_FAILURE = "login", _("failed login")
        SIGNUP = "signup", _("sign-up")
        SIGNUP_FAILURE = "signup-refused", _("refused sign-up")
        PASSWORD_RESET = "reset", _("password reset request")

    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    address = models.CharField(_("client address"), max_length=45)  # IPv6 at most
    created = models.DateTimeField(_("created"), default=timezone.now)

    objects = AddressHitQuerySet.as_manager()

    class Meta:
        verbose_name = _("address hit")
        verbose_name_plural = _("address hits")
        ordering = ["-created"]
        indexes = [
            # How many hits one address has in a scope since the window started.
            models.Index(fields=["scope", "address", "created"], name="addresshit_count_idx"),
            # Pruning a scope's hits that left the window.
            models.Index(fields=["scope", "created"], name="addresshit_prune_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} from {self.address} at {self.created:%Y-%m-%d %H:%M:%S}"


class Session(AbstractBaseSession):
    """Django's session row, plus the user it logs in: loading a session loads its user in the
    same query (accounts.sessions), and an account's sessions can be found and ended."""

    # The index (from the foreign key) serves "this user's sessions".
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
        verbose_name=_("user"),
    )

    class Meta(AbstractBaseSession.Meta):
        ordering = ["expire_date"]

    @classmethod
    def get_session_store_class(cls) -> type:
        from .sessions import SessionStore

        return SessionStore


class OutgoingMail(models.Model):
    """A message the mail relay did not take (it refused or was unreachable), kept until
    ``manage.py send_queued_mail`` sends it: a page that sends mail answers the same whether the
    relay took the message or not (accounts.mail)."""

    message = models.JSONField(_("message"))  # accounts.mail.as_fields
    created = models.DateTimeField(_("created"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("queued mail")
        verbose_name_plural = _("queued mail")
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.message.get('subject', '')} to {', '.join(self.message.get('to', []))}"


class CacheEntry(models.Model):
    """A row of Django's database cache, the ``default`` cache when there is no CACHE_URL: what
    must hold across workers and replicas (used two-factor codes, allauth's counters) then lives
    here. A model only so that the migrations create the table, in the columns Django's
    ``createcachetable`` makes (which then finds it and does nothing); only the cache uses it."""

    # Binary: cache keys differ by case, and the database's collation would fold it.
    cache_key = models.CharField(max_length=255, primary_key=True, db_collation="utf8mb4_bin")
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = CACHE_TABLE
        verbose_name = _("cache entry")
        verbose_name_plural = _("cache entries")

    def __str__(self) -> str:
        return self.cache_key


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone the system's time zone database knows, for the account page's select."""
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class Preferences(models.Model):
    """What a user chose for themselves. Loaded with their session (accounts.sessions), so a
    page reads it without a query of its own; a user without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preferences",
        verbose_name=_("user"),
    )
    # What "today" and every date and time shown to the user mean (accounts.middleware); empty
    # until they choose one: the site's, whatever DJANGO_TIME_ZONE is then.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        zone = self.time_zone or _("the site's time zone")
        return f"{self.user}: {zone}"


def time_zone_of(user: Any) -> str:
    """The user's time zone: their choice, loaded with the session, or the site's."""
    try:
        chosen = str(user.preferences.time_zone)
    except Preferences.DoesNotExist:
        chosen = ""
    return chosen or str(settings.TIME_ZONE)
