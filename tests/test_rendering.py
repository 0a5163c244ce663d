"""The tasks page's rendering shortcuts give what Django's own rendering gives.

The page's HTML itself is checked by test_tasks.py, test_lists.py and the browser tests; here,
each shortcut against the slow path it replaces, including the inputs that must change its output.
"""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix


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
