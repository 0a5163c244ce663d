"""Export and import a user's lists and tasks (JSON or CSV) for the operator commands.

A round trip keeps every list (empty ones included) with its members (usernames and roles), and
for each task its title, notes, due date, priority, done state, completion time, position,
assignee, repeat rule (an RRULE value, and whether it counts from the completion date) and the
reminders still to be sent (whose, and when). Members, assignees and reminders are imported
where those users exist (an assignee only where they may hold the list's tasks, see
todos.models.assignable_users; a reminder only for someone who sees the list); version 1 files
have none of them, versions 1 and 2 no repeat rules, and versions 1 to 3 no reminders.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.dateparse import parse_date, parse_datetime

from reminders.models import Reminder

from . import services
from .models import Membership, Priority, Role, Task, TaskList

FORMAT_NAME = "todo-export"
FORMAT_VERSION = 4
CSV_COLUMNS = [
    "list",
    "title",
    "notes",
    "due_date",
    "priority",
    "done",
    "completed_at",
    "position",
    "assignee",
    "repeat_rule",
    "repeat_from_completion",
    "reminders",
    "members",
]


def _task_record(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "notes": task.notes,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "priority": task.priority,
        "done": task.done,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "position": task.position,
        "assignee": task.assignee.get_username() if task.assignee else None,
        "repeat_rule": task.repeat_rule,
        "repeat_from_completion": task.repeat_from_completion,
        "reminders": [
            {"username": reminder.user.get_username(), "remind_at": reminder.remind_at.isoformat()}
            for reminder in task.reminders.all()
        ],
    }


def export_data(user: AbstractBaseUser) -> dict[str, Any]:
    lists = TaskList.objects.owned_by(user).prefetch_related(
        Prefetch("tasks", Task.objects.select_related("assignee")),
        Prefetch("tasks__reminders", Reminder.objects.pending().select_related("user")),
        Prefetch("memberships", Membership.objects.select_related("user")),
    )
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "user": user.get_username(),
        "lists": [
            {
                "name": task_list.name,
                "members": [
                    {"username": membership.user.get_username(), "role": membership.role}
                    for membership in task_list.memberships.all()
                ],
                "tasks": [_task_record(task) for task in task_list.tasks.all()],
            }
            for task_list in lists
        ],
    }


def _reminders_cell(reminders: list[dict[str, str]]) -> str:
    """CSV: a task's reminders in one cell, "username@when" separated by spaces (a username
    may hold "@", a time in ISO 8601 does not)."""
    return " ".join(f"{reminder['username']}@{reminder['remind_at']}" for reminder in reminders)


def _reminders_from_cell(cell: str) -> list[dict[str, str]]:
    pairs = (item.rpartition("@") for item in cell.split())
    return [{"username": username, "remind_at": at} for username, _sep, at in pairs]


def _members_cell(members: list[dict[str, str]]) -> str:
    """CSV: a list's members in one cell, "username:role" separated by spaces (usernames hold
    neither)."""
    return " ".join(f"{member['username']}:{member['role']}" for member in members)


def _members_from_cell(cell: str) -> list[dict[str, str]]:
    pairs = (item.rpartition(":") for item in cell.split())
    return [{"username": username, "role": role} for username, _sep, role in pairs]


def dump_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def dump_csv(data: dict[str, Any]) -> str:
    """One row a task; a list without tasks is a row with an empty title, so it survives too."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for task_list in data["lists"]:
        head = {"list": task_list["name"], "members": _members_cell(task_list["members"])}
        if not task_list["tasks"]:
            writer.writerow(head)
        for record in task_list["tasks"]:
            writer.writerow({**head, **record, "reminders": _reminders_cell(record["reminders"])})
    return out.getvalue()


def parse(text: str) -> list[dict[str, Any]]:
    """Lists with their task records, from either format (JSON starts with "{")."""
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        if data.get("format") != FORMAT_NAME:
            raise ValidationError("Not a todo export file.", code="format")
        return list(data["lists"])
    reader = csv.DictReader(io.StringIO(text))
    if not {"list", "title"} <= set(reader.fieldnames or []):
        raise ValidationError("Neither a JSON export nor a CSV with list and title columns.")
    lists: dict[str, dict[str, Any]] = {}
    for row in reader:
        task_list = lists.setdefault(
            row["list"],
            {
                "name": row["list"],
                "members": _members_from_cell(row.get("members") or ""),
                "tasks": [],
            },
        )
        if row["title"]:
            task_list["tasks"].append(
                {**row, "reminders": _reminders_from_cell(row.get("reminders") or "")}
            )
    return list(lists.values())


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "1", "yes"}


def _build_task(record: dict[str, Any], position: int) -> Task:
    """An unsaved task; its list and final position are set by services.add_tasks."""
    done = _as_bool(record.get("done", False))
    due_text = record.get("due_date") or ""
    completed_text = record.get("completed_at") or ""
    due_date = parse_date(due_text) if due_text else None
    completed_at = parse_datetime(completed_text) if completed_text else None
    if due_text and due_date is None:
        raise ValidationError(f"bad due_date {due_text!r}", code="invalid")
    if completed_text and completed_at is None:
        raise ValidationError(f"bad completed_at {completed_text!r}", code="invalid")
    if done and completed_at is None:
        completed_at = dt.datetime.now(tz=dt.UTC)
    task = Task(
        title=str(record.get("title", "")).strip(),
        notes=record.get("notes") or "",
        due_date=due_date,
        priority=record.get("priority") or Priority.NORMAL,
        done=done,
        completed_at=completed_at if done else None,
        position=position,
        repeat_rule=str(record.get("repeat_rule") or "").strip(),
        repeat_from_completion=_as_bool(record.get("repeat_from_completion", False)),
    )
    task.full_clean(exclude=["list", "assignee"])
    return task


def _members(list_record: dict[str, Any], name: str) -> list[tuple[str, Role]]:
    members = []
    for member in list_record.get("members") or []:
        try:
            members.append((str(member["username"]), Role(member["role"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"List {name!r}: bad member {member!r}") from exc
    return members


def _reminders(record: dict[str, Any]) -> list[tuple[str, dt.datetime]]:
    reminders = []
    for reminder in record.get("reminders") or []:
        try:
            at = parse_datetime(str(reminder["remind_at"]))
            username = str(reminder["username"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"bad reminder {reminder!r}") from exc
        if at is None or at.tzinfo is None:
            raise ValidationError(f"bad reminder time {reminder['remind_at']!r}", code="invalid")
        reminders.append((username, at))
    return reminders


def import_data(user: AbstractBaseUser, lists: list[dict[str, Any]]) -> int:
    """Add the lists' tasks to the user's lists of the same name (created when missing), and
    their members and assignees where those users exist.

    All or nothing: every record is checked before anything is written, and the first invalid
    one raises ValidationError. Returns the number of tasks imported.
    """
    built: list[services.ImportedList] = []
    for list_record in lists:
        name = str(list_record.get("name", "")).strip()
        if not name:
            raise ValidationError("A list has no name.", code="required")
        tasks, reminders = [], []
        for number, record in enumerate(list_record.get("tasks", []), start=1):
            try:
                tasks.append(_build_task(record, int(record.get("position") or 0)))
                reminders.append(_reminders(record))
            except ValidationError as exc:
                problems = "; ".join(exc.messages)
                raise ValidationError(f"List {name!r}, task {number}: {problems}") from exc
            except (ValueError, TypeError) as exc:
                raise ValidationError(f"List {name!r}, task {number}: {exc}") from exc
        assignees = [str(record.get("assignee") or "") for record in list_record.get("tasks", [])]
        built.append(
            services.ImportedList(
                name=name,
                tasks=tasks,
                members=_members(list_record, name),
                assignees=assignees,
                reminders=reminders,
            )
        )
    return services.import_lists(owner=user, lists=built)
