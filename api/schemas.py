"""What the API reads and writes (pydantic models; the OpenAPI schema is generated from them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

import pydantic_core
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import AwareDatetime

from reminders.models import Reminder
from todos.models import Activity, Membership, Priority, Role, Task, TaskList
from todos.repeat import MAX_RULE_LENGTH

T = TypeVar("T")
S = TypeVar("S", bound=Schema)


class Page(Schema, Generic[T]):
    items: list[T]
    # Send it back as ``cursor`` for the next page; null on the last page.
    next_cursor: str | None = None


def page_of(model: type[S], items: Iterable[dict[str, Any]], next_cursor: str | None) -> Page[S]:
    """A page of ``model``s made from the dicts of our own ``*_out`` functions, unvalidated. ninja
    serialises an answer that already is its response model as it stands; a dict it validates
    first, item by item through its Schema's attribute getter: 2-3 ms for 50 tasks on the
    bench's machine."""
    return Page[model].model_construct(  # type: ignore[valid-type]
        items=[model.model_construct(**item) for item in items], next_cursor=next_cursor
    )


_ENCODER = NinjaJSONEncoder()


def to_json(data: Any) -> bytes:
    """The API's JSON, answers and problems alike, written by pydantic's serializer (in Rust)
    rather than by ``json.dumps``, which calls the encoder's ``default`` once for every date
    and time; whatever pydantic does not know goes to ninja's encoder. Times keep their
    microseconds (Django's encoder cut them to milliseconds)."""
    return pydantic_core.to_json(data, fallback=_ENCODER.default)


class Renderer(JSONRenderer):
    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return to_json(data)


class ListIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class ListOut(Schema):
    id: int
    name: str
    owner: str
    role: str  # owner, editor or viewer: the caller's
    open_count: int
    done_count: int
    version: int


def list_out(task_list: TaskList) -> dict[str, Any]:
    return {
        "id": task_list.pk,
        "name": task_list.name,
        "owner": task_list.owner.get_username(),
        "role": task_list.viewer_role,
        "open_count": task_list.open_count,
        "done_count": task_list.done_count,
        "version": task_list.version,
    }


class TaskIn(Schema):
    title: str = Field(min_length=1, max_length=200)


class TaskPatch(Schema):
    """Only the fields sent change. With ``version`` (the task's, as last read), nothing is
    saved if someone saved it since: a 409 with the task as it is now."""

    title: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = None
    due_date: dt.date | None = None
    priority: Priority | None = None
    assignee: str | None = None  # a username; null unassigns
    list_id: int | None = None  # move the task to that list (one you may edit)
    # An RRULE value (e.g. "FREQ=WEEKLY;BYDAY=MO,TH"), of those the edit page offers; "" stops it.
    repeat_rule: str | None = Field(None, max_length=MAX_RULE_LENGTH)
    repeat_from_completion: bool | None = None
    version: int | None = Field(None, ge=1)


class TaskOut(Schema):
    id: int
    list_id: int
    title: str
    notes: str
    done: bool
    priority: str
    due_date: dt.date | None
    assignee: str | None
    position: int
    # The series' RRULE ("" for a task that does not repeat): completing it moves due_date on.
    repeat_rule: str
    repeat_from_completion: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None


# What a page of tasks reads of each (``values(*TASK_ROW)``): TaskOut's fields, the assignee's by
# name. Building no Task for each row saves a page of 50 about a quarter of its query's time.
TASK_ROW = (
    "id",
    "list_id",
    "title",
    "notes",
    "done",
    "priority",
    "due_date",
    "assignee__username",
    "position",
    "repeat_rule",
    "repeat_from_completion",
    "version",
    "created_at",
    "updated_at",
    "completed_at",
)


def task_row_out(row: dict[str, Any]) -> dict[str, Any]:
    """A row of ``values(*TASK_ROW)`` as TaskOut (as task_out makes a Task one)."""
    row["assignee"] = row.pop("assignee__username")
    return row


def task_out(task: Task) -> dict[str, Any]:
    """The task as TaskOut; its assignee must be loaded with it (select_related)."""
    return {
        "id": task.pk,
        "list_id": task.list_id,
        "title": task.title,
        "notes": task.notes,
        "done": task.done,
        "priority": task.priority,
        "due_date": task.due_date,
        "assignee": task.assignee.get_username() if task.assignee_id else None,
        "position": task.position,
        "repeat_rule": task.repeat_rule,
        "repeat_from_completion": task.repeat_from_completion,
        "version": task.version,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "completed_at": task.completed_at,
    }


class ReminderIn(Schema):
    # With its offset (e.g. 2027-01-15T09:00:00+13:00); a time still to come.
    remind_at: AwareDatetime


class ReminderOut(Schema):
    """Null and null: no reminder."""

    remind_at: dt.datetime | None
    # pending, sent, missed (too late when a worker got to it) or skipped (done, or not yours).
    state: str | None


def reminder_out(reminder: Reminder | None) -> dict[str, Any]:
    if reminder is None:
        return {"remind_at": None, "state": None}
    return {"remind_at": reminder.remind_at, "state": reminder.state}


class MemberIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    role: Role


class RoleIn(Schema):
    role: Role


class MemberOut(Schema):
    username: str
    role: Role


def member_out(membership: Membership) -> dict[str, Any]:
    return {"username": membership.user.get_username(), "role": membership.role}


class ActivityOut(Schema):
    id: int
    actor: str | None  # null: the system, or a deleted account
    verb: str
    subject: str
    task_id: int | None
    changes: dict[str, list[Any]]
    created_at: dt.datetime


def activity_out(entry: Activity) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "actor": entry.actor.get_username() if entry.actor_id else None,
        "verb": entry.verb,
        "subject": entry.subject,
        "task_id": entry.task_id,
        "changes": entry.changes,
        "created_at": entry.created_at,
    }
