"""Hostile input on every form (issue 6, item 8), property-based with hypothesis.

Each form gets random Unicode (4-byte emoji, RTL and zero-width marks, NUL bytes, 10,000-character
strings, invalid UTF-8 bytes, malformed dates and numbers, hostile ``next`` URLs). Whatever comes
in, the answer is a success or a validation error, never a 500, and stored rows change only by a
successful action, and only the rows that action is about.

Every example runs inside a savepoint that is rolled back, so each starts from the same data.
Profiles: ``hostile`` (default, 50 examples a form) and ``hostile-deep`` (1,000), chosen with
``HYPOTHESIS_PROFILE=hostile-deep``. ``--hypothesis-show-statistics`` prints the examples run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from todos.models import Task, TaskList

settings.register_profile(
    "hostile",
    max_examples=50,
    deadline=None,  # a shared 2-core machine: never fail on time
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("hostile-deep", parent=settings.get_profile("hostile"), max_examples=1000)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))
if not PROFILE.max_examples:  # an unknown profile name in the environment
    PROFILE = settings.get_profile("hostile")

# Strategies -----------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u200f\u202eevil\u202c",  # RTL mark and override
    "\u200b\u2060\ufeff",  # zero-width space, word joiner, BOM
    "🦄",
    "👩‍👩‍👧‍👦",  # a ZWJ sequence
    "e\u0301" * 50,  # combining marks
    "\r\n\t\x0b\x0c\x1c\x85\u2028",
    "<script>alert(1)</script>",
    "' OR 1=1 -- ",
    "%s %(x)s {0} {{ x }} {% x %}",
    "\\",
    "Straße",
    "ﬁ",
    "\U0010ffff",
    "\U0001d54f" * 200,  # mathematical double-struck X, 4 bytes
    "x" * 201,
]
NASTY_DATES = [
    "2024-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-13-01",
    "2024-1-1",
    "\uff12\uff10\uff12\uff14-\uff10\uff11-\uff10\uff11",  # full-width digits
    "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661",  # Arabic-Indic digits
    "2024-01-01T00:00:00",
    "2024/01/01",
    "31.12.2024",
    "-1",
    "1e9",
    "NaN",
]
NASTY_NUMBERS = ["-1", "0", "1e3", "0x10", "٣", "²", " 1 ", "NaN", "1.5", str(2**64), str(-(2**70))]
NASTY_NEXT = [
    "//evil.example/",
    "https://evil.example/",
    "http:\\\\evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "/%0d%0aSet-Cookie:x=1",
    "/lists/1/?filter=active",
    "///evil.example",
]

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
long_text = st.builds(
    lambda seed, size: (seed * size)[:size],
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8),
    st.integers(9_990, 10_010),
)
hostile_text = st.one_of(st.sampled_from(NASTY), any_text, long_text)
# What reaches Django may not even be UTF-8: raw bytes are sent percent-encoded.
hostile_value = st.one_of(hostile_text, st.binary(max_size=200))
hostile_date = st.one_of(
    st.sampled_from(NASTY_DATES), st.dates().map(lambda day: day.isoformat()), hostile_value
)
hostile_number = st.one_of(
    st.sampled_from(NASTY_NUMBERS), st.integers(-(2**70), 2**70).map(str), hostile_value
)
hostile_next = st.one_of(st.sampled_from(NASTY_NEXT), hostile_value)
maybe = st.one_of  # readability: maybe(st.none(), x) -> field left out


def _form_body(fields: dict[str, str | bytes | None]) -> str:
    return urlencode({name: value for name, value in fields.items() if value is not None})


def _post(client: Client, url: str, fields: dict[str, Any]) -> Any:
    return client.post(url, _form_body(fields), content_type="application/x-www-form-urlencoded")


# Stored state ---------------------------------------------------------------------------------

Rows = dict[str, dict[int, tuple[Any, ...]]]


def _rows() -> Rows:
    return {
        "user": {row[0]: row for row in User.objects.values_list()},
        "list": {row[0]: row for row in TaskList.objects.values_list()},
        "task": {row[0]: row for row in Task.objects.values_list()},
    }


def _changes(before: Rows, after: Rows) -> dict[str, dict[str, set[int]]]:
    """Per table: the ids added, removed and changed."""
    result = {}
    for table in before:
        old, new = before[table], after[table]
        result[table] = {
            "added": set(new) - set(old),
            "removed": set(old) - set(new),
            "changed": {pk for pk in set(old) & set(new) if old[pk] != new[pk]},
        }
    return result


def _nothing(changes: dict[str, dict[str, set[int]]]) -> bool:
    return not any(ids for table in changes.values() for ids in table.values())


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Run one example in a savepoint and undo everything it stored."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _assert_local_redirect(response: Any) -> None:
    location = response["Location"]
    parts = urlsplit(location)
    # On this site: no other host, and nothing a browser would read as one ("//x", "/\\x").
    assert parts.scheme in ("", "http") and parts.netloc in ("", "testserver"), location
    assert not location.startswith(("//", "/\\", "\\")), location


def _check(response: Any) -> None:
    assert response.status_code < 500, response.status_code
    if response.status_code in (301, 302, 303):
        _assert_local_redirect(response)


# Fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def world(owner, other_user, inbox, other_inbox, make_task) -> dict[str, Any]:
    return {
        "work": TaskList.objects.create(owner=owner, name="Work"),
        "task": make_task(inbox, "Owner's task", notes="notes", priority="high"),
        "done": make_task(inbox, "Finished", done=True),
        "other_task": make_task(other_inbox, "Mallory's task"),
    }


@pytest.fixture
def owner_post(owner_client) -> Callable[[str, dict[str, Any]], Any]:
    def post(url: str, fields: dict[str, Any]) -> Any:
        # Any exception in the view fails the example (the test client re-raises it).
        return _post(owner_client, url, fields)

    return post


# The forms ------------------------------------------------------------------------------------


@settings(PROFILE)
@given(title=hostile_value, next_url=maybe(st.none(), hostile_next))
# Control and zero-width characters: not whitespace to Python, but "" to utf8mb4_unicode_ci.
@example(title="\x1b", next_url=None)
@example(title="\u200b\u2060\ufeff", next_url=None)
def test_add_task(owner_post, inbox, world, title, next_url):
    with _rolled_back():
        before = _rows()
        response = owner_post(
            reverse("todos:create", args=[inbox.pk]), {"title": title, "next": next_url}
        )
        _check(response)
        changes = _changes(before, _rows())
        if response.status_code == 302:
            assert len(changes["task"]["added"]) == 1
            (new_id,) = changes["task"]["added"]
            new = Task.objects.get(pk=new_id)
            assert new.list_id == inbox.pk
            assert new.title and new.title == new.title.strip() and len(new.title) <= 200
            assert "\x00" not in new.title
            changes["task"]["added"].clear()
            assert _nothing(changes), changes
        else:
            assert response.status_code == 400
            assert _nothing(changes), changes


@settings(PROFILE)
@given(
    title=maybe(st.none(), hostile_value),
    notes=maybe(st.none(), hostile_value),
    due_date=maybe(st.none(), hostile_date),
    priority=maybe(st.none(), st.sampled_from(["low", "normal", "high"]), hostile_value),
    target=st.sampled_from(["same", "work", "other-user", "number"]),
    number=hostile_number,
    next_url=maybe(st.none(), hostile_next),
)
def test_edit_task(owner_post, inbox, other_inbox, world, **fields):
    task = world["task"]
    target = fields.pop("target")
    number = fields.pop("number")
    fields["list"] = {
        "same": str(inbox.pk),
        "work": str(world["work"].pk),
        "other-user": str(other_inbox.pk),
        "number": number,
    }[target]
    fields["next"] = fields.pop("next_url")
    with _rolled_back():
        before = _rows()
        response = owner_post(reverse("todos:edit", args=[task.pk]), fields)
        _check(response)
        changes = _changes(before, _rows())
        if response.status_code == 302:
            changes["task"]["changed"].discard(task.pk)
            assert _nothing(changes), changes
            task.refresh_from_db()
            assert task.list.owner_id == inbox.owner_id, "moved into another user's list"
            assert task.title and "\x00" not in task.title + task.notes
        else:
            assert response.status_code == 400
            assert _nothing(changes), changes


@settings(PROFILE)
@given(name=hostile_value, next_url=maybe(st.none(), hostile_next))
@example(name="\x7f", next_url="a\x00b")
def test_create_list(owner_post, world, name, next_url):
    with _rolled_back():
        before = _rows()
        response = owner_post(reverse("todos:list-create"), {"name": name, "next": next_url})
        _check(response)
        assert response.status_code == 302
        changes = _changes(before, _rows())
        added = changes["list"]["added"]
        if added:
            (new_id,) = added
            assert response["Location"] == reverse("todos:list", args=[new_id])
            new = TaskList.objects.get(pk=new_id)
            assert new.name and new.name == new.name.strip() and len(new.name) <= 100
            added.clear()
        assert _nothing(changes), changes


@settings(PROFILE)
@given(name=hostile_value)
@example(name="\u200b")
def test_rename_list(owner_post, world, name):
    work = world["work"]
    with _rolled_back():
        before = _rows()
        response = owner_post(reverse("todos:list-edit", args=[work.pk]), {"name": name})
        _check(response)
        changes = _changes(before, _rows())
        if response.status_code == 302:
            changes["list"]["changed"].discard(work.pk)
            work.refresh_from_db()
            assert work.name and "\x00" not in work.name
        else:
            assert response.status_code == 400
        assert _nothing(changes), changes


@settings(PROFILE)
@given(
    username=st.one_of(
        hostile_value,
        st.sampled_from(["olivia", "OLIVIA", "\uff4f\uff4c\uff49\uff56\uff49\uff41", "olívia"]),
    ),
    password=maybe(hostile_value, st.just("a perfectly fine passphrase 42")),
    confirm=st.booleans(),
)
def test_sign_up(db, world, username, password, confirm):
    fields = {
        "username": username,
        "password1": password,
        "password2": password if confirm else "x",
    }
    with _rolled_back():
        before = _rows()
        response = _post(Client(), reverse("signup"), fields)
        _check(response)
        changes = _changes(before, _rows())
        if response.status_code == 302:
            (new_user,) = changes["user"]["added"]
            (new_list,) = changes["list"]["added"]
            assert TaskList.objects.get(pk=new_list).owner_id == new_user
            changes["user"]["added"].clear()
            changes["list"]["added"].clear()
        else:
            assert response.status_code == 400
        assert _nothing(changes), changes


@settings(PROFILE)
@given(
    username=st.one_of(hostile_value, st.sampled_from(["olivia", "mallory"])),
    password=hostile_value,
    next_url=maybe(st.none(), hostile_next),
)
@example(username="x" * 256, password="x", next_url="//evil.example/")
def test_log_in(db, world, username, password, next_url):
    with _rolled_back():
        before = _rows()
        url = reverse("login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
        response = _post(Client(), url, {"username": username, "password": password})
        _check(response)
        # A failed login is 200 with the form; a lock-out (django-axes) is 429; nothing stored.
        assert response.status_code in (200, 429)
        assert _nothing(_changes(before, _rows()))


@settings(PROFILE)
@given(
    q=maybe(st.none(), hostile_value),
    state=maybe(st.none(), st.sampled_from(["all", "active", "completed"]), hostile_value),
    page=maybe(st.none(), hostile_number),
    fragment=st.booleans(),
)
def test_search_and_filter_query_string(owner_client, inbox, world, q, state, page, fragment):
    query = _form_body({"q": q, "filter": state, "page": page})
    headers = {"X-Fragment": "1"} if fragment else {}
    with _rolled_back():
        before = _rows()
        response = owner_client.get(f"{inbox.get_absolute_url()}?{query}", headers=headers)
        assert response.status_code == 200
        assert _nothing(_changes(before, _rows()))


# Specific cases the random search need not stumble on -----------------------------------------


def test_a_long_login_username_is_a_form_error_not_a_500(db, world):
    # django-axes records the submitted username; the column holds 255 characters.
    response = Client(raise_request_exception=False).post(
        reverse("login"), {"username": "x" * 256, "password": "whatever"}
    )
    assert response.status_code == 200


def test_lists_named_by_different_emoji_are_different_lists(owner_client, world):
    # utf8mb4_unicode_ci weighs every character outside the BMP the same: "🦄" = "🐍".
    for name in ("🦄", "🐍"):
        owner_client.post(reverse("todos:list-create"), {"name": name})
    assert set(TaskList.objects.filter(name__in=["🦄", "🐍"]).values_list("name", flat=True)) == {
        "🦄",
        "🐍",
    }


@pytest.mark.parametrize("huge", [str(2**63), str(10**30)])
def test_an_overflowing_list_id_in_the_edit_form_is_a_validation_error(owner_client, world, huge):
    task = world["task"]
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]), {"title": "x", "priority": "low", "list": huge}
    )
    assert response.status_code == 400
