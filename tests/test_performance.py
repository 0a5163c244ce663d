"""What the benchmark relies on, guarded deterministically: query counts, index use, page bounds.

No timings here (those are `python -m bench`'s job); every assertion holds on any machine.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from todos.models import Task, TaskList
from todos.views import PAGE_SIZE

INDEX = reverse("todos:index")
# The tasks page: session, user, the user's lists, one page of tasks (one row past it tells
# whether there is a next page), the open/done counts in one aggregate.
TASKS_PAGE_QUERIES = 5


def _fill(task_list: TaskList, count: int) -> None:
    """Exactly `count` tasks in the list, every third one done."""
    Task.objects.in_list(task_list).delete()
    now = timezone.now()
    Task.objects.bulk_create(
        (
            Task(
                list=task_list,
                title=f"Task {n}",
                position=n,
                done=n % 3 == 0,
                completed_at=now if n % 3 == 0 else None,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )


def _plan(sql: str) -> dict[str, Any]:
    """MariaDB/MySQL's EXPLAIN of one executed statement, as {column: value} (lower-cased)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        columns = [column[0].lower() for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


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
    plan = _plan(sql)
    assert plan["key"] == "task_list_position_idx", plan
    # Rows come out of the index in display order: no sort of the whole list.
    assert "filesort" not in (plan["extra"] or "").lower(), plan


def test_the_active_filter_uses_the_list_done_position_index(big_inbox):
    sql = _executed(lambda: list(Task.objects.in_list(big_inbox).open()[: PAGE_SIZE + 1]))
    plan = _plan(sql)
    assert plan["key"] == "task_list_done_position_idx", plan
    assert "filesort" not in (plan["extra"] or "").lower(), plan


def test_the_counts_are_read_from_the_list_done_position_index_alone(big_inbox):
    sql = _executed(lambda: Task.objects.in_list(big_inbox).counts())
    plan = _plan(sql)
    assert plan["key"] == "task_list_done_position_idx", plan
    # A covering index scan: the counts never touch the table rows.
    assert "using index" in (plan["extra"] or "").lower(), plan


def test_the_page_never_renders_more_than_a_page_of_tasks(owner_client, inbox):
    _fill(inbox, PAGE_SIZE * 2 + 7)
    pages = [owner_client.get(INDEX, {"page": page}) for page in (1, 2, 3, 4)]
    rendered = [page.content.decode().count('<li class="task') for page in pages]
    assert [len(page.context["tasks"]) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 7, 0]
    assert rendered == [PAGE_SIZE, PAGE_SIZE, 7, 0]
    assert all(page.status_code == 200 for page in pages)


def test_a_long_list_renders_one_page_only(owner_client, inbox):
    _fill(inbox, 10_000)
    response = owner_client.get(INDEX)
    assert len(response.context["tasks"]) == PAGE_SIZE
    assert response.content.decode().count('<li class="task') == PAGE_SIZE
    assert response.context["has_next"] is True


def test_a_changed_task_is_shown_changed_on_the_next_view(owner_client, inbox, make_task):
    """Whatever caches rendered rows must never serve a stale one."""
    task = make_task(inbox, "Water the plants")
    assert 'class="task"' in owner_client.get(INDEX).content.decode()
    owner_client.post(reverse("todos:toggle", args=[task.pk]))
    assert 'class="task done"' in owner_client.get(INDEX).content.decode()
    Task.objects.filter(pk=task.pk).update(title="Water the garden")
    page = owner_client.get(INDEX).content.decode()
    assert "Water the garden" in page
    assert "Water the plants" not in page


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
