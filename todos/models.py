from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from todo_site.database import COLLATION

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

DEFAULT_LIST_NAME = "Inbox"

M = TypeVar("M", bound=models.Model)


class LockingQuerySet(models.QuerySet[M]):
    def locked(self, pk: int) -> M:
        """The row, locked (SELECT ... FOR UPDATE) until the transaction ends; DoesNotExist if it
        is gone. The one way rows are locked: todos.services decides which and in what order."""
        return self.select_for_update().get(pk=pk)

    def lock_in_order(self) -> list[int]:
        """Lock every row of the QuerySet, in id order; returns their ids."""
        return list(self.order_by("pk").select_for_update().values_list("pk", flat=True))


class TaskListQuerySet(LockingQuerySet["TaskList"]):
    def for_user(self, user: AnyUser) -> TaskListQuerySet:
        return self.filter(owner_id=user.pk)


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

    def get_absolute_url(self) -> str:
        return reverse("todos:list", kwargs={"list_id": self.pk})

    @property
    def counts(self) -> dict[str, int]:
        return {"open": self.open_count, "done": self.done_count}


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class TaskState(models.TextChoices):
    """The tasks page's filter (?filter=...): every task, the open ones, or the done ones."""

    ALL = "all", _("All")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")


# The fields a task row shows: the tasks page loads only these (.only()) and the row cache keys on
# them, so a row is re-rendered exactly when one of them changes.
ROW_FIELDS = ("id", "list_id", "title", "done", "priority", "due_date", "position")


class TaskQuerySet(LockingQuerySet["Task"]):
    def for_user(self, user: AnyUser) -> TaskQuerySet:
        return self.filter(list__owner_id=user.pk)

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

    def overdue(self, today: dt.date) -> TaskQuerySet:
        return self.open().filter(due_date__lt=today)

    def completed_before(self, moment: dt.datetime) -> TaskQuerySet:
        return self.completed().filter(completed_at__lt=moment)

    def counts(self) -> dict[str, int]:
        """Open and done counts in one aggregate query (what TaskList's counters must equal)."""
        result = self.aggregate(
            open=Count("id", filter=Q(done=False)),
            done=Count("id", filter=Q(done=True)),
        )
        return {"open": result["open"], "done": result["done"]}

    def mark_done(self) -> int:
        return self.open().update(done=True, completed_at=timezone.now(), updated_at=timezone.now())

    def mark_open(self) -> int:
        return self.completed().update(done=False, completed_at=None, updated_at=timezone.now())

    def next_position(self) -> int:
        highest = self.aggregate(highest=Max("position"))["highest"]
        return 0 if highest is None else highest + 1


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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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
        ]
        indexes = [
            # The tasks page: one list's tasks in display order ("All").
            models.Index(fields=["list", "position"], name="task_list_position_idx"),
            # The "Active"/"Completed" filters and the open/done counters.
            models.Index(fields=["list", "done", "position"], name="task_list_done_position_idx"),
            # purge_completed: done tasks completed before a cut-off.
            models.Index(fields=["done", "completed_at"], name="task_done_completed_at_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("todos:edit", kwargs={"task_id": self.pk})

    def set_done(self, done: bool) -> None:
        self.done = done
        self.completed_at = timezone.now() if done else None
