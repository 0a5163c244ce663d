"""A feed's tasks as an iCalendar document (RFC 5545), with the icalendar library.

Each open dated task is an all-day VEVENT, not a VTODO: Google Calendar and Apple Calendar show
the events of a subscribed calendar and ignore its to-dos. A repeating task carries its stored
RRULE, starting on its due date (todos.repeat keeps the rule describing the series from there);
with a DATE start and no end, an event lasts that one day.
All-day dates are floating: a task due on the 5th is on the 5th in whatever zone the calendar
app shows, so no VTIMEZONE is needed; X-WR-TIMEZONE names the user's zone for the apps that
read it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from hashlib import sha256

from icalendar import Calendar, Event, vRecur

from todos.models import Task

# How often a calendar app should fetch the feed again (RFC 7986, and Outlook's older name).
REFRESH_INTERVAL = dt.timedelta(hours=1)


def tasks_etag(tasks: Iterable[Task], *, context: Iterable[str]) -> str:
    """The feed's ETag: every write to a list's tasks moves its version on (todos.services), and
    a list's name is shown too; ``context`` is what else the feed depends on (the user's time
    zone, calendar name, site address). A list the user can no longer see drops out."""
    lists = sorted({(task.list_id, task.list.version, task.list.name) for task in tasks})
    parts = [*context, *(f"{list_id}:{version}:{name}" for list_id, version, name in lists)]
    return sha256("\n".join(parts).encode()).hexdigest()


def calendar(
    tasks: Iterable[Task],
    *,
    name: str,
    time_zone: str,
    host: str,
    stamp: dt.datetime,
    url_of: Callable[[Task], str],
) -> bytes:
    """``stamp`` (each event's DTSTAMP) is the feed's Last-Modified, so that the same ETag
    always means the same bytes."""
    document = Calendar()
    document.add("prodid", "-//todo//calendar feed//EN")
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("x-wr-calname", name)
    document.add("name", name)
    document.add("x-wr-timezone", time_zone)
    document.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    document.add("x-published-ttl", REFRESH_INTERVAL)
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", task.due_date)
        event.add("summary", task.title)
        notes = f"{task.notes}\n\n" if task.notes else ""
        event.add("description", f"{notes}List: {task.list.name}")
        event.add("url", url_of(task))
        event.add("last-modified", task.updated_at)
        event.add("transp", "TRANSPARENT")  # a due date does not make the user busy
        if task.repeat_rule:
            event.add("rrule", vRecur.from_ical(task.repeat_rule))
        document.add_component(event)
    return document.to_ical()
