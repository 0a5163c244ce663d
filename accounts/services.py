"""Writes to accounts. As in todos.services, each function is one transaction."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from todos import services as todo_services


def sign_up(*, username: str, password: str) -> User:
    """The new user, with the Inbox every account starts with.

    The password is hashed before the transaction opens (hashing takes a good fraction of a
    second). The unique index on auth_user.username, which compares names as the database does
    (case- and accent-insensitively), decides between sign-ups racing for one name: the loser
    gets the same ValidationError the form gives when the name was already taken.
    """
    user = User(username=User.normalize_username(username))
    user.set_password(password)
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
