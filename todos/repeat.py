"""Repeat rules: what a repeating task stores, how it reads, and its next due date.

A task's rule is an RFC 5545 RRULE value (``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5``) in
``Task.repeat_rule``, of the parts the edit form offers: FREQ (daily, weekly, monthly, yearly),
INTERVAL, BYDAY (weekly), BYMONTHDAY=-1 (monthly, the last day), and one end, COUNT or UNTIL (a
date). python-dateutil's rrule computes the dates. The rule describes the series from the task's
current due date on: completing a task moves its due date to the next occurrence and takes the
occurrences used off COUNT, so editing the rule mid-series takes effect from the due date.

Counted from the due date (the default), the next date is the first occurrence after the later
of the due date and today: completing late skips the missed occurrences (they count towards
COUNT), it never leaves a backlog. A day the rule names that a month lacks is skipped, as RFC 5545
says: monthly on the 31st falls only in months with a 31st, yearly on 29 February only in leap
years; "the last day" is the last day of every month. Counted from the completion date
(``Task.repeat_from_completion``), the next date is the completion date plus the interval, a month
on from 31 January being the end of February (relativedelta).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, weekday, weekdays
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    """The edit form's "Repeat" choices; a value is the rule's FREQ ("" for none)."""

    NONE = "", _("Does not repeat")
    DAILY = "DAILY", _("Daily")
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")
    YEARLY = "YEARLY", _("Yearly")


class Weekday(models.TextChoices):
    """BYDAY's values, Monday first as rrule counts them."""

    MO = "MO", _("Monday")
    TU = "TU", _("Tuesday")
    WE = "WE", _("Wednesday")
    TH = "TH", _("Thursday")
    FR = "FR", _("Friday")
    SA = "SA", _("Saturday")
    SU = "SU", _("Sunday")


_FREQUENCIES: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    "DAILY": DAILY,
    "WEEKLY": WEEKLY,
    "MONTHLY": MONTHLY,
    "YEARLY": YEARLY,
}
_STEPS = {
    "DAILY": relativedelta(days=1),
    "WEEKLY": relativedelta(weeks=1),
    "MONTHLY": relativedelta(months=1),
    "YEARLY": relativedelta(years=1),
}
_UNITS = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}
_ADVERBS = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}
_NOUNS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_WEEKDAYS: dict[str, weekday] = dict(zip(Weekday.values, weekdays, strict=True))
MAX_RULE_LENGTH = 200

NOT_A_RULE = _("“%(rule)s” is not a repeat rule this app can follow.")
FROM_DUE_ONLY = _("Weekdays and the last day of the month count from the due date.")


@dataclasses.dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    last_day: bool = False
    count: int | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if (
            self.freq not in _FREQUENCIES
            or self.interval < 1
            or (self.weekdays and self.freq != "WEEKLY")
            or any(day not in _WEEKDAYS for day in self.weekdays)
            or (self.last_day and self.freq != "MONTHLY")
            or (self.count is not None and self.count < 1)
            or (self.count is not None and self.until is not None)
        ):
            raise ValueError(f"not a supported rule: {self!r}")

    @classmethod
    def parse(cls, text: str) -> Rule:
        """The rule an RRULE value states; ValidationError(code="invalid") for anything else
        (parts this app does not offer included)."""
        try:
            parts = dict(part.split("=", 1) for part in text.strip().upper().split(";"))
            if set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL"}:
                raise ValueError(text)
            if parts.get("BYMONTHDAY", "-1") != "-1":
                raise ValueError(text)
            until = parts.get("UNTIL")
            return cls(
                freq=parts["FREQ"],
                interval=int(parts.get("INTERVAL", "1")),
                weekdays=tuple(parts["BYDAY"].split(",")) if parts.get("BYDAY") else (),
                last_day="BYMONTHDAY" in parts,
                count=int(parts["COUNT"]) if "COUNT" in parts else None,
                until=dt.datetime.strptime(until[:8], "%Y%m%d").date() if until else None,  # noqa: DTZ007 - a date
            )
        except (KeyError, ValueError) as exc:
            raise ValidationError(NOT_A_RULE, code="invalid", params={"rule": text}) from exc

    def __str__(self) -> str:
        """The RRULE value, its parts in RFC 5545's usual order."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.weekdays:
            parts.append(f"BYDAY={','.join(self.weekdays)}")
        if self.last_day:
            parts.append("BYMONTHDAY=-1")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)

    def describe(self, *, from_completion: bool = False) -> str:
        """How a task's row says it repeats: "Repeats every 2 weeks on Mon, Thu"."""
        if self.interval == 1:
            text = f"Repeats {_ADVERBS[self.freq]}"
        else:
            text = f"Repeats every {self.interval} {_UNITS[self.freq]}"
        if self.weekdays:
            text += " on " + ", ".join(Weekday(day).label[:3] for day in self.weekdays)
        if self.last_day:
            text += " on the last day"
        if from_completion:
            text += " after completion"
        if self.count is not None:
            text += f", {self.count} time{'' if self.count == 1 else 's'} left"
        if self.until is not None:
            text += f", until {self.until:%b} {self.until.day}, {self.until.year}"
        return text

    def next_due(
        self, *, due: dt.date, today: dt.date, from_completion: bool = False
    ) -> tuple[dt.date, Rule] | None:
        """Completing the occurrence due on ``due`` on ``today``: the next due date and the rule
        for the rest of the series (its COUNT less the occurrences used), or None when the
        series has ended."""
        if from_completion:
            following = today + _STEPS[self.freq] * self.interval
            used = 1
        else:
            series = rrule(
                _FREQUENCIES[self.freq],
                dtstart=_midnight(due),
                interval=self.interval,
                byweekday=[_WEEKDAYS[day] for day in self.weekdays] or None,
                bymonthday=-1 if self.last_day else None,
            )
            found = series.after(_midnight(max(due, today)))
            if found is None:
                return None
            following = found.date()
            # The occurrence completed, and those skipped between it and the next.
            used = 1 + len(series.between(_midnight(due), found, inc=False))
        if self.until is not None and following > self.until:
            return None
        if self.count is None:
            return following, self
        if self.count <= used:
            return None
        return following, dataclasses.replace(self, count=self.count - used)


def _midnight(day: dt.date) -> dt.datetime:
    """rrule counts in naive datetimes; a due date is a date, whatever the time zone."""
    return dt.datetime.combine(day, dt.time())


def validate_rule(text: str) -> None:
    """The model field's validator (admin, import): a rule this app can follow, or empty."""
    if text:
        Rule.parse(text)


def describe(text: str, *, from_completion: bool = False) -> str:
    """A stored rule as its row shows it ("" for none or one that no longer parses)."""
    try:
        return Rule.parse(text).describe(from_completion=from_completion) if text else ""
    except ValidationError:
        return ""
