"""Writes to accounts. As in todos.services, each function is one transaction."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from todos import services as todo_services

from .models import Session


def sign_up(*, user: User) -> User:
    """Stores a new ``user`` (its password already hashed: hashing takes a good fraction of a
    second, so it happens before the transaction opens) with the Inbox every account starts with.

    The unique index on auth_user.username, which compares names as the database does (case- and
    accent-insensitively), decides between sign-ups racing for one name: the loser gets the same
    ValidationError the form gives when the name was already taken.
    """
    user.username = User.normalize_username(user.username)
    try:
        with transaction.atomic():
            user.save()
            todo_services.create_inbox(owner=user)
    except IntegrityError as exc:
        if not User.objects.filter(username=user.username).exists():
            raise
        raise username_taken(user) from exc
    return user


def username_taken(user: User) -> ValidationError:
    """Django's own "A user with that username already exists." (code "unique")."""
    return user.unique_error_message(User, ["username"])


def end_sessions(*, user: User, keep: str | None = None) -> int:
    """Logs ``user`` out everywhere but the session ``keep`` (a session key): their session rows
    go, so each of those browsers is anonymous on its next request. Returns how many ended."""
    sessions = Session.objects.filter(user=user)
    if keep is not None:
        sessions = sessions.exclude(session_key=keep)
    deleted, _ = sessions.delete()
    return deleted


def delete_account(*, user: User) -> None:
    """Deletes ``user`` with everything they own: their lists and tasks, sessions, e-mail
    addresses, authenticators, API tokens and connected sign-on accounts (all cascade from the
    user row)."""
    with transaction.atomic():
        user.delete()


def reset_two_factor(*, user: User) -> int:
    """Removes ``user``'s authenticators (app and recovery codes): their next login asks for the
    password only. For an operator, when someone lost their device and their recovery codes."""
    deleted, _ = Authenticator.objects.filter(user=user).delete()
    return deleted
