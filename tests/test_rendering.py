"""The tasks page's kept rows (todos.kept) are what rendering each task gives.

The page's HTML itself is checked by test_tasks.py, test_lists.py and the browser tests; here, a
row's key against everything that must change it, and a row rendered from its values against the
row of the task.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import get_template

from todos.kept import _row_keys
from todos.models import ROW_FIELDS, ROW_RELATED_FIELDS, Task


def _row(**changes: Any) -> tuple[Any, ...]:
    """A row as TaskQuerySet.row_values() gives it."""
    shown = {"id": 1, "list_id": 2, "title": "Buy milk", "done": False, "priority": "normal"}
    extra = {"due_date": None, "position": 0, "assignee_id": None, "assignee__username": None}
    repeats = {"repeat_rule": "", "repeat_from_completion": False}
    values = {**shown, **extra, **repeats, **changes}
    return tuple(values[field] for field in (*ROW_FIELDS, *ROW_RELATED_FIELDS))


def test_a_rows_cache_key_changes_with_anything_the_row_shows() -> None:
    page = (dt.date(2026, 1, 1), "/?q=milk", True, "en")
    rows = [
        _row(),
        _row(id=3),
        _row(list_id=4),
        _row(title="Buy milk "),
        _row(done=True),
        _row(priority="high"),
        _row(due_date=dt.date(2026, 1, 2)),
        _row(position=1),
        _row(assignee_id=5, assignee__username="ann"),
        _row(assignee_id=5, assignee__username="bob"),  # renamed: the same id, another name
        _row(repeat_rule="FREQ=DAILY"),
        _row(repeat_rule="FREQ=DAILY", repeat_from_completion=True),
    ]
    pages = [
        (dt.date(2026, 1, 2), "/?q=milk", True, "en"),
        (dt.date(2026, 1, 1), "/?q=milk&page=2", True, "en"),
        (dt.date(2026, 1, 1), "/?q=milk", False, "en"),
        (dt.date(2026, 1, 1), "/?q=milk", True, "fr"),
    ]
    keys = _row_keys(rows, page) + [key for other in pages for key in _row_keys([_row()], other)]
    assert len(set(keys)) == len(keys)
    assert _row_keys([_row(), _row(id=3)], page) == [keys[0], keys[1]]  # the same every time


def test_a_row_rendered_from_its_values_is_the_row_of_the_task(inbox, owner, make_task) -> None:
    make_task(inbox, "Plain")
    make_task(
        inbox,
        "Everything <b>shown</b>",
        done=True,
        priority="high",
        due_date=dt.date(2026, 1, 2),
        assignee=owner,
    )
    make_task(inbox, "Overdue", priority="low", due_date=dt.date(2025, 12, 31))
    make_task(
        inbox,
        "Repeating",
        due_date=dt.date(2026, 1, 1),
        repeat_rule="FREQ=WEEKLY;INTERVAL=2",
        repeat_from_completion=True,
    )
    template = get_template("todos/_task.html")
    for can_edit in (True, False):
        context = {"today": dt.date(2026, 1, 1), "back": "/?q=a", "can_edit": can_edit}
        tasks = Task.objects.in_list(inbox).select_related("assignee")
        rows = Task.objects.in_list(inbox).row_values()
        for task, values in zip(tasks, rows, strict=True):
            from_values = template.render({**context, "task": Task.from_row(values)})
            assert from_values == template.render({**context, "task": task})
