"""Tasks: the tasks page, adding, toggling, deleting, bulk actions and editing.

Beside each behaviour: who may do it (the route-by-route access matrix is in test_access.py),
what the page costs (query counts and index use, which ``python -m bench`` relies on; no timings)
and what hostile input does to it (hypothesis, ``tests.support.hostile``). The races between
concurrent requests are in test_tasks_concurrency.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.db import bulk_tasks, explain, row_changes, stored_rows, unchanged
from tests.support.hostile import (
    PROFILE,
    check_response,
    form_body,
    hostile_date,
    hostile_next,
    hostile_number,
    hostile_value,
    maybe,
    rolled_back,
)
from todos import services
from todos.kept import PAGE_SIZE
from todos.models import Task, TaskList

INDEX = reverse("todos:index")
# The tasks page: the session with its user (one JOIN), the user's lists with their open/done
# counters, one page of tasks (one row past it tells whether there is a next page), the header's
# count of what is due today.
TASKS_PAGE_QUERIES = 4


def add_url(task_list):
    return reverse("todos:create", args=[task_list.pk])


def _fill(task_list: TaskList, count: int) -> None:
    """Exactly `count` tasks in the list, every third one done."""
    Task.objects.in_list(task_list).delete()
    bulk_tasks(task_list, count, done_every=3)


def _executed(run: Any) -> str:
    """The one SQL statement that `run()` sent, parameters interpolated."""
    with CaptureQueriesContext(connection) as captured:
        run()
    (query,) = captured.captured_queries
    return query["sql"]


@pytest.fixture
def big_inbox(inbox: TaskList, other_inbox: TaskList) -> TaskList:
    """2,000 tasks in the owner's inbox and 2,000 in someone else's.

    (No ANALYZE TABLE: it commits implicitly, which would end the test's transaction.)
    """
    _fill(inbox, 2000)
    _fill(other_inbox, 2000)
    return inbox


# The tasks page ---------------------------------------------------------------------------------


def test_the_tasks_page_shows_the_users_tasks_and_counter(owner_client, inbox, make_task):
    make_task(inbox, "Buy milk")
    make_task(inbox, "Call mum", done=True)
    make_task(inbox, "Pay rent")
    page = owner_client.get(INDEX).content.decode()
    assert 'aria-label="Tasks"' in page
    assert "Buy milk" in page and "Call mum" in page
    assert "2 items left" in page
    assert "Clear completed" in page
    assert "Mark all as complete" in page


def test_counter_says_one_item_and_hides_clear_completed_when_nothing_is_done(
    owner_client, inbox, make_task
):
    make_task(inbox, "Only one")
    page = owner_client.get(INDEX).content.decode()
    assert "1 item left" in page
    assert "Clear completed" not in page


def test_an_empty_list_tells_a_new_user_what_to_do(owner_client):
    page = owner_client.get(INDEX).content.decode()
    assert "Nothing to do yet" in page
    assert "0 items left" in page


def test_it_hides_other_users_tasks(owner_client, other_inbox, make_task):
    make_task(other_inbox, "Mallory's secret")
    assert "Mallory's secret" not in owner_client.get(INDEX).content.decode()


@pytest.mark.parametrize(
    ("query", "expected", "hidden"),
    [
        ("?filter=active", "Open task", "Done task"),
        ("?filter=completed", "Done task", "Open task"),
        ("?q=open", "Open task", "Done task"),
        ("?filter=bogus", "Done task", "nothing-hidden"),
    ],
)
def test_filters_and_search_are_in_the_url(owner_client, inbox, make_task, query, expected, hidden):
    make_task(inbox, "Open task")
    make_task(inbox, "Done task", done=True)
    page = owner_client.get(inbox.get_absolute_url() + query).content.decode()
    assert expected in page
    assert hidden not in page


def test_the_current_filter_is_marked_and_kept_in_forms(owner_client, inbox, make_task):
    make_task(inbox, "Open task")
    page = owner_client.get(inbox.get_absolute_url() + "?filter=active&q=open").content.decode()
    assert f'href="/lists/{inbox.pk}/?filter=active&amp;q=open" aria-current="page">Active' in page
    assert f'name="next" value="/lists/{inbox.pk}/?filter=active&amp;q=open"' in page


def test_long_lists_are_paginated(owner_client, inbox):
    Task.objects.bulk_create(
        Task(list=inbox, title=f"Task {n:03}", position=n) for n in range(PAGE_SIZE + 5)
    )
    services.recount_lists(list_ids=[inbox.pk])
    first = owner_client.get(INDEX)
    assert len(first.context["tasks"]) == PAGE_SIZE
    assert first.context["has_next"]
    second = owner_client.get(inbox.get_absolute_url() + "?page=2")
    titles = re.findall(r'<span class="title"[^>]*>([^<]*)</span>', second.content.decode())
    assert titles == [f"Task {n:03}" for n in range(50, 55)]
    assert not second.context["has_next"]
    assert "Previous page" in second.content.decode()


def test_overdue_tasks_are_marked(owner_client, inbox, make_task):
    make_task(inbox, "Late", due_date=dt.date(2000, 1, 1))
    make_task(inbox, "Late but done", due_date=dt.date(2000, 1, 1), done=True)
    page = owner_client.get(INDEX).content.decode()
    assert page.count("Overdue:") == 1


def test_titles_are_html_escaped(owner_client, inbox, make_task):
    make_task(inbox, '<script>alert("x")</script>')
    page = owner_client.get(INDEX).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_page_never_renders_more_than_a_page_of_tasks(owner_client, inbox):
    _fill(inbox, PAGE_SIZE * 2 + 7)
    pages = [owner_client.get(INDEX, {"page": page}) for page in (1, 2, 3, 4)]
    rendered = [page.content.decode().count('<li class="task') for page in pages]
    assert [len(page.context["tasks"]) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 7, 0]
    assert rendered == [PAGE_SIZE, PAGE_SIZE, 7, 0]
    assert all(page.status_code == 200 for page in pages)


def test_a_changed_task_is_shown_changed_on_the_next_view(owner_client, inbox, make_task):
    """Whatever caches rendered rows or pages must never serve a stale one."""
    task = make_task(inbox, "Water the plants")
    assert 'class="task"' in owner_client.get(INDEX).content.decode()
    owner_client.post(reverse("todos:toggle", args=[task.pk]))
    assert 'class="task done"' in owner_client.get(INDEX).content.decode()
    services.edit_task(task=task, changes={"title": "Water the garden"}, by=inbox.owner)
    page = owner_client.get(INDEX).content.decode()
    assert "Water the garden" in page
    assert "Water the plants" not in page


@pytest.mark.parametrize("query_string", ["", "?filter=active", "?filter=completed", "?q=Task"])
def test_the_tasks_page_runs_the_same_queries_for_10_and_10000_tasks(
    owner_client, inbox, django_assert_num_queries, query_string
):
    counts = []
    for size in (10, 10_000):
        _fill(inbox, size)
        with django_assert_num_queries(TASKS_PAGE_QUERIES) as captured:
            response = owner_client.get(INDEX + query_string)
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_the_tasks_page_reads_in_display_order_through_the_list_position_index(big_inbox):
    sql = _executed(lambda: list(Task.objects.in_list(big_inbox)[: PAGE_SIZE + 1]))
    plan = explain(sql)
    assert plan["key"] == "task_list_position_idx", plan
    # Rows come out of the index in display order: no sort of the whole list.
    assert "filesort" not in (plan["extra"] or "").lower(), plan


def test_the_active_filter_uses_the_list_done_position_index(big_inbox):
    sql = _executed(lambda: list(Task.objects.in_list(big_inbox).open()[: PAGE_SIZE + 1]))
    plan = explain(sql)
    assert plan["key"] == "task_list_done_position_idx", plan
    assert "filesort" not in (plan["extra"] or "").lower(), plan


def test_the_counts_are_read_from_the_list_done_position_index_alone(big_inbox):
    sql = _executed(lambda: Task.objects.in_list(big_inbox).counts())
    plan = explain(sql)
    assert plan["key"] == "task_list_done_position_idx", plan
    # A covering index scan: the counts never touch the table rows.
    assert "using index" in (plan["extra"] or "").lower(), plan


@settings(PROFILE)
@given(
    q=maybe(st.none(), hostile_value),
    state=maybe(st.none(), st.sampled_from(["all", "active", "completed"]), hostile_value),
    page=maybe(st.none(), hostile_number),
    fragment=st.booleans(),
)
def test_search_and_filter_query_string(owner_client, inbox, world, q, state, page, fragment):
    query = form_body({"q": q, "filter": state, "page": page})
    headers = {"X-Fragment": "1"} if fragment else {}
    with rolled_back():
        before = stored_rows()
        response = owner_client.get(f"{inbox.get_absolute_url()}?{query}", headers=headers)
        assert response.status_code == 200
        assert unchanged(row_changes(before, stored_rows()))


# Adding -----------------------------------------------------------------------------------------


def test_adding_trims_the_title_and_redirects_back_keeping_the_filter(owner_client, inbox):
    response = owner_client.post(
        add_url(inbox), {"title": "  Buy milk  ", "next": "/?filter=active&q=milk"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/lists/{inbox.pk}/?filter=active&q=milk"
    assert list(Task.objects.in_list(inbox).values_list("title", flat=True)) == ["Buy milk"]


def test_adding_to_a_long_list_shows_the_page_the_task_lands_on(owner_client, inbox):
    Task.objects.bulk_create(Task(list=inbox, title=f"T{n}", position=n) for n in range(PAGE_SIZE))
    services.recount_lists(list_ids=[inbox.pk])
    response = owner_client.post(add_url(inbox), {"title": "The 51st", "next": "/"})
    assert response["Location"] == f"/lists/{inbox.pk}/?page=2"
    assert "The 51st" in owner_client.get(response["Location"]).content.decode()


def test_adding_appends_at_the_end(owner_client, inbox, make_task):
    make_task(inbox, "first")
    owner_client.post(add_url(inbox), {"title": "second"})
    assert [t.title for t in Task.objects.in_list(inbox)] == ["first", "second"]


def test_a_4_byte_emoji_title_round_trips(owner_client, inbox):
    owner_client.post(add_url(inbox), {"title": "Feed the 🐈 and 🦖"})
    assert Task.objects.get().title == "Feed the 🐈 and 🦖"
    assert "Feed the 🐈 and 🦖" in owner_client.get(INDEX).content.decode()


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Give the task a title."),
        ("   \t ", "Give the task a title."),
        ("x" * 201, "Keep the title to 200 characters or fewer."),
    ],
    ids=["empty", "whitespace", "201-characters"],
)
def test_a_bad_title_shows_an_error_and_addsunchanged(owner_client, inbox, title, message):
    response = owner_client.post(add_url(inbox), {"title": title})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Task.objects.exists()


def test_a_200_character_title_is_accepted(owner_client, inbox):
    owner_client.post(add_url(inbox), {"title": "x" * 200})
    assert Task.objects.get().title == "x" * 200


def test_next_cannot_redirect_off_site(owner_client, inbox, make_task):
    task = make_task(inbox)
    response = owner_client.post(
        reverse("todos:toggle", args=[task.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == inbox.get_absolute_url()


@settings(PROFILE)
@given(title=hostile_value, next_url=maybe(st.none(), hostile_next))
# Control and zero-width characters: not whitespace to Python, but ignorable to the collation.
@example(title="\x1b", next_url=None)
@example(title="\u200b\u2060\ufeff", next_url=None)
def test_add_task(owner_post, inbox, world, title, next_url):
    with rolled_back():
        before = stored_rows()
        response = owner_post(
            reverse("todos:create", args=[inbox.pk]), {"title": title, "next": next_url}
        )
        check_response(response)
        changes = row_changes(before, stored_rows())
        if response.status_code == 302:
            assert len(changes["task"]["added"]) == 1
            (new_id,) = changes["task"]["added"]
            new = Task.objects.get(pk=new_id)
            assert new.list_id == inbox.pk
            assert new.title and new.title == new.title.strip() and len(new.title) <= 200
            assert "\x00" not in new.title
            changes["task"]["added"].clear()
            assert changes["list"]["changed"] == {inbox.pk}  # its open counter
            changes["list"]["changed"].clear()
            assert unchanged(changes), changes
        else:
            assert response.status_code == 400
            assert unchanged(changes), changes


# Toggling, deleting, bulk actions ----------------------------------------------------------------


def test_toggle_completes_and_reopens(owner_client, inbox, make_task):
    task = make_task(inbox)
    owner_client.post(reverse("todos:toggle", args=[task.pk]))
    task.refresh_from_db()
    assert task.done and task.completed_at is not None
    owner_client.post(reverse("todos:toggle", args=[task.pk]))
    task.refresh_from_db()
    assert not task.done and task.completed_at is None


def test_delete_removes_the_task(owner_client, inbox, make_task):
    task = make_task(inbox)
    response = owner_client.post(reverse("todos:delete", args=[task.pk]))
    assert response.status_code == 302
    assert not Task.objects.exists()


def test_toggle_all_completes_all_then_reopens_all(owner_client, inbox, make_task):
    make_task(inbox, "a")
    make_task(inbox, "b", done=True)
    url = reverse("todos:toggle-all", args=[inbox.pk])
    owner_client.post(url)
    assert Task.objects.in_list(inbox).counts() == {"open": 0, "done": 2}
    owner_client.post(url)
    assert Task.objects.in_list(inbox).counts() == {"open": 2, "done": 0}


def test_clear_completed_deletes_only_done_tasks_of_that_list(
    owner_client, owner, inbox, make_task
):
    other_list = TaskList.objects.create(owner=owner, name="Work")
    make_task(inbox, "open")
    make_task(inbox, "done", done=True)
    make_task(other_list, "done elsewhere", done=True)
    owner_client.post(reverse("todos:clear-completed", args=[inbox.pk]))
    assert sorted(Task.objects.values_list("title", flat=True)) == ["done elsewhere", "open"]


# Editing ----------------------------------------------------------------------------------------


def test_the_edit_page_has_the_contract_fields(owner_client, inbox, make_task):
    task = make_task(inbox)
    page = owner_client.get(reverse("todos:edit", args=[task.pk])).content.decode()
    for label in ("Title", "Notes", "Due date", "Priority"):
        assert f">{label}</label>" in page
    assert ">Save</button>" in page


def test_editing_saves_every_field(owner_client, owner, inbox, make_task):
    task = make_task(inbox)
    work = TaskList.objects.create(owner=owner, name="Work")
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]),
        {
            "title": " Buy oat milk 🥛 ",
            "notes": "Two cartons",
            "due_date": "2026-12-24",
            "priority": "high",
            "list": work.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()
    task.refresh_from_db()
    assert (task.title, task.notes, task.due_date, task.priority, task.list) == (
        "Buy oat milk 🥛",
        "Two cartons",
        dt.date(2026, 12, 24),
        "high",
        work,
    )


def test_a_task_moved_on_its_edit_page_goes_last_in_its_new_list(
    owner_client, owner, inbox, make_task
):
    work = TaskList.objects.create(owner=owner, name="Work")
    make_task(work, "Already there")
    make_task(work, "Also there")
    task = make_task(inbox, "Moving")
    data = {"title": "Moving", "priority": "normal", "list": work.pk}
    assert owner_client.post(reverse("todos:edit", args=[task.pk]), data).status_code == 302
    assert [t.title for t in Task.objects.in_list(work)] == [
        "Already there",
        "Also there",
        "Moving",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "  ", "Give the task a title."),
        ("title", "x" * 201, "Keep the title to 200 characters or fewer."),
        ("due_date", "2026-13-45", "Enter a date as YYYY-MM-DD."),
        ("priority", "urgent", "Select a valid choice."),
        ("list", "999999", "Select a valid choice."),
    ],
)
def test_bad_edits_show_an_error_and_changeunchanged(
    owner_client, inbox, make_task, field, value, message
):
    task = make_task(inbox, "Original")
    data = {"title": "Changed", "notes": "", "due_date": "", "priority": "low", "list": inbox.pk}
    data[field] = value
    response = owner_client.post(reverse("todos:edit", args=[task.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    task.refresh_from_db()
    assert (task.title, task.priority) == ("Original", "normal")


def test_another_user_cannot_move_their_task_into_the_owners_list(world, client_for, other_user):
    client = client_for(other_user)
    before = stored_rows()
    response = client.post(
        reverse("todos:edit", args=[world["other_task"].pk]),
        {"title": "Moved", "priority": "normal", "list": world["list"].pk},
    )
    assert response.status_code == 400
    assert stored_rows() == before


@pytest.mark.parametrize("huge", [str(2**63), str(10**30)])
def test_an_overflowing_list_id_in_the_edit_form_is_a_validation_error(owner_client, world, huge):
    task = world["task"]
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]), {"title": "x", "priority": "low", "list": huge}
    )
    assert response.status_code == 400


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
    with rolled_back():
        before = stored_rows()
        response = owner_post(reverse("todos:edit", args=[task.pk]), fields)
        check_response(response)
        changes = row_changes(before, stored_rows())
        if response.status_code == 302:
            changes["task"]["changed"].discard(task.pk)
            # A move changes the counters of the list it left and the one it joined.
            changes["list"]["changed"] -= {inbox.pk, world["work"].pk}
            assert unchanged(changes), changes
            task.refresh_from_db()
            assert task.list.owner_id == inbox.owner_id, "moved into another user's list"
            assert task.title and "\x00" not in task.title + task.notes
        else:
            assert response.status_code == 400
            assert unchanged(changes), changes


# Methods and CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["todos:toggle", "todos:delete"])
def test_a_get_on_another_users_task_action_is_a_404_not_a_405(
    owner_client, other_inbox, make_task, name
):
    task = make_task(other_inbox, "Not yours")
    assert owner_client.get(reverse(name, args=[task.pk])).status_code == 404


@pytest.mark.parametrize("name", ["todos:toggle-all", "todos:clear-completed", "todos:create"])
def test_a_get_on_another_users_list_action_is_a_404_not_a_405(owner_client, other_inbox, name):
    assert owner_client.get(reverse(name, args=[other_inbox.pk])).status_code == 404


def test_posts_without_a_csrf_token_are_refused(owner, inbox, make_task):
    task = make_task(inbox)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(add_url(inbox), {"title": "sneaky"}).status_code == 403
    assert client.post(reverse("todos:delete", args=[task.pk])).status_code == 403
    assert list(Task.objects.values_list("title", flat=True)) == ["Buy milk"]


def test_posts_with_the_pages_csrf_token_work(owner, inbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(INDEX)
    token = client.cookies["csrftoken"].value
    response = client.post(add_url(inbox), {"title": "legit", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Task.objects.get().title == "legit"


def test_every_token_on_a_second_browsers_page_passes_its_csrf_check(owner, inbox, make_task):
    """Two browsers of one user: nothing rendered for the first may carry its CSRF token."""
    task = make_task(inbox, "Buy milk")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for browser in (first, second):
        browser.force_login(owner)
    first.get(INDEX)  # renders (and may cache) the rows for the first browser
    page = second.get(INDEX).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert tokens
    for token in tokens:
        response = second.post(
            reverse("todos:toggle", args=[task.pk]), {"csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
