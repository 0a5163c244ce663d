"""Today and Upcoming: open tasks by due date across every list the user sees, each row acting as
in its own list; their QuerySet vocabulary, access by role, kept pages and query counts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import create_user
from tests.support.db import bulk_tasks, explain
from todos import services
from todos.kept import UPCOMING_DAYS, today_count
from todos.models import Role, Task, TaskList

TODAY = reverse("todos:today")
UPCOMING = reverse("todos:upcoming")
# A rendered page: the session with its user (one JOIN), the lists the user sees with their
# roles and versions, one page of tasks, the header's Today count. Kept: the session and the lists.
DAYS_PAGE_QUERIES = 4
KEPT_DAYS_PAGE_QUERIES = 2


def _day(offset: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=offset)


def _items(html: str) -> list[str]:
    """The text of each item of the page's list named "Tasks", in order."""
    tasks = re.search(r'<ul class="tasks" aria-label="Tasks">(.*?)</ul>', html, re.S)
    assert tasks, html
    items = re.findall(r"<li\b[^>]*>(.*?)</li>", tasks.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- the QuerySet vocabulary ----------------------------------------------------------------------


def test_due_by_is_open_and_due_on_or_before_the_day_oldest_first(inbox, make_task):
    day = dt.date(2026, 11, 29)
    today = make_task(inbox, "today", due_date=day)
    late = make_task(inbox, "late", due_date=day - dt.timedelta(days=3))
    make_task(inbox, "late but done", due_date=day - dt.timedelta(days=1), done=True)
    make_task(inbox, "tomorrow", due_date=day + dt.timedelta(days=1))
    make_task(inbox, "undated")
    assert list(Task.objects.in_list(inbox).due_by(day)) == [late, today]


def test_due_after_is_open_and_due_after_the_day_soonest_first(inbox, make_task):
    day = dt.date(2026, 11, 29)
    make_task(inbox, "today", due_date=day)
    later = make_task(inbox, "later", due_date=day + dt.timedelta(days=30))
    tomorrow = make_task(inbox, "tomorrow", due_date=day + dt.timedelta(days=1))
    make_task(inbox, "tomorrow but done", due_date=day + dt.timedelta(days=1), done=True)
    make_task(inbox, "undated")
    assert list(Task.objects.in_list(inbox).upcoming_after(day)) == [tomorrow, later]


def test_in_lists_takes_the_tasks_of_the_lists_given(world):
    lists = [world["list"], world["work"]]
    assert set(Task.objects.in_lists(lists)) == {world["task"], world["done"]}


# --- the pages ------------------------------------------------------------------------------------


def test_today_shows_open_tasks_due_today_or_overdue_overdue_first(
    owner_client, owner, inbox, other_inbox, make_task
):
    work = services.create_list(owner=owner, name="Work")
    make_task(inbox, "Due today", due_date=_day(0))
    make_task(work, "Two days late", due_date=_day(-2))
    make_task(inbox, "Late but done", due_date=_day(-1), done=True)
    make_task(inbox, "Due tomorrow", due_date=_day(1))
    make_task(inbox, "No date")
    make_task(other_inbox, "Mallory's late task", due_date=_day(-1))
    items = _items(_page(owner_client, TODAY))
    assert len(items) == 2, items
    assert items[0].startswith("Two days late Work Overdue")  # with the list it is in
    assert items[1].startswith("Due today Inbox Due")


def test_upcoming_groups_the_next_days_by_date_then_later(owner_client, inbox, make_task):
    make_task(inbox, "Due today", due_date=_day(0))
    make_task(inbox, "In a fortnight", due_date=_day(UPCOMING_DAYS))
    make_task(inbox, "Tomorrow", due_date=_day(1))
    make_task(inbox, "Also tomorrow", due_date=_day(1))
    make_task(inbox, "Next month", due_date=_day(UPCOMING_DAYS + 1))
    items = _items(_page(owner_client, UPCOMING))
    tomorrow, fortnight = (
        f"{day:%A}, {day:%B} {day.day}" for day in (_day(1), _day(UPCOMING_DAYS))
    )
    assert [item.split(" Inbox ")[0] for item in items] == [
        tomorrow,
        "Tomorrow",
        "Also tomorrow",
        fortnight,
        "In a fortnight",
        "Later",
        "Next month",
    ]


@pytest.mark.parametrize("url", [TODAY, UPCOMING])
@pytest.mark.parametrize(
    ("who", "sees", "can_edit"),
    [
        ("owner", True, True),
        ("editor", True, True),
        ("viewer", True, False),
        ("other_user", False, False),
    ],
)
def test_each_role_sees_the_shared_lists_tasks_and_only_a_viewer_cannot_act(
    request, shared, make_task, client_for, url, who, sees, can_edit
):
    task = make_task(shared, "Water the plants", due_date=_day(0 if url == TODAY else 1))
    html = _page(client_for(request.getfixturevalue(who)), url)
    assert ("Water the plants" in html) is sees
    edit = f'href="{reverse("todos:edit", args=[task.pk])}?next='
    assert (edit in html) is can_edit
    assert (f'formaction="{reverse("todos:delete", args=[task.pk])}"' in html) is can_edit
    toggle = re.search(rf'<button [^>]*id="toggle-{task.pk}"[^>]*>', html)
    assert (toggle is not None) is sees
    if toggle:
        assert ("disabled" in toggle.group(0)) is not can_edit


def test_a_viewers_write_from_today_is_refused(shared, viewer, make_task, client_for):
    task = make_task(shared, "Water the plants", due_date=_day(0))
    response = client_for(viewer).post(reverse("todos:toggle", args=[task.pk]), {"next": TODAY})
    assert response.status_code == 403
    task.refresh_from_db()
    assert not task.done


@pytest.mark.parametrize("url", [TODAY, UPCOMING])
def test_an_action_without_javascript_goes_back_to_the_page(owner_client, inbox, make_task, url):
    task = make_task(inbox, "Water the plants", due_date=_day(0 if url == TODAY else 1))
    toggled = owner_client.post(reverse("todos:toggle", args=[task.pk]), {"next": url})
    assert (toggled.status_code, toggled["Location"]) == (302, url)
    assert "Water the plants" not in _page(owner_client, url)  # done: no longer listed
    deleted = owner_client.post(reverse("todos:delete", args=[task.pk]), {"next": url})
    assert (deleted.status_code, deleted["Location"]) == (302, url)
    assert not Task.objects.filter(pk=task.pk).exists()


def test_app_js_gets_the_pages_fragment(owner_client, inbox, make_task):
    make_task(inbox, "Water the plants", due_date=_day(0))
    response = owner_client.get(TODAY, headers={"X-Fragment": "1"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="messages" id="messages"')
    assert 'id="tasks-layout"' in html
    assert "Water the plants" in html
    # The header's link too, so app.js can show the new count after an action.
    assert re.search(r'id="today-link"[^>]*>Today <span class="nav-count"[^>]*>1<', html)
    assert "X-Fragment" in response["Vary"]


def test_the_header_counts_todays_tasks_across_lists(
    owner_client, owner, inbox, shared, make_task, other_inbox
):
    work = services.create_list(owner=owner, name="Work")
    make_task(inbox, "Due today", due_date=_day(0))
    make_task(work, "Late", due_date=_day(-1))
    make_task(inbox, "Tomorrow", due_date=_day(1))
    make_task(other_inbox, "Mallory's", due_date=_day(0))
    # Shown in the link, and its description: the link's name stays "Today" (nothing else in
    # it is read as the name).
    link = re.compile(
        r'<a href="/today/" id="today-link"[^>]* aria-describedby="today-count">Today '
        r'<span class="nav-count" id="today-count" aria-hidden="true">(\d+)'
        r'<span class="visually-hidden"> due</span></span></a>'
    )
    for url in (TODAY, UPCOMING, inbox.get_absolute_url()):
        found = link.search(_page(owner_client, url))
        assert found and found.group(1) == "2", url


def test_the_header_shows_no_count_when_nothing_is_due(owner_client, inbox):
    assert 'id="today-link" aria-current="page">Today</a>' in _page(owner_client, TODAY)


@pytest.mark.parametrize("url", [TODAY, UPCOMING])
def test_a_kept_page_changes_with_a_write_in_any_list_the_user_sees(
    shared, editor, owner, make_task, client_for, url
):
    """Kept under the versions of every list the user sees: another member's write in a shared
    list gives the page a new key."""
    own = services.create_list(owner=editor, name="Erin's")
    task = make_task(shared, "Water the plants", due_date=_day(0 if url == TODAY else 1))
    client = client_for(editor)
    assert "Water the plants" in _page(client, url)
    assert "Water the plants" in _page(client, url)  # kept
    services.edit_task(task=task, changes={"title": "Water the garden"}, by=owner)
    html = _page(client, url)
    assert "Water the garden" in html
    assert "Water the plants" not in html
    services.add_task(task_list=own, title="Unrelated, undated", by=editor)
    assert "Water the garden" in _page(client, url)


@pytest.mark.parametrize("url", [TODAY, UPCOMING])
def test_the_pages_run_the_same_queries_for_any_number_of_lists_members_and_tasks(
    owner, owner_client, inbox, client_for, django_assert_num_queries, url
):
    offset = 0 if url == TODAY else 1
    shown = 0
    for size in (1, 7):  # 48 tasks in all: one page
        shown += size * 6
        for n in range(size):
            member = create_user(f"member-{size}-{n}", "member-password-123")
            task_list = services.create_list(owner=owner, name=f"List {size}-{n}")
            services.share_list(
                task_list=task_list, username=member.username, role=Role.EDITOR, by=owner
            )
            other = services.create_list(owner=member, name="Theirs")
            services.share_list(
                task_list=other, username=owner.username, role=Role.VIEWER, by=member
            )
            for task_list_ in (task_list, other):
                for day in range(3):
                    services.add_task(task_list=task_list_, title=f"Task {day}", by=member)
            Task.objects.filter(list__in=[task_list, other]).update(due_date=_day(offset))
        with django_assert_num_queries(DAYS_PAGE_QUERIES):
            response = owner_client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count('class="task"') == shown
        with django_assert_num_queries(KEPT_DAYS_PAGE_QUERIES):
            assert owner_client.get(url).status_code == 200


def test_a_stranger_is_asked_to_log_in(client):
    for url in (TODAY, UPCOMING):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_todays_tasks_and_count_are_read_through_the_due_date_index(owner, inbox, other_inbox):
    """A range of the (list, done, due_date) index per list, never a scan of a list's open
    tasks."""
    bulk_tasks(inbox, 2000, done_every=3)
    bulk_tasks(other_inbox, 2000, done_every=3)
    Task.objects.filter(list=inbox, position__lt=5).update(due_date=_day(-1))
    lists = list(TaskList.objects.visible_to(owner))
    for run in (
        lambda: list(Task.objects.in_lists(lists).due_by(_day(0))[:51]),
        lambda: today_count(lists, _day(0)),
    ):
        plan = explain(_sql(run))
        assert (plan["key"], plan["type"]) == ("task_list_done_due_idx", "range"), plan
    assert today_count(lists, _day(0)) == 3  # open and due: positions 1, 2 and 4


def _sql(run: Any) -> str:
    """The one SQL statement that ``run()`` sent, parameters interpolated."""
    with CaptureQueriesContext(connection) as captured:
        run()
    (query,) = captured.captured_queries
    return str(query["sql"])
