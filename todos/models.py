from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from todo_site.database import COLLATION

from . import repeat

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

DEFAULT_LIST_NAME = "Inbox"

M = TypeVar("M", bound=models.Model)


def partial_user(db: str, pk: int | None, username: str | None) -> Any:
    """The user of that id and username, nothing else of them loaded (the rest loads if read),
    or None for no id: how a query written out in SQL hands over a user it joined by name."""
    if pk is None:
        return None
    user_model = get_user_model()
    return user_model.from_db(db, ["id", user_model.USERNAME_FIELD], [pk, username])


class LockingQuerySet(models.QuerySet[M]):
    def locked(self, pk: int) -> M:
        """The row, locked (SELECT ... FOR UPDATE) until the transaction ends; DoesNotExist if it
        is gone. The one way rows are locked: todos.services decides which and in what order."""
        return self.select_for_update().get(pk=pk)

    def lock_in_order(self) -> list[int]:
        """Lock every row of the QuerySet, in id order; returns their ids."""
        return list(self.order_by("pk").select_for_update().values_list("pk", flat=True))


class Role(models.TextChoices):
    """What a member may do in a list that someone else owns. The owner is TaskList.owner, never
    a member; OWNER is only the role the lists query reports for them."""

    VIEWER = "viewer", _("Can view")
    EDITOR = "editor", _("Can edit")


OWNER = "owner"
# The roles that may change a list's tasks (add, edit, complete, delete, clear).
EDITING_ROLES = (OWNER, Role.EDITOR.value)


def role_label(role: str | None) -> str:
    """How a role reads on a page: "Owner", "Can edit", "Can view"."""
    if role is None:
        return ""
    return str(_("Owner") if role == OWNER else Role(role).label)


# TaskList's fields that only todos.services writes (see TaskList.save).
KEPT_BY_SERVICES = ("open_count", "done_count", "version", "next_position")


class TaskListQuerySet(LockingQuerySet["TaskList"]):
    def owned_by(self, user: AnyUser) -> TaskListQuerySet:
        return self.filter(owner_id=user.pk)

    def visible_to(self, user: AnyUser) -> TaskListQuerySet:
        """The lists the user owns or is a member of, each annotated with ``role`` (OWNER or a
        Role value) and its owner loaded: one query with one outer join, whatever the number of
        members (the join is on the user's own membership row only)."""
        return (
            self.annotate(
                my_membership=FilteredRelation(
                    "memberships", condition=Q(memberships__user_id=user.pk)
                )
            )
            .filter(Q(owner_id=user.pk) | Q(my_membership__isnull=False))
            .annotate(
                role=Case(
                    When(owner_id=user.pk, then=Value(OWNER)),
                    default=F("my_membership__role"),
                    output_field=models.CharField(),
                )
            )
            .select_related("owner")
        )

    def editable_by(self, user: AnyUser) -> TaskListQuerySet:
        return self.visible_to(user).filter(Q(role__in=EDITING_ROLES))

    def one_visible_to(self, user: AnyUser, list_id: int) -> TaskList | None:
        """``visible_to(user).filter(pk=list_id).first()``, with the owner's id and username
        loaded (the rest of the owner loads if read): one query.

        The API asks it on every call about a list, so its SQL is written out: the ORM spends
        ~1.3 ms building visible_to()'s query each time, ten times what the database spends
        answering it. tests/test_models.py holds it to visible_to()'s answers."""
        user_model = get_user_model()
        sql = (
            "SELECT l.*, CASE WHEN l.owner_id = %s THEN %s ELSE m.role END AS role, "  # noqa: S608 - our tables
            f"o.{user_model.USERNAME_FIELD} AS owner_username "
            f"FROM {TaskList._meta.db_table} l "
            f"JOIN {user_model._meta.db_table} o ON o.id = l.owner_id "
            f"LEFT JOIN {Membership._meta.db_table} m "
            "ON m.task_list_id = l.id AND m.user_id = %s "
            "WHERE l.id = %s AND (l.owner_id = %s OR m.id IS NOT NULL)"
        )
        for task_list in self.raw(sql, [user.pk, OWNER, user.pk, list_id, user.pk]):
            owner_username = task_list.owner_username  # type: ignore[attr-defined]
            task_list.owner = partial_user(self.db, task_list.owner_id, owner_username)
            return task_list
        return None


class TaskList(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="task_lists",
        verbose_name=_("owner"),
    )
    # Stated on the column too, so that a database created with another default still tells
    # apart lists named by different emoji (see todo_site.database).
    name = models.CharField(_("name"), max_length=100, db_collation=COLLATION)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # How many of its tasks are open and done, kept by todos.services in the transaction of every
    # write, so the tasks page reads them with the lists instead of counting on every view.
    open_count = models.PositiveIntegerField(_("open tasks"), default=0, editable=False)
    done_count = models.PositiveIntegerField(_("done tasks"), default=0, editable=False)
    # One more whenever what its tasks page shows of its tasks changes (todos.services, in the
    # transaction of the write), so a rendered page can be kept under it (todos.kept).
    version = models.PositiveBigIntegerField(_("version"), default=0, editable=False)
    # The position its next new task takes, more than any of its tasks' (todos.services, under
    # the list's lock), so an add reads it with the lock instead of asking for MAX(position).
    next_position = models.PositiveIntegerField(_("next position"), default=0, editable=False)

    objects = TaskListQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("task list")
        verbose_name_plural = _("task lists")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], name="tasklist_unique_name_per_owner"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="tasklist_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a loaded list never writes back its counters or version: only todos.services
        moves them, with UPDATEs relative to the row as it is, so a save cannot undo a write
        made since the list was loaded."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in KEPT_BY_SERVICES
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("todos:list", kwargs={"list_id": self.pk})

    @property
    def counts(self) -> dict[str, int]:
        return {"open": self.open_count, "done": self.done_count}

    @property
    def viewer_role(self) -> str | None:
        """The viewing user's role (OWNER or a Role value), annotated as ``role`` on the lists
        from visible_to()/editable_by(); None on a list loaded otherwise."""
        return getattr(self, "role", None)

    @property
    def is_owned(self) -> bool:
        return self.viewer_role == OWNER

    @property
    def can_edit(self) -> bool:
        return self.viewer_role in EDITING_ROLES

    @property
    def role_label(self) -> str:
        return role_label(self.viewer_role)


class Membership(models.Model):
    """Someone other than the owner who may see (viewer) or also change (editor) a list."""

    task_list = models.ForeignKey(
        TaskList, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("list")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=6, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["task_list", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # Also the index of visible_to()'s join (list, user) and of a list's members page.
            models.UniqueConstraint(
                fields=["task_list", "user"], name="membership_unique_user_per_list"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            # "The owner is not also a member" spans two tables, which a CHECK cannot see:
            # todos.services decides it under the list's row lock (share, transfer).
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.task_list}"


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class TaskState(models.TextChoices):
    """The tasks page's filter (?filter=...): every task, the open ones, or the done ones."""

    ALL = "all", _("All")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")


# The fields a task row shows, and its assignee's name: the tasks page loads only these, as
# tuples (TaskQuerySet.row_values()), and the row cache keys on them, so a row is re-rendered
# exactly when one changes.
ROW_FIELDS = (
    *("id", "list_id", "title", "done", "priority", "due_date", "position", "assignee_id"),
    *("repeat_rule", "repeat_from_completion"),
)
ROW_RELATED_FIELDS = ("assignee__username",)


def assignable_users(task_list: TaskList) -> models.QuerySet[Any]:
    """Who a task of the list may be assigned to: its owner and its editors. Not viewers, who
    could not complete it."""
    editors = Membership.objects.filter(task_list_id=task_list.pk, role=Role.EDITOR)
    return get_user_model().objects.filter(
        Q(pk=task_list.owner_id) | Q(pk__in=editors.values("user_id"))
    )


def _user_or_none(verbose_name: Any, **options: Any) -> models.ForeignKey[Any, Any]:
    """A reference to a user that outlives their account (set to NULL when it is deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=verbose_name,
        **options,
    )


# What every write of a task sets its version to (see Task.version).
NEXT_VERSION = F("version") + 1


class TaskQuerySet(LockingQuerySet["Task"]):
    def owned_by(self, user: AnyUser) -> TaskQuerySet:
        """Tasks in the user's own lists."""
        return self.filter(list__owner_id=user.pk)

    def visible_to(self, user: AnyUser) -> TaskQuerySet:
        """Tasks in lists the user owns or is a member of (a subquery, not a join, so a list's
        other members never repeat a task)."""
        return self._in_lists_of(user, Membership.objects.filter(Q(user_id=user.pk)))

    def editable_by(self, user: AnyUser) -> TaskQuerySet:
        return self._in_lists_of(
            user, Membership.objects.filter(Q(user_id=user.pk), role=Role.EDITOR)
        )

    def with_role(self, user: AnyUser) -> TaskQuerySet:
        """The tasks the user can see, each annotated with the user's ``role`` in its list (as
        TaskList.objects.visible_to does): one query, for the views that act on one task."""
        membership = Membership.objects.filter(Q(user_id=user.pk), task_list_id=OuterRef("list_id"))
        return self.annotate(
            role=Case(
                When(list__owner_id=user.pk, then=Value(OWNER)),
                default=Subquery(membership.values("role")[:1]),
                output_field=models.CharField(),
            )
        ).filter(role__isnull=False)

    def one_with_role(self, user: AnyUser, task_id: int) -> Task | None:
        """``with_role(user).select_related("assignee").filter(pk=task_id).first()``, with the
        assignee's id and username loaded (the rest of them loads if read): one query, written
        out for the API as TaskList.objects.one_visible_to() is, and held to with_role()'s
        answers by tests/test_models.py."""
        user_model = get_user_model()
        sql = (
            "SELECT t.*, CASE WHEN l.owner_id = %s THEN %s ELSE m.role END AS role, "  # noqa: S608 - our tables
            f"a.{user_model.USERNAME_FIELD} AS assignee_username "
            f"FROM {Task._meta.db_table} t "
            f"JOIN {TaskList._meta.db_table} l ON l.id = t.list_id "
            f"LEFT JOIN {Membership._meta.db_table} m "
            "ON m.task_list_id = t.list_id AND m.user_id = %s "
            f"LEFT JOIN {user_model._meta.db_table} a ON a.id = t.assignee_id "
            "WHERE t.id = %s AND (l.owner_id = %s OR m.id IS NOT NULL)"
        )
        for task in self.raw(sql, [user.pk, OWNER, user.pk, task_id, user.pk]):
            assignee_username = task.assignee_username  # type: ignore[attr-defined]
            task.assignee = partial_user(self.db, task.assignee_id, assignee_username)
            return task
        return None

    def _in_lists_of(self, user: AnyUser, memberships: models.QuerySet[Membership]) -> TaskQuerySet:
        return self.filter(
            Q(list__owner_id=user.pk) | Q(list_id__in=memberships.values("task_list_id"))
        )

    def in_list(self, task_list: TaskList) -> TaskQuerySet:
        return self.filter(list=task_list)

    def open(self) -> TaskQuerySet:
        return self.filter(done=False)

    def completed(self) -> TaskQuerySet:
        return self.filter(done=True)

    def in_state(self, state: TaskState) -> TaskQuerySet:
        if state == TaskState.ACTIVE:
            return self.open()
        if state == TaskState.COMPLETED:
            return self.completed()
        return self

    def search(self, text: str) -> TaskQuerySet:
        return self.filter(title__icontains=text) if text else self

    def repeating(self) -> TaskQuerySet:
        return self.exclude(repeat_rule="")

    def dated(self) -> TaskQuerySet:
        return self.filter(due_date__isnull=False)

    def due_before(self, day: dt.date) -> TaskQuerySet:
        return self.filter(due_date__lt=day)

    def due_after(self, day: dt.date) -> TaskQuerySet:
        return self.filter(due_date__gt=day)

    def overdue(self, today: dt.date) -> TaskQuerySet:
        return self.open().due_before(today)

    def in_lists(self, lists: Sequence[TaskList]) -> TaskQuerySet:
        """Tasks of lists already loaded (TaskList.objects.visible_to), by their ids: no join."""
        return self.filter(list_id__in=[task_list.pk for task_list in lists])

    def due_by(self, day: dt.date) -> TaskQuerySet:
        """Open tasks due on ``day`` or overdue by then (the Today page), oldest due first."""
        return self.open().filter(due_date__lte=day).order_by("due_date", "position", "id")

    def upcoming_after(self, day: dt.date) -> TaskQuerySet:
        """Open tasks due after ``day`` (the Upcoming page), soonest first."""
        return self.open().filter(due_date__gt=day).order_by("due_date", "position", "id")

    def completed_before(self, moment: dt.datetime) -> TaskQuerySet:
        return self.completed().filter(completed_at__lt=moment)

    def row_values(self) -> models.QuerySet[Task, tuple[Any, ...]]:
        """What each task's row shows (ROW_FIELDS, then the assignee's name), as tuples: a page
        whose rows are in the row cache builds no model instance at all, and Task.from_row()
        makes one for a row that must be rendered."""
        return self.values_list(*ROW_FIELDS, *ROW_RELATED_FIELDS)

    def rows_with_list_name(self) -> TaskQuerySet:
        """Only what a task row shows, and its list's name, for pages that mix lists."""
        fields = (*ROW_FIELDS, *ROW_RELATED_FIELDS, "list__name")
        return self.select_related("assignee", "list").only(*fields)

    def assigned_to(self, user: AnyUser) -> TaskQuerySet:
        """The user's open assignments, soonest due first (no date last), then by position."""
        return (
            self.open()
            .filter(assignee_id=user.pk)
            .order_by(F("due_date").asc(nulls_last=True), "position", "id")
        )

    def counts(self) -> dict[str, int]:
        """Open and done counts (what TaskList's counters must equal)."""
        tally = self.tally()
        return {"open": tally["open_count"], "done": tally["done_count"]}

    def tally(self) -> dict[str, int]:
        """What TaskList keeps of these tasks (its counters and next_position), in one aggregate
        query that the (list, done, position) index answers alone."""
        result = self.aggregate(
            open_count=Count("id", filter=Q(done=False)),
            done_count=Count("id", filter=Q(done=True)),
            highest=Max("position"),
        )
        highest = result.pop("highest")
        return {**result, "next_position": 0 if highest is None else highest + 1}

    def mark_done(self) -> int:
        """Mark the open tasks done as they are (a repeating one too: todos.services moves
        those on instead, see complete_open)."""
        return self.open().update(
            done=True, completed_at=timezone.now(), updated_at=timezone.now(), version=NEXT_VERSION
        )

    def mark_open(self) -> int:
        return self.completed().update(
            done=False, completed_at=None, updated_at=timezone.now(), version=NEXT_VERSION
        )

    def unassign(self) -> int:
        return self.update(assignee=None, updated_at=timezone.now(), version=NEXT_VERSION)


class Task(models.Model):
    list = models.ForeignKey(
        TaskList, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("list")
    )
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=6, choices=Priority.choices, default=Priority.NORMAL
    )
    done = models.BooleanField(_("done"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # An RFC 5545 RRULE value for the series from due_date on, "" for a task that does not repeat
    # (todos.repeat): completing it moves due_date on instead of marking it done.
    repeat_rule = models.CharField(
        _("repeat rule"),
        max_length=repeat.MAX_RULE_LENGTH,
        blank=True,
        validators=[repeat.validate_rule],
        help_text=_("An RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5."),
    )
    repeat_from_completion = models.BooleanField(
        _("repeat from the completion date"),
        default=False,
        help_text=_("Count the interval from the day it is completed, not from its due date."),
    )
    # Kept when its creator's account is deleted: the task belongs to the list, not to them.
    created_by = _user_or_none(_("created by"), related_name="created_tasks")
    # Someone who may change the list (see assignable_users); unassigned when they no longer may.
    assignee = _user_or_none(_("assignee"), related_name="assigned_tasks")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # One more on every write (todos.services): an edit form carries the version it was opened
    # at, and saving over a newer one is refused instead of silently undoing someone's change.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="task_title_not_empty"),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="task_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(done=True, completed_at__isnull=False)
                | Q(done=False, completed_at__isnull=True),
                name="task_completed_at_iff_done",
            ),
            # The series is counted from the due date (todos.repeat).
            models.CheckConstraint(
                condition=Q(repeat_rule="") | Q(due_date__isnull=False),
                name="task_repeat_needs_due_date",
                violation_error_message=_("Give a repeating task a due date."),
            ),
        ]
        indexes = [
            # The tasks page: one list's tasks in display order ("All").
            models.Index(fields=["list", "position"], name="task_list_position_idx"),
            # The "Active"/"Completed" filters and the open/done counters.
            models.Index(fields=["list", "done", "position"], name="task_list_done_position_idx"),
            # purge_completed: done tasks completed before a cut-off.
            models.Index(fields=["done", "completed_at"], name="task_done_completed_at_idx"),
            # Today, Upcoming and the header's Today count: the open tasks of the user's lists by
            # due date.
            models.Index(fields=["list", "done", "due_date"], name="task_list_done_due_idx"),
            # "Assigned to me": a user's open tasks by due date.
            models.Index(
                fields=["assignee", "done", "due_date"], name="task_assignee_done_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("todos:edit", kwargs={"task_id": self.pk})

    @property
    def viewer_role(self) -> str | None:
        """The viewing user's role in the task's list, annotated by with_role()."""
        return getattr(self, "role", None)

    @property
    def assignee_name(self) -> str:
        return self.assignee.get_username() if self.assignee else ""

    @property
    def repeat_text(self) -> str:
        """How its row says it repeats ("Repeats daily"), "" if it does not."""
        return repeat.describe(self.repeat_rule, from_completion=self.repeat_from_completion)

    def clean(self) -> None:
        if self.repeat_rule and self.repeat_from_completion:
            rule = repeat.Rule.parse(self.repeat_rule)
            if rule.weekdays or rule.last_day:
                raise ValidationError(repeat.FROM_DUE_ONLY, code="from_due_only")

    @classmethod
    def from_row(cls, values: Sequence[Any]) -> Task:
        """The task one of TaskQuerySet.row_values()'s tuples describes, enough to render its
        row."""
        *fields, assignee_name = values
        task = cls(**dict(zip(ROW_FIELDS, fields, strict=True)))
        if task.assignee_id is not None:
            task.assignee = get_user_model()(pk=task.assignee_id, username=assignee_name)
        return task

    def set_done(self, done: bool) -> None:
        self.done = done
        self.completed_at = timezone.now() if done else None


class Verb(models.TextChoices):
    """What an activity entry says happened; the label reads after the actor's name."""

    CREATE_LIST = "create_list", _("created the list")
    RENAME_LIST = "rename_list", _("renamed the list")
    ADD = "add", _("added")
    EDIT = "edit", _("edited")
    COMPLETE = "complete", _("completed")
    REOPEN = "reopen", _("reopened")
    DELETE = "delete", _("deleted")
    COMPLETE_ALL = "complete_all", _("completed")
    REOPEN_ALL = "reopen_all", _("reopened")
    CLEAR = "clear", _("cleared")
    IMPORT = "import", _("imported")
    PURGE = "purge", _("purged")
    SHARE = "share", _("shared the list with")
    ROLE = "role", _("changed the role of")
    REMOVE = "remove", _("removed from the list")
    LEAVE = "leave", _("left the list")
    TRANSFER = "transfer", _("gave the list to")


class Activity(models.Model):
    """One write to a list, appended by todos.services in the write's own transaction.

    Its foreign keys have no database constraint (Django still cascades and nulls them): an
    InnoDB constraint would make every entry's INSERT take a shared lock on the list's row while
    the write holds a task's, the reverse of the lock order (todos.services), and deadlock a
    toggle against a "Mark all as complete". So an entry locks nothing others wait for."""

    task_list = models.ForeignKey(
        TaskList,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="activity",
        verbose_name=_("list"),
    )
    # Who did it: kept (as "a deleted user") when their account goes.
    actor = _user_or_none(_("actor"), related_name="+", db_constraint=False)
    verb = models.CharField(_("verb"), max_length=12, choices=Verb.choices)
    # The task it was about, if any. Nothing done on delete: the entry outlives the task (its
    # title is in ``subject``), and deleting tasks stays one statement with no update here.
    task = models.ForeignKey(
        Task,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("task"),
    )
    # What it was about, as it was named then: a task's title, a member's username, a count.
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    # For edits and role changes: {field: [old, new]}.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        # Newest first. The list's foreign-key index (task_list_id, then the primary key, as
        # InnoDB keeps it) serves a list's activity page in this order.
        ordering = ["-id"]
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity")
        constraints = [
            models.CheckConstraint(condition=Q(verb__in=Verb.values), name="activity_verb_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_verb_display()} {self.subject}".strip()

    @property
    def actor_name(self) -> str:
        return self.actor.get_username() if self.actor else str(_("a deleted user"))
