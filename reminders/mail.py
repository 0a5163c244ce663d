"""The messages the worker sends, text plus HTML from templates, each linking to the page the
recipient may open."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Sequence
from contextlib import suppress

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.mail import SEND_ERRORS
from todos.models import OWNER, Role, Task

from .models import Reminder

SUBJECT_PREFIX = "[todo] "


def link_for(task: Task, role: str) -> str:
    """Whoever may change the task gets its edit page; a viewer its list."""
    path = task.get_absolute_url() if role in {OWNER, Role.EDITOR} else task.list.get_absolute_url()
    return settings.SITE_URL + path


def _message(
    to: str, subject: str, template: str, context: dict[str, object]
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=SUBJECT_PREFIX + subject,
        body=render_to_string(f"reminders/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"reminders/{template}.html", context), "text/html")
    return message


def reminder_message(reminder: Reminder, role: str, *, today: dt.date) -> EmailMultiAlternatives:
    task = reminder.task
    context = {
        "task": task,
        "url": link_for(task, role),
        "overdue": task.due_date is not None and task.due_date < today,
        "site_url": settings.SITE_URL,
    }
    return _message(reminder.user.email, f"Reminder: {task.title}", "reminder", context)


def digest_message(
    to: str, tasks: Sequence[Task], *, today: dt.date, more: int
) -> EmailMultiAlternatives:
    overdue = sum(1 for task in tasks if task.due_date is not None and task.due_date < today)
    context = {
        "tasks": [(task, settings.SITE_URL + task.list.get_absolute_url()) for task in tasks],
        "today": today,
        "overdue": overdue,
        "more": more,
        "today_url": settings.SITE_URL + reverse("todos:today"),
        "site_url": settings.SITE_URL,
    }
    count = len(tasks) + more
    subject = f"{count} task{'s' if count != 1 else ''} due on {today:%A %d %B}"
    return _message(to, subject, "digest", context)


# What says the relay is down or gone, not that it refused one message.
RELAY_DOWN = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


class Outbox:
    """One relay connection for a round's messages. After a message the relay refused, the next
    goes on a new connection; once the relay is down or unreachable, the round's other messages
    fail at once with the same error instead of each waiting out EMAIL_TIMEOUT."""

    def __init__(self) -> None:
        self.connection = get_connection()
        self.down: Exception | None = None

    def send(self, message: EmailMultiAlternatives) -> None:
        if self.down is not None:
            raise self.down
        try:
            self.connection.open()
            self.connection.send_messages([message])
        except SEND_ERRORS as exc:
            self.close()
            if isinstance(exc, RELAY_DOWN):
                self.down = exc
            raise

    def close(self) -> None:
        with suppress(*SEND_ERRORS):
            self.connection.close()
