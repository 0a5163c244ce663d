"""The history: every write appends exactly one entry in its own transaction (a failed entry
undoes the write), the list's "Activity" page, and the read-only admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from todos import services
from todos.kept import PAGE_SIZE
from todos.models import Activity, Membership, Role, Task, TaskList, Verb


@pytest.fixture
def team(inbox: TaskList, owner: User, editor: User, make_task) -> dict[str, Any]:
    """The owner's Inbox shared with an editor, with an open and a done task."""
    Membership.objects.create(task_list=inbox, user=editor, role=Role.EDITOR)
    return {
        "list": inbox,
        "owner": owner,
        "editor": editor,
        "open": make_task(inbox, "Buy milk"),
        "done": make_task(inbox, "Pay rent", done=True),
    }


# name -> (the write, the verb it records). Each acts as the editor where an editor may.
WRITES: dict[str, tuple[Callable[[dict[str, Any]], object], Verb]] = {
    "add": (
        lambda t: services.add_task(task_list=t["list"], title="New", by=t["editor"]),
        Verb.ADD,
    ),
    "complete": (lambda t: services.toggle_task(task=t["open"], by=t["editor"]), Verb.COMPLETE),
    "reopen": (lambda t: services.toggle_task(task=t["done"], by=t["editor"]), Verb.REOPEN),
    "edit": (
        lambda t: services.edit_task(
            task=t["open"], changes={"title": "Buy oat milk"}, by=t["editor"]
        ),
        Verb.EDIT,
    ),
    "delete": (lambda t: services.delete_task(task=t["open"], by=t["editor"]), Verb.DELETE),
    "toggle all": (
        lambda t: services.toggle_all(task_list=t["list"], by=t["editor"]),
        Verb.COMPLETE_ALL,
    ),
    "clear": (
        lambda t: services.clear_completed(task_list=t["list"], by=t["editor"]),
        Verb.CLEAR,
    ),
    "rename": (
        lambda t: services.rename_list(task_list=t["list"], name="Home", by=t["owner"]),
        Verb.RENAME_LIST,
    ),
    "share": (
        lambda t: services.share_list(
            task_list=t["list"], username="mallory", role=Role.VIEWER, by=t["owner"]
        ),
        Verb.SHARE,
    ),
    "role": (
        lambda t: services.set_role(
            task_list=t["list"], member=t["editor"], role=Role.VIEWER, by=t["owner"]
        ),
        Verb.ROLE,
    ),
    "remove": (
        lambda t: services.remove_member(task_list=t["list"], member=t["editor"], by=t["owner"]),
        Verb.REMOVE,
    ),
    "leave": (
        lambda t: services.leave_list(task_list=t["list"], member=t["editor"]),
        Verb.LEAVE,
    ),
    "transfer": (
        lambda t: services.transfer_list(task_list=t["list"], to=t["editor"], by=t["owner"]),
        Verb.TRANSFER,
    ),
    "bulk done": (
        lambda t: services.set_done(tasks=Task.objects.all(), done=True, by=t["owner"]),
        Verb.COMPLETE_ALL,
    ),
    "purge": (
        lambda t: services.purge_completed(before=timezone.now()),
        Verb.PURGE,
    ),
}


def _state() -> tuple[list[tuple[Any, ...]], ...]:
    return (
        list(TaskList.objects.order_by("pk").values_list()),
        list(Task.objects.order_by("pk").values_list()),
        list(Membership.objects.order_by("pk").values_list()),
    )


@pytest.mark.parametrize("name", WRITES)
def test_every_write_appends_exactly_one_entry(name, team, other_user):
    write, verb = WRITES[name]
    before = Activity.objects.count()
    write(team)
    assert Activity.objects.count() == before + 1
    entry = Activity.objects.first()
    assert entry is not None
    assert (entry.task_list_id, entry.verb) == (team["list"].pk, verb)


@pytest.mark.parametrize("name", WRITES)
def test_a_failed_entry_undoes_the_write(name, team, other_user):
    write, _verb = WRITES[name]
    before, entries = _state(), Activity.objects.count()
    with (
        mock.patch.object(Activity.objects, "create", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        write(team)
    assert _state() == before
    assert Activity.objects.count() == entries


def test_an_edit_keeps_the_old_and_new_values_of_what_changed(team):
    services.edit_task(
        task=team["open"],
        changes={"title": "Buy oat milk", "assignee": team["editor"], "priority": "high"},
        by=team["owner"],
    )
    entry = Activity.objects.get(verb=Verb.EDIT)
    assert entry.changes == {
        "title": ["Buy milk", "Buy oat milk"],
        "assignee": [None, "erin"],
        "priority": ["normal", "high"],
    }
    assert (entry.actor, entry.subject, entry.task_id) == (
        team["owner"],
        "Buy oat milk",
        team["open"].pk,
    )


def test_a_deleted_actor_is_shown_as_a_deleted_user(team, owner_client):
    services.add_task(task_list=team["list"], title="From Erin", by=team["editor"])
    team["editor"].delete()
    page = owner_client.get(reverse("todos:activity", args=[team["list"].pk])).content.decode()
    assert "a deleted user</strong> added “From Erin”" in page


def test_the_activity_page_lists_the_newest_first_naming_who_and_which_task(
    team, client_for, owner_client
):
    client_for(team["editor"]).post(reverse("todos:toggle", args=[team["open"].pk]))
    response = owner_client.get(reverse("todos:activity", args=[team["list"].pk]))
    page = response.content.decode()
    assert 'aria-label="Activity"' in page
    first = response.context["entries"][0]
    assert (first.actor_name, first.verb, first.subject) == ("erin", Verb.COMPLETE, "Buy milk")
    assert "<strong>erin</strong> completed “Buy milk”" in page
    # The list's page links to it.
    link = reverse("todos:activity", args=[team["list"].pk])
    assert link in owner_client.get(team["list"].get_absolute_url()).content.decode()


def test_the_activity_page_is_paginated_with_a_bounded_number_of_queries(
    team, owner_client, django_assert_num_queries
):
    Activity.objects.bulk_create(
        Activity(task_list=team["list"], actor=team["owner"], verb=Verb.ADD, subject=f"T{n}")
        for n in range(PAGE_SIZE + 2)
    )
    url = reverse("todos:activity", args=[team["list"].pk])
    # The session with its user, the list with the user's role, one page of entries with their
    # actors.
    with django_assert_num_queries(3):
        first = owner_client.get(url)
    assert len(first.context["entries"]) == PAGE_SIZE
    assert first.context["has_next"] is True
    total = Activity.objects.filter(task_list=team["list"]).count()  # the Inbox's creation too
    assert len(owner_client.get(url, {"page": 2}).context["entries"]) == total - PAGE_SIZE


def test_a_lists_history_goes_with_it(team):
    services.create_list(owner=team["owner"], name="Spare")
    services.delete_list(task_list=team["list"])
    assert not Activity.objects.filter(task_list_id=team["list"].pk).exists()


def test_the_admin_shows_activity_read_only(team, admin_client):
    services.add_task(task_list=team["list"], title="Seen in admin", by=team["owner"])
    entry = Activity.objects.get(subject="Seen in admin")
    changelist = admin_client.get(reverse("admin:todos_activity_changelist"))
    assert "Seen in admin" in changelist.content.decode()
    assert admin_client.get(reverse("admin:todos_activity_add")).status_code == 403
    detail = admin_client.get(reverse("admin:todos_activity_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert 'name="subject"' not in detail.content.decode()  # shown, not editable
    response = admin_client.post(
        reverse("admin:todos_activity_change", args=[entry.pk]), {"subject": "Rewritten"}
    )
    assert response.status_code == 403
    assert Activity.objects.get(pk=entry.pk).subject == "Seen in admin"
