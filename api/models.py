"""Personal access tokens: what a script sends as ``Authorization: Bearer <token>`` to /api/v1/."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from todo_site.tokens import keyed_digest
from todos.models import partial_user

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

# Every token starts with it, so that secret scanners and people recognise one in a log or a
# repository.
TOKEN_PREFIX = "todo_pat_"  # noqa: S105 - a prefix, not a secret
# A token's last use is written at most this often: a busy script costs no write per request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class Scope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


def new_secret() -> str:
    """A fresh token: the prefix and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    """What is stored of a token (todo_site.tokens)."""
    return keyed_digest("api.token", secret)


class TokenQuerySet(models.QuerySet["Token"]):
    def of(self, user: AbstractBaseUser | AnonymousUser) -> TokenQuerySet:
        return self.filter(user_id=user.pk)

    def unrevoked(self) -> TokenQuerySet:
        return self.filter(revoked_at__isnull=True)

    def for_secret(self, secret: str, now: dt.datetime) -> Token | None:
        """The token of that secret if it is usable (neither revoked nor expired, of an active
        account), with its user's id and username loaded (the rest of the user loads if read),
        or None: one query.

        Every API request asks it, so its SQL is written out: the ORM spends ~1 ms building this
        query each time, several times what the database spends answering it."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        user_model = get_user_model()
        sql = (
            f"SELECT t.*, u.{user_model.USERNAME_FIELD} AS user_username "  # noqa: S608 - our tables
            f"FROM {Token._meta.db_table} t "
            f"JOIN {user_model._meta.db_table} u ON u.id = t.user_id "
            "WHERE t.digest = %s AND t.revoked_at IS NULL "
            "AND (t.expires_at IS NULL OR t.expires_at > %s) AND u.is_active"
        )
        moment = connections[self.db].ops.adapt_datetimefield_value(now)
        for token in self.raw(sql, [token_digest(secret), moment]):
            token.user = partial_user(self.db, token.user_id, token.user_username)  # type: ignore[attr-defined]
            return token
        return None


class Token(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("access"), max_length=10, choices=Scope.choices)
    # The token's HMAC (token_digest); the token itself is shown once and never stored.
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=Scope.values), name="token_scope_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="token_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.READ_WRITE

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class RateCount(models.Model):
    """How many API requests a caller made in the current minute, when there is no shared cache to
    count in (api.limits): one row per caller, counted up (or started again in a new minute) in
    one statement, so no row is ever left to clean up."""

    # "token:<id>", or "user:<id>" for the browser's session.
    caller = models.CharField(_("caller"), max_length=64, primary_key=True)
    minute = models.BigIntegerField(_("minute"))  # minutes since the epoch
    hits = models.PositiveIntegerField(_("hits"))

    class Meta:
        verbose_name = _("API rate count")
        verbose_name_plural = _("API rate counts")
        ordering = ["caller"]

    def __str__(self) -> str:
        return f"{self.caller} @ {self.minute}: {self.hits}"
