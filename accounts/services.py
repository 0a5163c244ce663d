"""Writes to accounts. As in todos.services, each function is one transaction."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from reminders import services as reminder_services
from todos import services as todo_services

from . import mail
from .models import OutgoingMail, Preferences, Session

logger = logging.getLogger(__name__)


def create_account(*, user: User, save: Callable[[], object] | None = None) -> User:
    """Stores a new ``user`` with the Inbox every account starts with: sign-up, single sign-on,
    the admin and demo data all make their accounts here. ``save`` stores the user with what
    comes with it (a sign-on's connected account); by default ``user.save()``. Its password is
    already hashed: hashing takes a good fraction of a second, so it happens before the
    transaction opens.

    The unique index on auth_user.username, which compares names as the database does (case- and
    accent-insensitively), decides between sign-ups racing for one name: the loser gets the same
    ValidationError the form gives when the name was already taken.
    """
    user.username = User.normalize_username(user.username)
    try:
        with transaction.atomic():
            (save or user.save)()
            Preferences.objects.create(user=user)
            todo_services.create_inbox(owner=user)
    except IntegrityError as exc:
        if not User.objects.filter(username=user.username).exists():
            raise
        raise username_taken(user) from exc
    return user


@transaction.atomic
def set_time_zone(*, user: User, time_zone: str) -> Preferences:
    """Stores ``user``'s time zone (an IANA name such as "Pacific/Auckland"): their pages show
    "today" and every time in it from their next request on, and their digest comes at its
    hour of their new day. An account made before preferences existed gets its row here."""
    if time_zone not in zoneinfo.available_timezones():
        raise ValidationError("Unknown time zone.", code="invalid_time_zone")
    preferences, _created = Preferences.objects.update_or_create(
        user=user, defaults={"time_zone": time_zone}
    )
    user.preferences = preferences
    reminder_services.reschedule_digest(user=user)
    return preferences


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
    user row). The lists that the cascade writes are locked first, as every write of their tasks
    does."""
    with transaction.atomic():
        todo_services.lock_lists_for_deleting(user=user)
        user.delete()


def reset_two_factor(*, user: User) -> int:
    """Removes ``user``'s authenticators (app and recovery codes): their next login asks for the
    password only. For an operator, when someone lost their device and their recovery codes."""
    deleted, _ = Authenticator.objects.filter(user=user).delete()
    return deleted


def send_mail(*, message: EmailMessage) -> None:
    """Sends ``message``; when the relay refuses it or cannot be reached, logs that at ERROR and
    keeps the message for ``send_queued_mail`` instead of raising. What a page answers never
    depends on the relay: a reset for a known address looks like one for an unknown address,
    which sends nothing."""
    try:
        mail.send(message)
    except mail.SEND_ERRORS as exc:
        logger.error(
            "Mail %r to %s not sent, queued for send_queued_mail: %r",
            message.subject,
            ", ".join(message.recipients()),
            exc,
        )
        OutgoingMail.objects.create(message=mail.as_fields(message), last_error=repr(exc))


def send_queued_mail() -> tuple[int, int]:
    """Sends the queued messages, oldest first; returns how many went out and how many are still
    queued. A sent message's row goes; one that fails again counts the attempt and stays.

    Each row is locked while it is sent, skipping rows another run holds, so two runs at once
    never send a message twice.
    """
    sent = failed = 0
    for pk in OutgoingMail.objects.values_list("pk", flat=True):
        with transaction.atomic():
            queued = OutgoingMail.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if queued is None:
                continue  # sent meanwhile, or being sent by another run
            try:
                mail.send(mail.from_fields(queued.message))
            except mail.SEND_ERRORS as exc:
                logger.error("Queued mail %s not sent again: %r", queued, exc)
                queued.attempts += 1
                queued.last_error = repr(exc)
                queued.save(update_fields=["attempts", "last_error"])
                failed += 1
            else:
                queued.delete()
                sent += 1
    return sent, failed
