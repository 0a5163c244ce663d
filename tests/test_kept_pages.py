"""Rendered tasks pages are kept (todos.kept, the "pages" cache) under a hash of what they show,
the versions of their lists included: after any write, every user's next view is the page a
fresh render gives."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from todos import services
from todos.models import Role, Task, TaskList

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _shown(response: Any) -> tuple[int, str]:
    """The status and the page, with every CSRF token (one per response) blanked."""
    return response.status_code, TOKEN.sub(
        'name="csrfmiddlewaretoken" value=""', response.content.decode()
    )


@pytest.fixture
def team(
    shared: TaskList,
    owner: User,
    editor: User,
    viewer: User,
    make_task: Callable[..., Task],
    client_for: Callable[[User], Client],
) -> dict[str, Any]:
    """The owner's Inbox shared with an editor and a viewer, with an open task assigned to the
    editor and a done one, the owner's second list, and a client for each of the three."""
    return {
        "owner": owner,
        "editor": editor,
        "viewer": viewer,
        "list": shared,
        "work": services.create_list(owner=owner, name="Work"),
        "task": make_task(shared, "Water the plants", assignee=editor),
        "done": make_task(shared, "Buy milk", done=True),
        "clients": [client_for(user) for user in (owner, editor, viewer)],
    }


def _pages(team: dict[str, Any]) -> list[tuple[int, str]]:
    url = team["list"].get_absolute_url()
    return [_shown(client.get(url)) for client in team["clients"]]


def _fresh_pages(team: dict[str, Any]) -> list[tuple[int, str]]:
    caches["pages"].clear()
    return _pages(team)


WRITES: dict[str, Callable[[dict[str, Any]], object]] = {
    "add": lambda t: services.add_task(task_list=t["list"], title="Feed the cat", by=t["owner"]),
    "toggle": lambda t: services.toggle_task(task=t["task"], by=t["editor"]),
    "edit the title": lambda t: services.edit_task(
        task=t["task"], changes={"title": "Water the garden"}, by=t["editor"]
    ),
    "edit the due date": lambda t: services.edit_task(
        task=t["task"], changes={"due_date": dt.date(2030, 1, 2)}, by=t["owner"]
    ),
    "edit the priority": lambda t: services.edit_task(
        task=t["task"], changes={"priority": "high"}, by=t["owner"]
    ),
    "assign": lambda t: services.edit_task(
        task=t["done"], changes={"assignee": t["owner"]}, by=t["owner"]
    ),
    "move to another list": lambda t: services.edit_task(
        task=t["done"], changes={"list": t["work"]}, by=t["owner"]
    ),
    "delete": lambda t: services.delete_task(task=t["task"], by=t["owner"]),
    "complete all": lambda t: services.toggle_all(task_list=t["list"], by=t["owner"]),
    "clear completed": lambda t: services.clear_completed(task_list=t["list"], by=t["owner"]),
    "import": lambda t: services.add_tasks(
        task_list=t["list"], tasks=[Task(title="Imported", position=0)], by=None
    ),
    "the admin's reopen": lambda t: services.set_done(
        tasks=Task.objects.filter(pk=t["done"].pk), done=False, by=None
    ),
    "purge": lambda t: services.purge_completed(before=timezone.now() + dt.timedelta(days=1)),
    "rename the list": lambda t: services.rename_list(
        task_list=t["list"], name="Home", by=t["owner"]
    ),
    "editor made viewer": lambda t: services.set_role(
        task_list=t["list"], member=t["editor"], role=Role.VIEWER, by=t["owner"]
    ),
    "remove the editor": lambda t: services.remove_member(
        task_list=t["list"], member=t["editor"], by=t["owner"]
    ),
    "the viewer leaves": lambda t: services.leave_list(task_list=t["list"], member=t["viewer"]),
    "transfer to the editor": lambda t: services.transfer_list(
        task_list=t["list"], to=t["editor"], by=t["owner"]
    ),
    "the assignee is renamed": lambda t: _rename(t["editor"], "erin-b"),
    "the assignee's account is deleted": lambda t: t["editor"].delete(),
    "the owner is renamed": lambda t: _rename(t["owner"], "olivia-b"),
}


def _rename(user: User, username: str) -> None:
    user.username = username
    user.save()


@pytest.mark.django_db(transaction=True)  # the renames' and deletions' work runs on commit
@pytest.mark.parametrize("write", WRITES)
def test_after_every_write_each_member_sees_what_a_fresh_render_shows(
    team: dict[str, Any], write: str
) -> None:
    before = _pages(team)
    assert _pages(team) == before  # kept, and served as rendered
    WRITES[write](team)
    after = _pages(team)
    assert after != before, "the write changes what some member sees"
    assert after == _fresh_pages(team)


def test_a_kept_page_costs_one_query_and_is_served_as_rendered(
    owner_client: Client,
    inbox: TaskList,
    make_task: Callable[..., Task],
    django_assert_num_queries: Any,
) -> None:
    make_task(inbox, "Water the plants")
    first = owner_client.get(inbox.get_absolute_url())
    # The session with its user (one query from the database here, without a shared cache),
    # then the lists: nothing for the tasks or the rendering.
    with django_assert_num_queries(2):
        again = owner_client.get(inbox.get_absolute_url())
    assert _shown(again) == _shown(first)
    assert "Water the plants" in again.content.decode()


def test_each_response_of_a_kept_page_carries_a_working_csrf_token_of_its_own(
    owner: User, inbox: TaskList
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    pages = [client.get(inbox.get_absolute_url()).content.decode() for _ in range(2)]
    tokens = [set(TOKEN.findall(page)) for page in pages]
    assert all(len(token) == 1 for token in tokens)  # one token per response, in every form
    assert tokens[0] != tokens[1]  # masked afresh for each response, as Django does
    create = reverse("todos:create", args=[inbox.pk])
    added = client.post(create, {"title": "Feed the cat", "csrfmiddlewaretoken": tokens[1].pop()})
    assert added.status_code == 302
    assert client.post(create, {"title": "No token"}).status_code == 403


def test_messages_are_shown_once_even_on_a_kept_page(owner_client: Client, inbox: TaskList) -> None:
    url = inbox.get_absolute_url()
    owner_client.get(url)
    owner_client.post(reverse("todos:create", args=[inbox.pk]), {"title": "Feed the cat"})
    assert "Added “Feed the cat”." in owner_client.get(url).content.decode()
    assert "Added “Feed the cat”." not in owner_client.get(url).content.decode()


def test_a_form_with_errors_is_not_kept(owner_client: Client, inbox: TaskList) -> None:
    url = inbox.get_absolute_url()
    owner_client.get(url)
    refused = owner_client.post(reverse("todos:create", args=[inbox.pk]), {"title": "  "})
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.content.decode()
    assert 'aria-invalid="true"' not in owner_client.get(url).content.decode()


def test_a_kept_page_follows_the_day_for_due_dates(
    owner_client: Client, inbox: TaskList, make_task: Callable[..., Task], settings: Any
) -> None:
    """The day is part of the key: a task due today is overdue on a page viewed tomorrow (here,
    in a time zone where it is already tomorrow)."""
    settings.TIME_ZONE = "Etc/GMT+12"
    today = timezone.localdate()
    make_task(inbox, "Water the plants", due_date=today)
    assert "Overdue" not in owner_client.get(inbox.get_absolute_url()).content.decode()
    settings.TIME_ZONE = "Etc/GMT-14"  # 26 hours later on the clock: the next day
    assert "Overdue" in owner_client.get(inbox.get_absolute_url()).content.decode()


def test_the_fragment_and_the_page_are_kept_apart(owner_client: Client, inbox: TaskList) -> None:
    url = inbox.get_absolute_url()
    page = owner_client.get(url).content.decode()
    fragment = owner_client.get(url, headers={"X-Fragment": "1"}).content.decode()
    assert page.startswith("<!doctype html>")
    assert not fragment.startswith("<!doctype html>")
    assert owner_client.get(url).content.decode().startswith("<!doctype html>")


def test_saving_a_loaded_list_keeps_the_writes_made_since(inbox: TaskList, owner: User) -> None:
    """A rename saves the list as the view loaded it; the counters and version that a write
    moved meanwhile are not written back."""
    loaded = TaskList.objects.get(pk=inbox.pk)
    services.add_task(task_list=inbox, title="Feed the cat", by=owner)
    services.rename_list(task_list=loaded, name="Home", by=owner)
    stored = TaskList.objects.get(pk=inbox.pk)
    assert (stored.name, stored.open_count, stored.version) == ("Home", 1, loaded.version + 1)
