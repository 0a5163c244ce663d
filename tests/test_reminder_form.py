"""The edit page's "Remind me": the user's own reminder of the task, entered and shown in their
time zone, stored in UTC through todos.services.set_reminder; not a change of the task."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from reminders.models import Reminder
from todos.forms import REMINDER_IN_THE_PAST
from todos.models import Activity, Task, TaskList

AUCKLAND = "Pacific/Auckland"
# 22:00 UTC on the 7th of December: 11:00 on the 8th in Auckland (NZDT, UTC+13).
NOW = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now(monkeypatch: Any) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def task(inbox: TaskList, make_task: Callable[..., Task]) -> Task:
    return make_task(inbox, "Call the plumber")


def _edit(task: Task) -> str:
    return reverse("todos:edit", args=[task.pk])


def _post(client: Client, task: Task, **fields: str) -> Any:
    """The edit form as the page sends it, the task's fields unchanged unless given."""
    task.refresh_from_db()
    data = {
        "title": task.title,
        "notes": task.notes,
        "due_date": task.due_date.isoformat() if task.due_date else "",
        "priority": task.priority,
        "list": str(task.list_id),
        "assignee": str(task.assignee_id or ""),
        "version": str(task.version),
        "remind_me": "",
        **fields,
    }
    return client.post(_edit(task), data)


def _shown(client: Client, task: Task) -> str:
    """What the "Remind me" box holds on the user's edit page."""
    page = client.get(_edit(task)).content.decode()
    assert '<label for="id_remind_me">Remind me</label>' in page
    box = re.search(r'<input type="datetime-local" name="remind_me"[^>]*>', page)
    assert box, page
    value = re.search(r'value="([^"]*)"', box.group(0))
    return value.group(1) if value else ""


def _remind_at(task: Task, user: User) -> dt.datetime | None:
    return Reminder.objects.filter(task=task, user=user).values_list("remind_at", flat=True).first()


@pytest.fixture
def in_auckland(owner: User) -> User:
    account_services.set_time_zone(user=owner, time_zone=AUCKLAND)
    return owner


def test_it_stores_the_time_entered_in_the_users_zone_in_utc(
    in_auckland: User, owner_client: Client, task: Task
):
    response = _post(owner_client, task, remind_me="2026-12-09T08:30")
    assert response.status_code == 302
    # 08:30 on the 9th in Auckland, UTC+13 in its summer.
    assert _remind_at(task, in_auckland) == dt.datetime(2026, 12, 8, 19, 30, tzinfo=dt.UTC)
    reminder = Reminder.objects.get(task=task, user=in_auckland)
    assert reminder.state == "pending"


def test_the_form_shows_it_back_in_the_users_zone(
    in_auckland: User, owner_client: Client, task: Task
):
    assert _shown(owner_client, task) == ""
    _post(owner_client, task, remind_me="2026-12-09T08:30")
    assert _shown(owner_client, task) == "2026-12-09T08:30"
    # Another zone, the same moment on its clock.
    account_services.set_time_zone(user=in_auckland, time_zone="Europe/Paris")
    assert _shown(owner_client, task) == "2026-12-08T20:30"


def test_clearing_it_removes_the_reminder(in_auckland: User, owner_client: Client, task: Task):
    _post(owner_client, task, remind_me="2026-12-09T08:30")
    assert _post(owner_client, task, remind_me="").status_code == 302
    assert not Reminder.objects.filter(task=task).exists()
    assert _shown(owner_client, task) == ""


@pytest.mark.parametrize("at", ["2026-12-08T10:59", "2026-12-08T11:00", "2025-01-01T09:00"])
def test_a_time_gone_by_is_refused(in_auckland: User, owner_client: Client, task: Task, at: str):
    response = _post(owner_client, task, remind_me=at, title="Call the plumber today")
    assert response.status_code == 400
    assert str(REMINDER_IN_THE_PAST) in response.content.decode()
    assert not Reminder.objects.filter(task=task).exists()
    task.refresh_from_db()
    assert task.title == "Call the plumber"  # nothing of the form was saved


def test_a_reminder_gone_by_may_stay_while_the_task_is_edited(
    in_auckland: User, owner_client: Client, task: Task, monkeypatch: Any
):
    _post(owner_client, task, remind_me="2026-12-08T12:00")
    later = NOW + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    # Sent back as the form showed it: not a change, so not refused.
    response = _post(owner_client, task, remind_me="2026-12-08T12:00", title="Plumber called?")
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Plumber called?"
    assert _remind_at(task, in_auckland) == dt.datetime(2026, 12, 7, 23, 0, tzinfo=dt.UTC)


def test_a_malformed_time_is_refused(owner_client: Client, task: Task):
    response = _post(owner_client, task, remind_me="tomorrow-ish")
    assert response.status_code == 400
    assert "Enter a date and time as YYYY-MM-DD HH:MM." in response.content.decode()
    assert not Reminder.objects.exists()


def test_a_reminder_alone_is_not_a_change_of_the_task(
    in_auckland: User, owner_client: Client, task: Task
):
    task.refresh_from_db()
    version = task.version
    entries = Activity.objects.filter(task_id=task.pk).count()
    _post(owner_client, task, remind_me="2026-12-09T08:30")
    _post(owner_client, task, remind_me="2026-12-10T08:30")
    _post(owner_client, task, remind_me="")
    task.refresh_from_db()
    assert task.version == version
    assert Activity.objects.filter(task_id=task.pk).count() == entries


def test_a_reminder_with_a_change_saves_both_once(
    in_auckland: User, owner_client: Client, task: Task
):
    task.refresh_from_db()
    version = task.version
    entries = Activity.objects.filter(task_id=task.pk).count()
    _post(owner_client, task, remind_me="2026-12-09T08:30", title="Call the plumber at 9")
    task.refresh_from_db()
    assert (task.title, task.version) == ("Call the plumber at 9", version + 1)
    assert Activity.objects.filter(task_id=task.pk).count() == entries + 1
    assert _remind_at(task, in_auckland) == dt.datetime(2026, 12, 8, 19, 30, tzinfo=dt.UTC)


def test_an_editors_reminder_is_their_own(
    shared: TaskList,
    editor: User,
    owner: User,
    client_for: Callable[[User], Client],
    owner_client: Client,
    make_task: Callable[..., Task],
):
    task = make_task(shared, "Water the plants")
    editing = client_for(editor)
    assert _post(editing, task, remind_me="2026-12-09T08:30").status_code == 302
    assert _shown(editing, task) == "2026-12-09T08:30"
    # The owner's form shows no reminder; setting theirs leaves the editor's be.
    assert _shown(owner_client, task) == ""
    _post(owner_client, task, remind_me="2026-12-10T18:00")
    assert _remind_at(task, editor) == dt.datetime(2026, 12, 9, 8, 30, tzinfo=dt.UTC)  # UTC user
    assert _remind_at(task, owner) == dt.datetime(2026, 12, 10, 18, 0, tzinfo=dt.UTC)
    _post(owner_client, task, remind_me="")
    assert list(Reminder.objects.filter(task=task).values_list("user", flat=True)) == [editor.pk]


def test_a_viewer_cannot_open_the_edit_form_nor_set_a_reminder(
    shared: TaskList,
    viewer: User,
    client_for: Callable[[User], Client],
    make_task: Callable[..., Task],
):
    task = make_task(shared, "Water the plants")
    viewing = client_for(viewer)
    assert viewing.get(_edit(task)).status_code == 403
    assert _post(viewing, task, remind_me="2026-12-09T08:30").status_code == 403
    assert not Reminder.objects.exists()


def test_a_stranger_gets_a_404_and_sets_nothing(
    other_user: User, client_for: Callable[[User], Client], task: Task
):
    stranger = client_for(other_user)
    assert stranger.get(_edit(task)).status_code == 404
    assert _post(stranger, task, remind_me="2026-12-09T08:30").status_code == 404
    assert not Reminder.objects.exists()
