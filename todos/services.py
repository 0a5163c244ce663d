"""Every write to lists and tasks. Views, the admin, the operator commands and the importer call
these functions; none of them opens a transaction of its own.

Each function is one transaction and takes its row locks in one global order, so that no two
writers ever wait for each other in a cycle:

1. a user's list rows, in id order (only ``delete_list`` needs more than one);
2. then task rows.

What each write locks:

- ``add_task``, ``add_tasks``, ``toggle_all``, ``clear_completed``: the list row. Writers that
  take a new position (adds, imports) or touch many of a list's tasks take turns on it, so every
  task gets its own position and a bulk update never interleaves with another.
- ``toggle_task``, ``edit_task``, ``delete_task``: that task's row only, so single-task writes
  stay as fast as the row allows. A task deleted meanwhile raises ``Task.DoesNotExist`` (a 404 for
  a view), never a 500 and never a task brought back. Moving a task to another list first locks
  the target list (rule 1 before rule 2), since it takes a position there.
- ``create_list``, ``rename_list``: nothing; the (owner, name) unique constraint is the arbiter,
  and losing a race raises the same ``ValidationError`` a sequential duplicate does.
- ``delete_list``: all of the owner's list rows, so two deletes cannot both see "not the last".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import DEFAULT_LIST_NAME, Task, TaskList

# Fields of a task that an edit may change (the edit form's fields, plus the list to move it to).
EDITABLE_FIELDS = ("title", "notes", "due_date", "priority", "list")

LIST_NAME_TAKEN = _("You already have a list called “%(name)s”.")
LAST_LIST_STAYS = _("You need at least one list, so the last one stays.")


# --- lists ----------------------------------------------------------------------------------------


def create_inbox(*, owner: AbstractBaseUser) -> TaskList:
    """The list every account starts with (sign-up, the admin, single sign-on, demo data)."""
    task_list, _created = TaskList.objects.get_or_create(owner_id=owner.pk, name=DEFAULT_LIST_NAME)
    return task_list


def _save_list_name(task_list: TaskList) -> TaskList:
    try:
        with transaction.atomic():
            task_list.save()
    except IntegrityError as exc:
        if not TaskList.objects.filter(owner_id=task_list.owner_id, name=task_list.name).exists():
            raise
        raise ValidationError(
            LIST_NAME_TAKEN, code="duplicate", params={"name": task_list.name}
        ) from exc
    return task_list


def create_list(*, owner: AbstractBaseUser, name: str) -> TaskList:
    """A new, empty list. ValidationError(code="duplicate") if the owner has one of that name."""
    return _save_list_name(TaskList(owner_id=owner.pk, name=name))


def rename_list(*, task_list: TaskList, name: str) -> TaskList:
    """ValidationError(code="duplicate") if the owner has another list of that name."""
    task_list.name = name
    return _save_list_name(task_list)


@transaction.atomic
def delete_list(*, task_list: TaskList) -> None:
    """Delete the list and its tasks; ValidationError(code="last_list") for the owner's last one."""
    locked = TaskList.objects.filter(owner_id=task_list.owner_id).lock_in_order()
    if task_list.pk not in locked:
        raise TaskList.DoesNotExist
    if len(locked) <= 1:
        raise ValidationError(LAST_LIST_STAYS, code="last_list")
    task_list.delete()


# --- tasks ----------------------------------------------------------------------------------------


@transaction.atomic
def add_task(*, task_list: TaskList, title: str) -> Task:
    """A new open task at the end of the list."""
    TaskList.objects.locked(task_list.pk)
    position = Task.objects.in_list(task_list).next_position()
    return Task.objects.create(list=task_list, title=title, position=position)


@transaction.atomic
def add_tasks(*, task_list: TaskList, tasks: Iterable[Task], batch_size: int = 1000) -> int:
    """Append built, validated tasks to the list in bulk (import, demo data). Their ``position``
    values give their order (ties keep the given order) and are kept as offsets from the list's
    end where they allow it; every task still gets a position of its own."""
    TaskList.objects.locked(task_list.pk)
    next_free = Task.objects.in_list(task_list).next_position()
    batch = sorted(tasks, key=lambda task: task.position)
    start = next_free
    for task in batch:
        task.list = task_list
        task.position = max(start + task.position, next_free)
        next_free = task.position + 1
    Task.objects.bulk_create(batch, batch_size=batch_size)
    return len(batch)


@transaction.atomic
def toggle_task(*, task: Task) -> Task:
    """Mark the task done, or open again if it was done."""
    locked = Task.objects.locked(task.pk)
    locked.set_done(not locked.done)
    locked.save(update_fields=["done", "completed_at", "updated_at"])
    return locked


@transaction.atomic
def edit_task(*, task: Task, changes: Mapping[str, Any]) -> Task:
    """Save the changed fields (any of EDITABLE_FIELDS); a task moved to another list goes last
    there. Raises Task.DoesNotExist if the task was deleted meanwhile: it is never re-inserted."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    target: TaskList | None = changes.get("list")
    moved = target is not None and target.pk != task.list_id
    if target is not None and moved:
        TaskList.objects.locked(target.pk)
    locked = Task.objects.locked(task.pk)
    for field, value in changes.items():
        setattr(locked, field, value)
    saved = [*changes, "updated_at"]
    if moved:
        locked.position = Task.objects.in_list(locked.list).next_position()
        saved.append("position")
    locked.save(update_fields=saved)
    return locked


def delete_task(*, task: Task) -> None:
    """Delete the task (one statement; a task already gone is not an error)."""
    Task.objects.filter(pk=task.pk).delete()


@transaction.atomic
def toggle_all(*, task_list: TaskList) -> None:
    """Complete every open task; when none is open, reopen them all (as TodoMVC does)."""
    TaskList.objects.locked(task_list.pk)
    tasks = Task.objects.in_list(task_list)
    if not tasks.mark_done():
        tasks.mark_open()


@transaction.atomic
def clear_completed(*, task_list: TaskList) -> int:
    """Delete the list's done tasks; returns how many."""
    TaskList.objects.locked(task_list.pk)
    deleted, _per_model = Task.objects.in_list(task_list).completed().delete()
    return deleted


def set_done(*, tasks: QuerySet[Task], done: bool) -> int:
    """Mark any tasks (the admin's bulk actions) done or open, one list at a time in id order,
    each under its list's lock as toggle_all is. Returns how many changed."""
    changed = 0
    list_ids = sorted(set(tasks.values_list("list_id", flat=True)))
    for list_id in list_ids:
        with transaction.atomic():
            TaskList.objects.locked(list_id)
            in_list = Task.objects.filter(pk__in=tasks.filter(list_id=list_id).values("pk"))
            changed += in_list.mark_done() if done else in_list.mark_open()
    return changed


def purge_completed(*, before: dt.datetime) -> int:
    """Delete tasks completed before the moment, one list at a time under its lock."""
    purged = 0
    old = Task.objects.completed_before(before)
    for list_id in sorted(set(old.values_list("list_id", flat=True))):
        with transaction.atomic():
            TaskList.objects.locked(list_id)
            deleted, _per_model = old.filter(list_id=list_id).delete()
            purged += deleted
    return purged


@transaction.atomic
def import_lists(*, owner: AbstractBaseUser, lists: Iterable[tuple[str, list[Task]]]) -> int:
    """Add built tasks to the owner's lists of the given names (created when missing), all or
    nothing. Every list it appends to is locked first, in id order, as delete_list locks them."""
    targets = [
        (TaskList.objects.get_or_create(owner_id=owner.pk, name=name)[0], tasks)
        for name, tasks in lists
    ]
    TaskList.objects.filter(pk__in={task_list.pk for task_list, _tasks in targets}).lock_in_order()
    return sum(add_tasks(task_list=task_list, tasks=tasks) for task_list, tasks in targets)
