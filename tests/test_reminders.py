"""Reminders and daily digests: what the worker (reminders.worker) sends, to whom, when, and
how often; against a real SMTP relay on loopback."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import zoneinfo
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from reminders import services as reminder_services
from reminders.models import Digest, Reminder, ReminderState
from reminders.worker import _claim, deliver_reminders, mark_missed, run_round
from tests.support.smtp import SmtpSink
from todos import services
from todos.models import Role, Task, TaskList

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def with_mail(user: User, address: str) -> User:
    user.email = address
    user.save(update_fields=["email"])
    return user


def remind(task: Task, user: User, at: dt.datetime) -> Reminder:
    reminder = services.set_reminder(task=task, user=user, at=at)
    assert reminder is not None
    return reminder


def state_of(reminder: Reminder) -> str:
    reminder.refresh_from_db()
    return reminder.state


def subjects(sink: SmtpSink) -> list[str]:
    return [str(message["Subject"]) for message in sink.messages]


# --- reminders ------------------------------------------------------------------------------------


def test_a_due_reminder_is_mailed_once_with_a_link_to_the_task(
    owner: User, inbox: TaskList, make_task: Callable[..., Task], relay: SmtpSink, settings: Any
) -> None:
    settings.SITE_URL = "https://todo.example.org"
    with_mail(owner, "olivia@example.org")
    task = make_task(inbox, "Call the plumber", due_date=NOW.date())
    reminder = remind(task, owner, NOW - dt.timedelta(minutes=1))

    first = run_round(now=NOW)
    again = run_round(now=NOW + dt.timedelta(minutes=5))

    assert (first.sent, again.sent) == (1, 0)
    message = relay.wait_for(to="olivia@example.org")
    assert message["Subject"] == "[todo] Reminder: Call the plumber"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    link = f"https://todo.example.org{task.get_absolute_url()}"
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert state_of(reminder) == ReminderState.SENT
    assert relay.messages == []
