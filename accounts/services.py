"""Writes to accounts. As in todos.services, each function is one transaction."""

from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.db import transaction

from todos import services as todo_services


@transaction.atomic
def sign_up(*, form: UserCreationForm[User]) -> User:
    """The new user from a valid sign-up form, with the Inbox every account starts with."""
    user = form.save()
    todo_services.create_inbox(owner=user)
    return user
