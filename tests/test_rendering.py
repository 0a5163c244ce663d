"""The tasks page's rendering shortcuts give what Django's own rendering gives.

The page's HTML itself is checked by test_tasks.py, test_lists.py and the browser tests; here,
each shortcut against the slow path it replaces, including the inputs that must change its output.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django import forms
from django.forms import BaseForm
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from todos.forms import ListCreateForm, TaskCreateForm


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
