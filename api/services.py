"""Writes to tokens. As in todos.services, each function is one statement or one transaction."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from .models import LAST_USED_EVERY, Scope, Token, new_secret, token_digest


class Created(NamedTuple):
    token: Token
    secret: str  # shown to its owner once, never stored


def create_token(
    *, user: AbstractBaseUser, name: str, scope: Scope, expires_at: dt.datetime | None = None
) -> Created:
    secret = new_secret()
    token = Token.objects.create(
        user_id=user.pk, name=name, scope=scope, expires_at=expires_at, digest=token_digest(secret)
    )
    return Created(token, secret)


def revoke_token(*, token: Token) -> None:
    Token.objects.filter(pk=token.pk).unrevoked().update(revoked_at=timezone.now())


def revoke_tokens(*, user: AbstractBaseUser) -> int:
    """Every token of the user stops working (a new password: whoever knew the old one may have
    made tokens). Returns how many were revoked."""
    return Token.objects.of(user).unrevoked().update(revoked_at=timezone.now())


def token_used(*, token: Token, now: dt.datetime) -> None:
    """Record a use, at most once per LAST_USED_EVERY (no write on most requests); of workers
    racing past the check, the conditional UPDATE lets one write."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
    Token.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
