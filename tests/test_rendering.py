"""The tasks page's rendering shortcuts give what Django's own rendering gives.

The page's HTML itself is checked by test_tasks.py, test_lists.py and the browser tests; here,
each shortcut against the slow path it replaces, including the inputs that must change its output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.forms import BaseForm
from django.template import Context, Template
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from todos.forms import ListCreateForm, TaskCreateForm
from todos.models import ROW_FIELDS, ROW_RELATED_FIELDS, Task
from todos.views import _row_keys


def _render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def test_cached_url_reverses_as_url_does() -> None:
    builtin = "{% url 'todos:toggle' 7 %} {% url 'todos:list' list_id=3 %} {% url 'todos:index' %}"
    cached = "{% load cached_url %}" + builtin
    expected = f"{reverse('todos:toggle', args=[7])} /lists/3/ /"
    assert _render(builtin) == _render(cached) == expected


def test_cached_url_follows_the_script_prefix() -> None:
    cached = "{% load cached_url %}{% url 'todos:list' 3 %}"
    assert _render(cached) == "/lists/3/"
    set_script_prefix("/todo/")
    try:
        assert _render(cached) == "/todo/lists/3/"
    finally:
        set_script_prefix("/")
    assert _render(cached) == "/lists/3/"


def test_cached_url_fails_as_url_does() -> None:
    with pytest.raises(NoReverseMatch):
        _render("{% load cached_url %}{% url 'todos:list' %}")


@pytest.mark.django_db  # a valid title is checked against the model's constraints
@pytest.mark.parametrize(
    "form",
    [
        TaskCreateForm,
        lambda: TaskCreateForm({"title": "  "}),  # failed: no value, aria-invalid
        lambda: TaskCreateForm({"title": "x" * 300}),  # failed with what the user typed
        lambda: TaskCreateForm({"title": "<b>Buy & milk</b>"}),
        ListCreateForm,
        lambda: ListCreateForm({"name": ""}),
        lambda: ListCreateForm(auto_id="other-%s"),
    ],
)
def test_blank_cached_inputs_render_as_text_inputs_do(form: Callable[[], BaseForm]) -> None:
    for _twice in range(2):  # the first fills the cache, the second reads it
        bound = form()
        bound.is_valid()
        (field,) = bound
        plain = forms.TextInput(attrs=field.field.widget.attrs)
        assert str(field) == field.as_widget(widget=plain)


def _row(**changes: Any) -> tuple[Any, ...]:
    """A row as TaskQuerySet.row_values() gives it."""
    shown = {"id": 1, "list_id": 2, "title": "Buy milk", "done": False, "priority": "normal"}
    extra = {"due_date": None, "position": 0, "assignee_id": None, "assignee__username": None}
    values = {**shown, **extra, **changes}
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
    template = get_template("todos/_task.html")
    for can_edit in (True, False):
        context = {"today": dt.date(2026, 1, 1), "back": "/?q=a", "can_edit": can_edit}
        tasks = Task.objects.in_list(inbox).select_related("assignee")
        rows = Task.objects.in_list(inbox).row_values()
        for task, values in zip(tasks, rows, strict=True):
            from_values = template.render({**context, "task": Task.from_row(values)})
            assert from_values == template.render({**context, "task": task})
