"""What one worker does in a round (manage.py run_worker runs rounds in a loop): mark what is too
late missed, then claim and send due reminders and digests.

Delivery is at least once. A claim is a lease: the rows are taken with SELECT … FOR UPDATE SKIP
LOCKED (a second worker takes other rows, never waits) and stamped with a random token and a
time limit in one short transaction; each message is then sent and its row marked, by that token,
in a transaction of its own. A worker that dies between sending a message and marking its row
leaves that one row to be sent again once the lease ends (WORKER_LEASE); nothing claimed is lost.
A row its user changed meanwhile (a new time, a new digest hour) is released, so the worker's
marks, which match the token, leave the change alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import zoneinfo
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.mail import SEND_ERRORS
from accounts.models import time_zone_of
from todos.models import OWNER, Membership, Task

from . import mail
from .models import RELEASED, Claimed, ClaimQuerySet, Digest, Reminder, ReminderState
from .services import next_digest_at

logger = logging.getLogger(__name__)

# The most tasks one digest lists; it says how many more there are.
DIGEST_MAX_TASKS = 50
# After a failed send, a row waits this long per failed attempt so far (at most an hour).
RETRY_DELAY = dt.timedelta(minutes=1)

C = TypeVar("C", bound=Claimed)


@dataclass
class Round:
    sent: int = 0
    missed: int = 0
    skipped: int = 0
    failed: int = 0
    claimed: int = 0

    def __add__(self, other: Round) -> Round:
        return Round(
            self.sent + other.sent,
            self.missed + other.missed,
            self.skipped + other.skipped,
            self.failed + other.failed,
            self.claimed + other.claimed,
        )


def run_round(*, batch: int = 50, now: dt.datetime | None = None) -> Round:
    """One round: returns what it did; ``claimed`` is 0 when nothing was due."""
    now = now or timezone.now()
    done = Round(missed=mark_missed(now))
    return done + deliver_reminders(now, batch) + deliver_digests(now, batch)


def mark_missed(now: dt.datetime) -> int:
    """Reminders due before the cut-off that no worker holds are marked missed; digests due
    before it move on to their next day unsent. Returns how many of either."""
    cutoff = now - settings.REMINDER_MISSED_AFTER
    missed = (
        Reminder.objects.pending()
        .filter(remind_at__lt=cutoff)
        .unclaimed(now)
        .update(state=ReminderState.MISSED, **RELEASED)
    )
    late = Digest.objects.filter(next_at__lt=cutoff).unclaimed(now)
    for digest in late.select_related("user__preferences"):
        following = next_digest_at(hour=digest.hour, zone=time_zone_of(digest.user), after=now)
        # Unless a worker or the user moved it meanwhile.
        missed += (
            Digest.objects.filter(pk=digest.pk, next_at=digest.next_at)
            .unclaimed(now)
            .update(next_at=following)
        )
    if missed:
        logger.warning("%d reminder(s) or digest(s) were too late to send: marked missed", missed)
    return missed


def _claim(rows: ClaimQuerySet[C], batch: int, now: dt.datetime) -> tuple[str, list[int]]:
    """Claims up to ``batch`` of ``rows`` (due ones, in the order they are due) that no worker
    holds; returns the claim's token and the rows' ids."""
    token = secrets.token_hex(16)
    with transaction.atomic():
        ids = list(
            rows.unclaimed(now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            rows.model._default_manager.filter(pk__in=ids).update(
                claim=token, claimed_until=now + settings.WORKER_LEASE
            )
    return token, ids


def _failed(row: Claimed, token: str, exc: Exception, now: dt.datetime) -> None:
    """Let the row go, to be tried again after a while."""
    logger.error("Could not send %s (attempt %d): %r", row, row.attempts + 1, exc)
    delay = min(RETRY_DELAY * (row.attempts + 1), dt.timedelta(hours=1))
    type(row)._default_manager.filter(pk=row.pk, claim=token).update(
        claim="",
        claimed_until=now + delay,
        attempts=F("attempts") + 1,
        last_error=repr(exc),
    )


def _roles(reminders: list[Reminder]) -> dict[tuple[int, int], str]:
    """Each reminder's user's role in its task's list, now: owner, editor, viewer, or missing."""
    roles = {
        (reminder.task.list_id, reminder.user_id): OWNER
        for reminder in reminders
        if reminder.task.list.owner_id == reminder.user_id
    }
    members = Membership.objects.filter(
        task_list_id__in={reminder.task.list_id for reminder in reminders},
        user_id__in={reminder.user_id for reminder in reminders},
    ).values_list("task_list_id", "user_id", "role")
    for list_id, user_id, role in members:
        roles.setdefault((list_id, user_id), role)
    return roles


def deliver_reminders(now: dt.datetime, batch: int) -> Round:
    """Send due reminders: to a user who can still see the task's list, of a task still open.
    The others are skipped."""
    token, ids = _claim(Reminder.objects.due_by(now).order_by("remind_at", "pk"), batch, now)
    if not ids:
        return Round()
    reminders = list(
        Reminder.objects.filter(pk__in=ids)
        .held_by(token)
        .select_related("task__list", "user__preferences")
    )
    done = Round(claimed=len(ids))
    roles = _roles(reminders)
    outbox = mail.Outbox()
    try:
        for reminder in reminders:
            role = roles.get((reminder.task.list_id, reminder.user_id))
            if role is None or reminder.task.done or not reminder.user.email:
                _finish_reminder(reminder, token, ReminderState.SKIPPED)
                done.skipped += 1
                continue
            today = now.astimezone(zoneinfo.ZoneInfo(time_zone_of(reminder.user))).date()
            try:
                outbox.send(mail.reminder_message(reminder, role, today=today))
            except SEND_ERRORS as exc:
                _failed(reminder, token, exc, now)
                done.failed += 1
            else:
                _finish_reminder(reminder, token, ReminderState.SENT)
                done.sent += 1
    finally:
        outbox.close()
    return done


def _finish_reminder(reminder: Reminder, token: str, state: ReminderState) -> None:
    sent_at = timezone.now() if state == ReminderState.SENT else None
    Reminder.objects.filter(pk=reminder.pk).held_by(token).update(
        state=state, sent_at=sent_at, **RELEASED
    )


def deliver_digests(now: dt.datetime, batch: int) -> Round:
    """Send due digests, each listing the open tasks due on its day or overdue, in every list
    its user sees; a day with nothing due sends nothing. Each digest then moves on to its next
    day."""
    token, ids = _claim(Digest.objects.due_by(now).order_by("next_at", "pk"), batch, now)
    if not ids:
        return Round()
    digests = Digest.objects.filter(pk__in=ids).held_by(token).select_related("user__preferences")
    done = Round(claimed=len(ids))
    outbox = mail.Outbox()
    try:
        for digest in digests:
            zone = time_zone_of(digest.user)
            day = digest.next_at.astimezone(zoneinfo.ZoneInfo(zone)).date()
            tasks = list(
                Task.objects.visible_to(digest.user)
                .due_by(day)
                .select_related("list")[: DIGEST_MAX_TASKS + 1]
            )
            sent_at = None
            if tasks and digest.user.email:
                more = 0
                if len(tasks) > DIGEST_MAX_TASKS:
                    more = Task.objects.visible_to(digest.user).due_by(day).count()
                    more -= DIGEST_MAX_TASKS
                shown = tasks[:DIGEST_MAX_TASKS]
                message = mail.digest_message(digest.user.email, shown, today=day, more=more)
                try:
                    outbox.send(message)
                except SEND_ERRORS as exc:
                    _failed(digest, token, exc, now)
                    done.failed += 1
                    continue
                sent_at = timezone.now()
                done.sent += 1
            else:
                done.skipped += 1
            following = next_digest_at(hour=digest.hour, zone=zone, after=max(now, digest.next_at))
            Digest.objects.filter(pk=digest.pk).held_by(token).update(
                next_at=following, last_sent_at=sent_at or F("last_sent_at"), **RELEASED
            )
    finally:
        outbox.close()
    return done
