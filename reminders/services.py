"""The writes of reminders and digests that are not a task's (todos.services sets a task's
reminder, under the task's locks): a user's digest schedule. A digest row is locked by itself
alone, so these lock nothing anyone else waits for in an order."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import time_zone_of

from .models import RELEASED, Digest


def next_digest_at(*, hour: int, zone: str, after: dt.datetime) -> dt.datetime:
    """The first moment after ``after`` when the clock in ``zone`` shows ``hour``:00 (where a
    change to summer time skips that hour, the moment the clock jumps to)."""
    tz = zoneinfo.ZoneInfo(zone)
    day = after.astimezone(tz).date()
    while True:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)
        if moment > after:
            return moment
        day += dt.timedelta(days=1)


def days_later(moment: dt.datetime, days: int, *, zone: str) -> dt.datetime:
    """The same time of day in ``zone``, ``days`` later (a change to or from summer time in
    between moves it by an hour in UTC, not on the clock)."""
    tz = zoneinfo.ZoneInfo(zone)
    local = moment.astimezone(tz)
    later = dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time(), tzinfo=tz)
    return later.astimezone(dt.UTC)


@transaction.atomic
def set_digest(*, user: User, hour: int | None) -> Digest | None:
    """Turn the user's daily digest on at ``hour`` (0-23, their time), or off with None. A
    worker holding their digest lets it go: the new schedule stands."""
    if hour is None:
        Digest.objects.filter(user=user).delete()
        return None
    next_at = next_digest_at(hour=hour, zone=time_zone_of(user), after=timezone.now())
    digest, _created = Digest.objects.update_or_create(
        user=user, defaults={"hour": hour, "next_at": next_at, **RELEASED}
    )
    return digest


def reschedule_digest(*, user: User) -> None:
    """After the user's time zone changed: their digest comes at the same hour of their new day."""
    digest = Digest.objects.filter(user=user).first()
    if digest is not None:
        set_digest(user=user, hour=digest.hour)
