"""Every write to lists and tasks. Views, the admin, the operator commands and the importer call
these functions; none of them opens a transaction of its own.

Each function is one transaction and takes its row locks in one global order, so that no two
writers ever wait for each other in a cycle:

1. list rows, in id order (moves, the deletes of lists and imports lock more than one);
2. then that list's membership rows;
3. then task rows;
4. then reminder rows (reminders.Reminder), in id order.

The worker that sends reminders (reminders.worker) locks reminder rows alone, and never waits
for them (SKIP LOCKED); digest rows are locked by nothing else.

Every write that adds, removes, completes or reopens tasks also keeps the list's counters
(``TaskList.open_count``/``done_count``) in the same transaction, so they are exact whenever the
transaction commits; every write that changes what the list's page shows of its tasks moves the
list's ``version`` on in the same UPDATE (``_changed``, ``_recount``), which kept tasks pages are
keyed on (todos.kept). Every write of a task adds one to its ``version`` in the same UPDATE. What
each write locks:

- ``add_task``, ``add_tasks``, ``toggle_all``, ``clear_completed``: the list row (and
  ``toggle_all`` then the rows of the repeating tasks it moves on, in id order). Writers that
  take a new position (adds, imports) or touch many of a list's tasks take turns on it, so every
  task gets its own position and a bulk update never interleaves with another; bulk writes then
  recount the list.
- ``toggle_task``, ``delete_task``: the list row (its counters change), then the task's row,
  looked for in that list. A task deleted meanwhile, or moved out of the list, raises
  ``Task.DoesNotExist`` (a 404 for a view), never a 500 and never a task brought back. A
  repeating task's next due date is decided under its row's lock, so two completions of one
  occurrence move it on once. A toggle of a task that does not repeat locks the task's row with
  its UPDATE, on the condition that the row is the version the caller read, and reads it under
  the lock only when it is not.
- ``edit_task``: the task's list row, and the other list's too when it moves there (both in id
  order, since it takes a position there and both lists' counters change), then the task's row.
  It compares the task's ``version``, under the row lock, with the version its form was opened
  at, so of two people editing one task the second is asked again instead of overwriting the
  first; and it checks the assignee under the list's lock, so an assignment and that person's
  removal from the list (which locks the list too) never leave a task assigned to an outsider.
- ``save_task`` (the admin's save of a whole task): as ``edit_task``.
- ``set_reminder``: the task's list row, the task's row, then the user's reminder row. A
  repeating task moving on (in ``toggle_task``, ``toggle_all``) locks its reminders' rows after
  its own, and moves them on as many days as its due date.
- ``set_done``, ``delete_tasks``, ``purge_completed``: any lists' tasks, one list at a time in id
  order, each its own transaction under that list's row, as ``toggle_all``.
- ``create_list``, ``rename_list``: nothing; the (owner, name) unique constraint is the arbiter,
  and losing a race raises the same ``ValidationError`` a sequential duplicate does.
- ``delete_list``: all of the owner's list rows, so two deletes cannot both see "not the last";
  ``delete_lists`` (the admin's) the rows it deletes, in id order. Either way the rows are
  locked before the cascade deletes the lists' tasks, which it does before the lists.
- deleting an account (``accounts.services.delete_account``): ``lock_lists_for_deleting``
  first, every list the cascade writes (their tasks are deleted or unassigned), in id order.
- ``share_list``, ``set_role``, ``remove_member``, ``leave_list``, ``transfer_list``: the list
  row, then its membership rows. Membership changes of one list take turns, so "the owner is not
  also a member" (which no constraint can state across two tables) is decided here, and an
  ownership transfer never interleaves with an invitation or a role change. A member who is
  removed, leaves or becomes a viewer loses the list's tasks assigned to them, in the same
  transaction (task rows last, rule 3).

Every write also appends one ``Activity`` entry (who, what, which list and task, the old and new
values of what an edit changed) with one INSERT inside its own transaction, so a write and its
entry are kept or lost together. An entry locks nothing that others wait for (a new row). The
exceptions: ``delete_list`` and ``delete_lists``, since a list's history goes with it, and
``save_task``, which the admin's own log records. ``by`` is the user who acts, or None for the
system (operator commands).

Who may call which write (owner, editor, viewer) is decided before, by the views' lookups through
``TaskList.objects.visible_to``/``editable_by``; these functions keep the data's invariants.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import time_zone_of
from reminders.models import RELEASED, Reminder, ReminderState
from reminders.services import days_later

from .models import (
    DEFAULT_LIST_NAME,
    NEXT_VERSION,
    Activity,
    Membership,
    Role,
    Task,
    TaskList,
    TaskQuerySet,
    Verb,
    assignable_users,
)
from .repeat import Rule

# Fields of a task that an edit may change (the edit form's fields, plus the list to move it to).
EDITABLE_FIELDS = (
    *("title", "notes", "due_date", "priority", "list", "assignee"),
    *("repeat_rule", "repeat_from_completion"),
)

LIST_NAME_TAKEN = _("You already have a list called “%(name)s”.")
LAST_LIST_STAYS = _("You need at least one list, so the last one stays.")
NO_SUCH_USER = _("No user is called “%(username)s”.")
ALREADY_OWNER = _("%(username)s owns this list already.")
ALREADY_MEMBER = _("%(username)s is a member already; change their role below.")
NOT_A_MEMBER = _("%(username)s is not a member of this list.")
NEW_OWNER_HAS_NAME = _("%(username)s already has a list called “%(name)s”.")
NOT_ASSIGNABLE = _("%(username)s cannot edit “%(name)s”, so cannot be assigned there.")

# Who a write is by: a user, or None for the system (operator commands).
Actor = AbstractBaseUser | None


# --- the history ----------------------------------------------------------------------------------


def _shown(value: Any) -> Any:
    """A field's value as the history keeps it (JSON): a list or user by its name."""
    if isinstance(value, TaskList):
        return value.name
    if isinstance(value, AbstractBaseUser):
        return value.get_username()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def _record(
    task_list: TaskList | int,
    by: Actor,
    verb: Verb,
    *,
    task: Task | None = None,
    subject: object = "",
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> Activity:
    """Append one entry to the list's history (one INSERT, in the caller's transaction)."""
    list_id = task_list if isinstance(task_list, int) else task_list.pk
    return Activity.objects.create(
        task_list_id=list_id,
        actor_id=by.pk if by else None,
        verb=verb,
        task_id=task.pk if task else None,
        subject=str(task.title if task and not subject else subject)[:200],
        changes={
            field: [_shown(old), _shown(new)] for field, (old, new) in (changes or {}).items()
        },
    )


# --- lists ----------------------------------------------------------------------------------------


@transaction.atomic
def create_inbox(*, owner: AbstractBaseUser) -> TaskList:
    """The list every account starts with (accounts.services.create_account makes it with the
    account); an account's existing Inbox if it has one."""
    task_list, created = TaskList.objects.get_or_create(owner_id=owner.pk, name=DEFAULT_LIST_NAME)
    if created:
        _record(task_list, owner, Verb.CREATE_LIST, subject=task_list.name)
    return task_list


def _save_list_name(task_list: TaskList, message: Any = LIST_NAME_TAKEN, **params: str) -> TaskList:
    """Save the list (its name or owner changed); the (owner, name) unique constraint decides."""
    try:
        with transaction.atomic():
            task_list.save()
    except IntegrityError as exc:
        if not TaskList.objects.filter(owner_id=task_list.owner_id, name=task_list.name).exists():
            raise
        raise ValidationError(
            message, code="duplicate", params={"name": task_list.name, **params}
        ) from exc
    return task_list


@transaction.atomic
def create_list(*, owner: AbstractBaseUser, name: str) -> TaskList:
    """A new, empty list. ValidationError(code="duplicate") if the owner has one of that name."""
    task_list = _save_list_name(TaskList(owner_id=owner.pk, name=name))
    _record(task_list, owner, Verb.CREATE_LIST, subject=name)
    return task_list


@transaction.atomic
def rename_list(*, task_list: TaskList, name: str, by: Actor) -> TaskList:
    """ValidationError(code="duplicate") if the owner has another list of that name."""
    old_name, task_list.name = task_list.name, name
    _save_list_name(task_list)
    _record(task_list, by, Verb.RENAME_LIST, subject=name, changes={"name": (old_name, name)})
    return task_list


@transaction.atomic
def delete_list(*, task_list: TaskList) -> None:
    """Delete the list, its tasks and its history; ValidationError(code="last_list") for the
    owner's last one."""
    locked = TaskList.objects.filter(owner_id=task_list.owner_id).lock_in_order()
    if task_list.pk not in locked:
        raise TaskList.DoesNotExist
    if len(locked) <= 1:
        raise ValidationError(LAST_LIST_STAYS, code="last_list")
    task_list.delete()


@transaction.atomic
def delete_lists(*, list_ids: Iterable[int]) -> None:
    """Delete the lists with their tasks and history (the admin's delete, which may take an
    owner's last list too). Their rows are locked first, in id order: the cascade deletes a
    list's tasks before the list."""
    locked = TaskList.objects.filter(pk__in=list(list_ids)).lock_in_order()
    TaskList.objects.filter(pk__in=locked).delete()


# --- tasks ----------------------------------------------------------------------------------------


def _changed(list_id: int, *, open_by: int = 0, done_by: int = 0, placed: int = 0) -> None:
    """A write changed the list's tasks: move its version on, and its counters by what a
    single-task write changed, and its next position past the ``placed`` positions it took
    (one UPDATE)."""
    TaskList.objects.filter(pk=list_id).update(
        open_count=F("open_count") + open_by,
        done_count=F("done_count") + done_by,
        next_position=F("next_position") + placed,
        version=NEXT_VERSION,
    )


def _recount(list_id: int) -> None:
    """Set the list's counters and next position from its tasks, after a write that touched
    many of them (or tasks made directly), and move its version on."""
    tally = Task.objects.filter(list_id=list_id).tally()
    TaskList.objects.filter(pk=list_id).update(**tally, version=NEXT_VERSION)


def _next_position(list_id: int) -> int:
    """The list's next free position, read under the list's lock, which the caller holds."""
    return TaskList.objects.filter(pk=list_id).values_list("next_position", flat=True).get()


@transaction.atomic
def add_task(*, task_list: TaskList, title: str, by: Actor) -> Added:
    """A new open task at the end of the list."""
    locked = TaskList.objects.locked(task_list.pk)
    task = Task.objects.create(
        list=task_list,
        title=title,
        position=locked.next_position,
        created_by_id=by.pk if by else None,
    )
    _changed(task_list.pk, open_by=1, placed=1)
    _record(task_list, by, Verb.ADD, task=task)
    # Every task the list had comes before the new one, and the locked counters are exact.
    return Added(task, place=locked.open_count + locked.done_count)


class Added(NamedTuple):
    task: Task
    place: int  # how many of the list's tasks come before it


@transaction.atomic
def add_tasks(
    *, task_list: TaskList, tasks: Iterable[Task], by: Actor, batch_size: int = 1000
) -> int:
    """Append built, validated tasks to the list in bulk (import, demo data). Their ``position``
    values give their order (ties keep the given order) and are kept as offsets from the list's
    end where they allow it; every task still gets a position of its own. One history entry
    for the batch."""
    next_free = TaskList.objects.locked(task_list.pk).next_position
    batch = sorted(tasks, key=lambda task: task.position)
    start = next_free
    for task in batch:
        task.list = task_list
        task.created_by_id = by.pk if by else None
        task.position = max(start + task.position, next_free)
        next_free = task.position + 1
    Task.objects.bulk_create(batch, batch_size=batch_size)
    _recount(task_list.pk)
    _record(task_list, by, Verb.IMPORT, subject=_tasks_phrase(len(batch)))
    return len(batch)


def _tasks_phrase(number: int) -> str:
    return f"{number} task{'' if number == 1 else 's'}"


def _locked_task(task_id: int, list_id: int, *, also: int | None = None) -> Task:
    """The task's row, locked after the row of the list it is in (``list_id``) and of ``also``,
    another list, in id order: lists before tasks. Looked for in that list, whose lock this
    transaction holds: moved out of it meanwhile, the task is as gone (Task.DoesNotExist)."""
    lists = [list_id] if also is None else [list_id, also]
    TaskList.objects.filter(pk__in=lists).lock_in_order()
    return Task.objects.filter(list_id=list_id).locked(task_id)


def _check_assignable(task: Task) -> None:
    """Under its list's lock, so no membership change of that list interleaves: the task's
    assignee is someone who may hold its tasks (models.assignable_users)."""
    if task.assignee_id is None:
        return
    if not assignable_users(task.list).filter(pk=task.assignee_id).exists():
        raise ValidationError(
            NOT_ASSIGNABLE,
            code="not_assignable",
            params={"username": task.assignee_name, "name": task.list.name},
        )


def _advance(task: Task, by: Actor) -> bool:
    """Complete an open repeating task whose row this transaction has locked (after its list's):
    move it on to its next due date, still open, with the occurrences used taken off its rule's
    COUNT, and record the completion. False, and nothing written, when its series has ended."""
    assert task.due_date is not None  # noqa: S101 - a constraint: a repeating task has one
    following = Rule.parse(task.repeat_rule).next_due(
        due=task.due_date, today=timezone.localdate(), from_completion=task.repeat_from_completion
    )
    if following is None:
        return False
    old_due, (task.due_date, rule) = task.due_date, following
    task.repeat_rule = str(rule)
    task.version += 1
    task.save(update_fields=["due_date", "repeat_rule", "updated_at", "version"])
    _move_reminders(task, by=task.due_date - old_due)
    _changed(task.list_id)
    _record(
        task.list_id, by, Verb.COMPLETE, task=task, changes={"due_date": (old_due, task.due_date)}
    )
    return True


def _move_reminders(task: Task, *, by: dt.timedelta) -> None:
    """A repeating task moved on: each of its reminders moves as many days, to the same time of
    day in its user's zone, due to be sent again. Their rows are locked after the task's."""
    reminders = Reminder.objects.filter(task=task).order_by("pk").select_for_update()
    for reminder in reminders.select_related("user__preferences"):
        moved = days_later(reminder.remind_at, by.days, zone=time_zone_of(reminder.user))
        Reminder.objects.filter(pk=reminder.pk).update(remind_at=moved, **PENDING_AGAIN)


def _complete_open(tasks: TaskQuerySet, by: Actor) -> int:
    """Complete the open ones of the tasks, whose list's row this transaction has locked: each
    repeating one moves on to its next due date (its row locked, in id order), the others, and
    repeating ones whose series ended, are marked done in one UPDATE. Returns how many."""
    repeating = tasks.open().repeating().order_by("pk").select_for_update()
    advanced = [task.pk for task in repeating if _advance(task, by)]
    return len(advanced) + tasks.exclude(pk__in=advanced).mark_done()


@transaction.atomic
def toggle_task(
    *, task: Task, by: Actor, done: bool | None = None, due_seen: dt.date | None = None
) -> Task:
    """Mark the task done, or open again if it was done. With ``done``, set it to that instead:
    a task already so is left as it is (no write, no entry), so a repeated "complete" never
    reopens it. An open repeating task moves on to its next due date instead of being done
    (done for good once its series has ended). ``due_seen`` is the due date the completing page
    showed: when a repeating task's is no longer that, the occurrence was completed (or
    re-dated) meanwhile, by another member or tab, and nothing is done, so two completions
    racing move it on once."""
    TaskList.objects.filter(pk=task.list_id).lock_in_order()
    wanted = not task.done if done is None else done
    if wanted != task.done and not task.repeat_rule and _set_done_as_read(task, wanted):
        locked = task
    else:
        locked = Task.objects.filter(list_id=task.list_id).locked(task.pk)
        if done is not None and locked.done == done:
            return locked
        if not locked.done and locked.repeat_rule:
            if due_seen is not None and locked.due_date != due_seen:
                return locked
            if _advance(locked, by):
                return locked
        locked.set_done(not locked.done)
        locked.version += 1
        locked.save(update_fields=["done", "completed_at", "updated_at", "version"])
    change = 1 if locked.done else -1
    _changed(locked.list_id, open_by=-change, done_by=change)
    _record(locked.list_id, by, Verb.COMPLETE if locked.done else Verb.REOPEN, task=locked)
    return locked


def _set_done_as_read(task: Task, done: bool) -> bool:
    """Under its list's lock, set a task that does not repeat to ``done`` with one UPDATE, which
    locks its row itself, if the row is still the version the caller read (every write of a
    task moves its version on): the task is then exactly as read, so no locked read is needed.
    Updates ``task`` to match. False, and nothing written, when it was written, moved or deleted
    since."""
    now = timezone.now()
    completed_at = now if done else None
    as_read = Task.objects.filter(
        pk=task.pk, list_id=task.list_id, version=task.version, repeat_rule=""
    )
    if not as_read.update(
        done=done, completed_at=completed_at, updated_at=now, version=NEXT_VERSION
    ):
        return False
    task.done, task.completed_at, task.updated_at = done, completed_at, now
    task.version += 1
    return True


class EditConflict(Exception):
    """The task was saved by someone else since the edit began (its version moved on)."""

    def __init__(self, current: Task) -> None:
        super().__init__(f"task {current.pk} is at version {current.version}")
        self.current = current


@transaction.atomic
def edit_task(
    *, task: Task, changes: Mapping[str, Any], by: Actor, version: int | None = None
) -> Task:
    """Save the changed fields (any of EDITABLE_FIELDS); a task moved to another list goes last
    there. Raises Task.DoesNotExist if the task was deleted meanwhile: it is never re-inserted.
    With ``version`` (the one the edit form was opened at), raises EditConflict, and saves
    nothing, if the task has been written since. ValidationError(code="not_assignable"), and
    nothing saved, if its assignee may not hold the list's tasks (any more). The history entry,
    in the list the task ends up in, keeps each field's old and new value."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    # Where the task is stored: a ModelForm has already set the given instance's fields.
    source_id = Task.objects.filter(pk=task.pk).values_list("list_id", flat=True).first()
    if source_id is None:
        raise Task.DoesNotExist
    target: TaskList | None = changes.get("list")
    moved = target is not None and target.pk != source_id
    locked = _locked_task(task.pk, source_id, also=target.pk if target is not None else None)
    if version is not None and locked.version != version:
        raise EditConflict(locked)
    before = {field: getattr(locked, field) for field in changes}
    for field, value in changes.items():
        setattr(locked, field, value)
    if "assignee" in changes or moved:
        _check_assignable(locked)
    locked.version += 1
    saved = [*changes, "updated_at", "version"]
    if moved:
        locked.position = _next_position(locked.list_id)
        saved.append("position")
    locked.save(update_fields=saved)
    if locked.list_id != source_id:
        open_by, done_by = (0, 1) if locked.done else (1, 0)
        _changed(source_id, open_by=-open_by, done_by=-done_by)
        _changed(locked.list_id, open_by=open_by, done_by=done_by, placed=1)
    else:
        _changed(locked.list_id)
    changed = {field: (before[field], value) for field, value in changes.items()}
    _record(locked.list_id, by, Verb.EDIT, task=locked, changes=changed)
    return locked


@transaction.atomic
def delete_task(*, task: Task, by: Actor) -> None:
    """Delete the task; one already gone is not an error (and leaves no entry)."""
    try:
        gone = _locked_task(task.pk, task.list_id)
    except Task.DoesNotExist:
        return
    gone.delete()
    _changed(gone.list_id, open_by=0 if gone.done else -1, done_by=-1 if gone.done else 0)
    _record(gone.list_id, by, Verb.DELETE, task=gone)


@transaction.atomic
def toggle_all(*, task_list: TaskList, by: Actor) -> None:
    """Complete every open task; when none is open, reopen them all (as TodoMVC does)."""
    TaskList.objects.locked(task_list.pk)
    tasks = Task.objects.in_list(task_list)
    completed = _complete_open(tasks, by)
    if completed:
        _record(task_list, by, Verb.COMPLETE_ALL, subject=_tasks_phrase(completed))
    else:
        _record(task_list, by, Verb.REOPEN_ALL, subject=_tasks_phrase(tasks.mark_open()))
    _recount(task_list.pk)


@transaction.atomic
def clear_completed(*, task_list: TaskList, by: Actor) -> int:
    """Delete the list's done tasks; returns how many."""
    TaskList.objects.locked(task_list.pk)
    deleted, _per_model = Task.objects.in_list(task_list).completed().delete()
    _recount(task_list.pk)
    _record(task_list, by, Verb.CLEAR, subject=_tasks_phrase(deleted))
    return deleted


def _list_by_list(
    tasks: QuerySet[Task], by: Actor, verb: Verb, write: Callable[[TaskQuerySet], int]
) -> int:
    """``write`` the tasks (any lists') one list at a time in id order, each in a transaction
    of its own under that list's lock, as toggle_all is; then recount the list and record one
    entry. Returns how many tasks were written."""
    written = 0
    for list_id in sorted(set(tasks.values_list("list_id", flat=True))):
        with transaction.atomic():
            if not TaskList.objects.filter(pk=list_id).lock_in_order():
                continue  # deleted meanwhile, with its tasks
            count = write(Task.objects.filter(pk__in=tasks.filter(list_id=list_id).values("pk")))
            _recount(list_id)
            _record(list_id, by, verb, subject=_tasks_phrase(count))
            written += count
    return written


def set_done(*, tasks: QuerySet[Task], done: bool, by: Actor) -> int:
    """Mark any tasks (the admin's bulk actions) done or open. Returns how many changed."""
    if done:
        return _list_by_list(tasks, by, Verb.COMPLETE_ALL, lambda some: _complete_open(some, by))
    return _list_by_list(tasks, by, Verb.REOPEN_ALL, TaskQuerySet.mark_open)


def delete_tasks(*, tasks: QuerySet[Task], by: Actor) -> int:
    """Delete any tasks (the admin's bulk delete). Returns how many."""
    return _list_by_list(tasks, by, Verb.DELETE, _delete)


def _delete(tasks: TaskQuerySet) -> int:
    deleted, _per_model = tasks.delete()
    return deleted


@transaction.atomic
def save_task(*, task: Task, was_in: int | None) -> Task:
    """Save a task the admin built or changed, any of its fields, as a whole: under the locks of
    the list it was in (``was_in``, None for a new task) and the one it is in now, then recount
    both. Task.DoesNotExist if it was deleted, or moved out of ``was_in``, meanwhile."""
    if was_in is None:
        TaskList.objects.filter(pk=task.list_id).lock_in_order()
    else:
        stored = _locked_task(task.pk, was_in, also=task.list_id)
        task.version = stored.version + 1
    task.save()
    for list_id in sorted({task.list_id, was_in or task.list_id}):
        _recount(list_id)
    return task


def recount_lists(*, list_ids: Iterable[int]) -> None:
    """Set the lists' counters from their tasks, each under its lock, after tasks were made
    directly (test data)."""
    for list_id in sorted(set(list_ids)):
        with transaction.atomic():
            if TaskList.objects.filter(pk=list_id).lock_in_order():
                _recount(list_id)


def purge_completed(*, before: dt.datetime) -> int:
    """Delete tasks completed before the moment, one list at a time under its lock."""
    return _list_by_list(Task.objects.completed_before(before), None, Verb.PURGE, _delete)


class ImportedList(NamedTuple):
    """A list to import: its name, built tasks, the members to add (where those users exist)
    and each task's assignee's username ("" for none) and reminders (username, when), in the
    order of ``tasks``."""

    name: str
    tasks: list[Task]
    members: Sequence[tuple[str, Role]] = ()
    assignees: Sequence[str] = ()
    reminders: Sequence[Sequence[tuple[str, dt.datetime]]] = ()


@transaction.atomic
def import_lists(*, owner: AbstractBaseUser, lists: Iterable[ImportedList]) -> int:
    """Add built tasks to the owner's lists of the given names (created when missing), all or
    nothing. Every list it appends to is locked first, in id order, as delete_list locks them.
    Members who exist and are not in the list yet join it; an assignee is kept only if they
    exist and may hold the list's tasks once the members are in."""
    targets = []
    for imported in lists:
        task_list, created = TaskList.objects.get_or_create(owner_id=owner.pk, name=imported.name)
        if created:
            _record(task_list, owner, Verb.CREATE_LIST, subject=imported.name)
        targets.append((task_list, imported))
    TaskList.objects.filter(pk__in={task_list.pk for task_list, _ in targets}).lock_in_order()
    imported_count = 0
    for task_list, imported in targets:
        for username, role in imported.members:
            # A user who does not exist, the owner, or a member already: nothing to add.
            with contextlib.suppress(ValidationError):
                share_list(task_list=task_list, username=username, role=role, by=owner)
        if any(imported.assignees):
            assignable = dict(
                assignable_users(task_list).values_list(get_user_model().USERNAME_FIELD, "pk")
            )
            for task, username in zip(imported.tasks, imported.assignees, strict=True):
                task.assignee_id = assignable.get(username)
        imported_count += add_tasks(task_list=task_list, tasks=imported.tasks, by=owner)
        if any(imported.reminders):
            _import_reminders(task_list, imported)
    return imported_count


def _import_reminders(task_list: TaskList, imported: ImportedList) -> None:
    """The imported tasks' reminders, for those of their users who exist and see the list."""
    # bulk_create gives no ids on MySQL; add_tasks gave each task a position of its own.
    ids = dict(
        Task.objects.in_list(task_list)
        .filter(position__in=[task.position for task in imported.tasks])
        .values_list("position", "pk")
    )
    users = dict(
        get_user_model()
        .objects.filter(Q(pk=task_list.owner_id) | Q(memberships__task_list=task_list))
        .values_list(get_user_model().USERNAME_FIELD, "pk")
    )
    add_reminders(
        reminders=[
            (ids[task.position], users[username], at)
            for task, reminders in zip(imported.tasks, imported.reminders, strict=True)
            for username, at in reminders
            if username in users
        ]
    )


# What a reminder set or moved on is: due to be sent, whatever became of it before.
PENDING_AGAIN = {
    "state": ReminderState.PENDING,
    "sent_at": None,
    "attempts": 0,
    "last_error": "",
    **RELEASED,
}


@transaction.atomic
def set_reminder(*, task: Task, user: AbstractBaseUser, at: dt.datetime | None) -> Reminder | None:
    """Set the user's own reminder of the task to ``at`` (due to be sent, even if an earlier one
    was), or remove it with None. Under the task's locks, list then task, then the reminder's
    row: a completion moving the task's reminders on never interleaves. A worker holding the
    reminder lets it go (its claim is cleared), so the new time stands."""
    locked = _locked_task(task.pk, task.list_id)
    if at is None:
        Reminder.objects.filter(task=locked, user_id=user.pk).delete()
        return None
    reminder, _created = Reminder.objects.update_or_create(
        task=locked, user_id=user.pk, defaults={"remind_at": at, **PENDING_AGAIN}
    )
    return reminder


@transaction.atomic
def add_reminders(*, reminders: Sequence[tuple[int, int, dt.datetime]]) -> None:
    """Reminders in bulk (import, demo data): (task id, user id, when) each, for users who see
    the task's list (the caller checked), skipping those a user already has for that task.
    Under the locks of the tasks' lists (list rows, then the new reminder rows)."""
    tasks = {task_id for task_id, _user, _at in reminders}
    lists = Task.objects.filter(pk__in=tasks).values_list("list_id", flat=True).distinct()
    TaskList.objects.filter(pk__in=list(lists)).lock_in_order()
    Reminder.objects.bulk_create(
        [Reminder(task_id=task, user_id=user, remind_at=at) for task, user, at in reminders],
        ignore_conflicts=True,
    )


# --- sharing --------------------------------------------------------------------------------------


def _user_named(username: str) -> AbstractBaseUser:
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist as exc:
        raise ValidationError(NO_SUCH_USER, code="no_user", params={"username": username}) from exc


def _membership(task_list: TaskList, member: AbstractBaseUser) -> Membership:
    try:
        return Membership.objects.select_for_update().get(task_list=task_list, user_id=member.pk)
    except Membership.DoesNotExist as exc:
        raise ValidationError(
            NOT_A_MEMBER, code="not_member", params={"username": member.get_username()}
        ) from exc


@transaction.atomic
def share_list(*, task_list: TaskList, username: str, role: Role, by: Actor) -> Membership:
    """Make the user of that name a member. ValidationError: no such user (code "no_user"), the
    owner ("owner"), or a member already ("already_member")."""
    locked = TaskList.objects.locked(task_list.pk)
    member = _user_named(username)
    params = {"username": member.get_username()}
    if member.pk == locked.owner_id:
        raise ValidationError(ALREADY_OWNER, code="owner", params=params)
    membership, created = Membership.objects.get_or_create(
        task_list=locked, user_id=member.pk, defaults={"role": role}
    )
    if not created:
        raise ValidationError(ALREADY_MEMBER, code="already_member", params=params)
    _record(locked, by, Verb.SHARE, subject=member.get_username(), changes={"role": (None, role)})
    return membership


def _unassign(task_list: TaskList, member: AbstractBaseUser) -> None:
    """Only the owner and editors may hold a task of the list (models.assignable_users).

    The tasks are found first, then written by id. An UPDATE filtered on the assignee may walk
    the assignee's index and lock its entries for other lists' tasks too, each before the task's
    row, the opposite of an edit of such a task (row, then entry): a deadlock. Under the list's
    lock, which the caller holds, the read sees the list's tasks as they stand."""
    held = Task.objects.in_list(task_list).filter(assignee_id=member.pk)
    ids = list(held.values_list("pk", flat=True))
    if ids and Task.objects.filter(pk__in=ids).unassign():
        _changed(task_list.pk)


@transaction.atomic
def set_role(*, task_list: TaskList, member: AbstractBaseUser, role: Role, by: Actor) -> Membership:
    """A viewer loses the list's tasks assigned to them."""
    TaskList.objects.locked(task_list.pk)
    membership = _membership(task_list, member)
    old_role, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    if role == Role.VIEWER:
        _unassign(task_list, member)
    changes = {"role": (old_role, role)}
    _record(task_list, by, Verb.ROLE, subject=member.get_username(), changes=changes)
    return membership


def _take_off(task_list: TaskList, member: AbstractBaseUser, by: Actor, verb: Verb) -> None:
    TaskList.objects.locked(task_list.pk)
    _membership(task_list, member).delete()
    _unassign(task_list, member)
    _record(task_list, by, verb, subject=member.get_username())


@transaction.atomic
def remove_member(*, task_list: TaskList, member: AbstractBaseUser, by: Actor) -> None:
    """The owner takes a member off the list (ValidationError "not_member" if they are not);
    the list's tasks assigned to them become unassigned."""
    _take_off(task_list, member, by, Verb.REMOVE)


@transaction.atomic
def leave_list(*, task_list: TaskList, member: AbstractBaseUser) -> None:
    """A member takes themselves off the list, as remove_member does."""
    _take_off(task_list, member, member, Verb.LEAVE)


@transaction.atomic
def transfer_list(*, task_list: TaskList, to: AbstractBaseUser, by: Actor) -> TaskList:
    """Make a member the owner; the old owner stays on as an editor. If the new owner has a list
    of that name already (every account has an Inbox), the list is renamed "Name (old owner)".
    ValidationError if ``to`` is not a member ("not_member"), or if that name is taken too
    ("duplicate")."""
    locked = TaskList.objects.locked(task_list.pk)
    _membership(locked, to).delete()
    previous_owner, old_name = locked.owner, locked.name
    locked.owner_id = to.pk
    try:
        _save_list_name(locked)
    except ValidationError:
        suffix = f" ({previous_owner.get_username()})"
        max_length = TaskList._meta.get_field("name").max_length or 100
        locked.name = locked.name[: max_length - len(suffix)] + suffix
        _save_list_name(locked, NEW_OWNER_HAS_NAME, username=to.get_username())
    Membership.objects.create(task_list=locked, user_id=previous_owner.pk, role=Role.EDITOR)
    changes: dict[str, tuple[Any, Any]] = {"owner": (previous_owner, to)}
    if locked.name != old_name:
        changes["name"] = (old_name, locked.name)
    _record(locked, by, Verb.TRANSFER, subject=to.get_username(), changes=changes)
    return locked


# --- people ---------------------------------------------------------------------------------------


def lists_assigning(user_id: int) -> list[int]:
    """The lists with tasks assigned to the user, whose rows show the user's name."""
    assigned = Task.objects.filter(assignee_id=user_id).order_by()
    return sorted(set(assigned.values_list("list_id", flat=True)))


def lock_lists_for_deleting(*, user: AbstractBaseUser) -> None:
    """In the transaction that deletes the user (accounts.services.delete_account), before the
    delete: lock, in id order, every list whose rows the cascade writes. Those are the user's own
    lists (deleted, their tasks first), those they are a member of, and those with tasks
    assigned to or made by them (set to nobody). Their ids are read first, without locks."""
    tasks = Task.objects.filter(Q(assignee_id=user.pk) | Q(created_by_id=user.pk)).order_by()
    ids = set(tasks.values_list("list_id", flat=True))
    ids |= set(TaskList.objects.filter(owner_id=user.pk).values_list("pk", flat=True))
    ids |= set(Membership.objects.filter(user_id=user.pk).values_list("task_list_id", flat=True))
    TaskList.objects.filter(pk__in=ids).lock_in_order()


def names_changed(*, list_ids: Iterable[int]) -> None:
    """A name the lists' rows show has changed (an assignee renamed, or deleted and so
    unassigned): move their versions on. Run after the change commits, so no page can be kept
    under the new versions with the old names. The ids are read first, without locks, then the
    lists are updated by id: lists before tasks, as every write here locks them."""
    TaskList.objects.filter(pk__in=list(list_ids)).update(version=NEXT_VERSION)
