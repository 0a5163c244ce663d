"""Every write to lists and tasks. Views, the admin, the operator commands and the importer call
these functions; none of them opens a transaction of its own.

Each function is one transaction and takes its row locks in one global order, so that no two
writers ever wait for each other in a cycle:

1. a user's list rows, in id order (only ``delete_list`` needs more than one);
2. then task rows.

Every write that adds, removes, completes or reopens tasks also keeps the list's counters
(``TaskList.open_count``/``done_count``) in the same transaction, so they are exact whenever the
transaction commits. What each write locks:

- ``add_task``, ``add_tasks``, ``toggle_all``, ``clear_completed``: the list row. Writers that
  take a new position (adds, imports) or touch many of a list's tasks take turns on it, so every
  task gets its own position and a bulk update never interleaves with another; bulk writes then
  recount the list.
- ``toggle_task``, ``delete_task``: the list row (its counters change), then the task's row. A
  task deleted meanwhile raises ``Task.DoesNotExist`` (a 404 for a view), never a 500 and never a
  task brought back.
- ``edit_task``: the task's row; moving it to another list first locks both lists in id order
  (rule 1 before rule 2), since it takes a position there and both lists' counters change.
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
from django.db.models import F, QuerySet
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


def _count(list_id: int, *, open_by: int = 0, done_by: int = 0) -> None:
    """Move the list's counters by what a single-task write changed."""
    TaskList.objects.filter(pk=list_id).update(
        open_count=F("open_count") + open_by, done_count=F("done_count") + done_by
    )


def _recount(list_id: int) -> None:
    """Set the list's counters from its tasks, after a write that touched many of them."""
    counts = Task.objects.filter(list_id=list_id).counts()
    TaskList.objects.filter(pk=list_id).update(open_count=counts["open"], done_count=counts["done"])


@transaction.atomic
def add_task(*, task_list: TaskList, title: str) -> Task:
    """A new open task at the end of the list."""
    TaskList.objects.locked(task_list.pk)
    position = Task.objects.in_list(task_list).next_position()
    task = Task.objects.create(list=task_list, title=title, position=position)
    _count(task_list.pk, open_by=1)
    return task


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
    _recount(task_list.pk)
    return len(batch)


@transaction.atomic
def toggle_task(*, task: Task) -> Task:
    """Mark the task done, or open again if it was done."""
    TaskList.objects.locked(task.list_id)
    locked = Task.objects.locked(task.pk)
    locked.set_done(not locked.done)
    locked.save(update_fields=["done", "completed_at", "updated_at"])
    change = 1 if locked.done else -1
    _count(locked.list_id, open_by=-change, done_by=change)
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
        TaskList.objects.filter(pk__in=[task.list_id, target.pk]).lock_in_order()
    locked = Task.objects.locked(task.pk)
    source_id = locked.list_id
    for field, value in changes.items():
        setattr(locked, field, value)
    saved = [*changes, "updated_at"]
    if moved:
        locked.position = Task.objects.in_list(locked.list).next_position()
        saved.append("position")
    locked.save(update_fields=saved)
    if locked.list_id != source_id:
        open_by, done_by = (0, 1) if locked.done else (1, 0)
        _count(source_id, open_by=-open_by, done_by=-done_by)
        _count(locked.list_id, open_by=open_by, done_by=done_by)
    return locked


@transaction.atomic
def delete_task(*, task: Task) -> None:
    """Delete the task; one already gone is not an error."""
    TaskList.objects.locked(task.list_id)
    try:
        gone = Task.objects.locked(task.pk)
    except Task.DoesNotExist:
        return
    gone.delete()
    _count(gone.list_id, open_by=0 if gone.done else -1, done_by=-1 if gone.done else 0)


@transaction.atomic
def toggle_all(*, task_list: TaskList) -> None:
    """Complete every open task; when none is open, reopen them all (as TodoMVC does)."""
    TaskList.objects.locked(task_list.pk)
    tasks = Task.objects.in_list(task_list)
    if not tasks.mark_done():
        tasks.mark_open()
    _recount(task_list.pk)


@transaction.atomic
def clear_completed(*, task_list: TaskList) -> int:
    """Delete the list's done tasks; returns how many."""
    TaskList.objects.locked(task_list.pk)
    deleted, _per_model = Task.objects.in_list(task_list).completed().delete()
    _recount(task_list.pk)
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
            _recount(list_id)
    return changed


def recount_lists(*, list_ids: Iterable[int]) -> None:
    """Set the lists' counters from their tasks, each under its lock (after the admin's own
    create, change and delete of tasks, which do not go through the functions above)."""
    for list_id in sorted(set(list_ids)):
        with transaction.atomic():
            if TaskList.objects.filter(pk=list_id).lock_in_order():
                _recount(list_id)


def purge_completed(*, before: dt.datetime) -> int:
    """Delete tasks completed before the moment, one list at a time under its lock."""
    purged = 0
    old = Task.objects.completed_before(before)
    for list_id in sorted(set(old.values_list("list_id", flat=True))):
        with transaction.atomic():
            TaskList.objects.locked(list_id)
            deleted, _per_model = old.filter(list_id=list_id).delete()
            _recount(list_id)
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
