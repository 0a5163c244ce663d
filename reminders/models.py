"""What the worker (reminders.worker) sends: a task's reminder to one user, and a user's daily
digest. Each row is its own queue entry: the worker claims due rows with SELECT … FOR UPDATE
SKIP LOCKED and a lease (``claim``/``claimed_until``), so two workers never send one row at the
same time, and a worker that dies mid-send leaves the row to be claimed again once its lease
runs out."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

M = TypeVar("M", bound=models.Model)

# What a worker's claim on a row is, when the row is let go.
RELEASED = {"claim": "", "claimed_until": None}


class ClaimQuerySet(models.QuerySet[M]):
    def unclaimed(self, now: dt.datetime) -> ClaimQuerySet[M]:
        """Rows no worker holds: never claimed, or their lease ran out (the worker died)."""
        return self.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))

    def held_by(self, claim: str) -> ClaimQuerySet[M]:
        """The rows a worker's claim still holds: one its user changed meanwhile was released
        (``claim`` emptied), and the worker's writes then leave it alone."""
        return self.filter(claim=claim)


class Claimed(models.Model):
    """A row a worker may claim for a while, to send it."""

    # The claiming worker's random token; "" when no worker holds the row.
    claim = models.CharField(_("claim"), max_length=32, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True


class ReminderState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    # Due longer ago than REMINDER_MISSED_AFTER when a worker got to it (the worker was down).
    MISSED = "missed", _("missed")
    # Not sent: by then the task was done, or the user could no longer see its list.
    SKIPPED = "skipped", _("skipped")


class ReminderQuerySet(ClaimQuerySet["Reminder"]):
    def pending(self) -> ReminderQuerySet:
        return self.filter(state=ReminderState.PENDING)

    def due_by(self, now: dt.datetime) -> ReminderQuerySet:
        return self.pending().filter(remind_at__lte=now)


class Reminder(Claimed):
    """One user's reminder of one task, at a moment they chose in their time zone (stored in
    UTC). A repeating task's reminders move on with its due date (todos.services)."""

    task = models.ForeignKey(
        "todos.Task", on_delete=models.CASCADE, related_name="reminders", verbose_name=_("task")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("user"),
    )
    remind_at = models.DateTimeField(_("remind at"))
    state = models.CharField(
        _("state"), max_length=8, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["remind_at", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="reminder_one_per_task_and_user"),
            models.CheckConstraint(
                condition=Q(state__in=ReminderState.values), name="reminder_state_valid"
            ),
        ]
        indexes = [
            # The worker's claim: pending reminders due by now, oldest first; and the sweep that
            # marks those due before the cut-off missed.
            models.Index(fields=["state", "remind_at"], name="reminder_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task} for {self.user} at {self.remind_at:%Y-%m-%d %H:%M} UTC"


class DigestQuerySet(ClaimQuerySet["Digest"]):
    def due_by(self, now: dt.datetime) -> DigestQuerySet:
        return self.filter(next_at__lte=now)


class Digest(Claimed):
    """A user's daily digest mail of what is due and overdue, at an hour of their day; no row
    means no digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest",
        verbose_name=_("user"),
    )
    hour = models.PositiveSmallIntegerField(_("hour"), help_text=_("0-23, in the user's zone."))
    # The next time it is due, in UTC (reminders.services.next_digest_at).
    next_at = models.DateTimeField(_("next at"))
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["next_at", "id"]
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="digest_hour_of_day"),
        ]
        indexes = [
            # The worker's claim: digests due by now.
            models.Index(fields=["next_at"], name="digest_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.hour:02d}:00"
