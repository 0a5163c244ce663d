"""Lost updates: every write of a task moves its version on, an edit saved over a newer version
is refused (409, with the other person's change shown) and overwrites nothing, and the quick
writes (toggle, delete, add, clear) cost no more than their activity entry."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from todos import services
from todos.models import Role, Task


def _version(task: Task) -> int:
    return Task.objects.get(pk=task.pk).version


def _form_data(task: Task, **changes: Any) -> dict[str, Any]:
    return {
        "title": task.title,
        "notes": task.notes,
        "priority": task.priority,
        "list": task.list_id,
        "version": task.version,
        **changes,
    }


def test_every_write_of_a_task_moves_its_version_on(shared, owner, editor, make_task):
    task = make_task(shared, "Buy milk", assignee=editor)
    steps = [
        lambda: services.toggle_task(task=task, by=owner),
        lambda: services.edit_task(task=task, changes={"title": "Buy oat milk"}, by=owner),
        lambda: services.toggle_all(task_list=shared, by=owner),
        lambda: services.set_done(tasks=Task.objects.all(), done=True, by=owner),
        lambda: services.set_role(task_list=shared, member=editor, role=Role.VIEWER, by=owner),
    ]
    for step in steps:
        before = _version(task)
        step()
        assert _version(task) == before + 1


def test_an_edit_over_a_newer_version_is_refused_and_shows_the_other_change(
    shared, make_task, editor, client_for, owner_client
):
    task = make_task(shared, "Buy milk")
    opened = _form_data(task, notes="Two litres")  # the owner opened the form at version 1
    client_for(editor).post(
        reverse("todos:edit", args=[task.pk]), _form_data(task, title="Buy oat milk")
    )
    response = owner_client.post(reverse("todos:edit", args=[task.pk]), opened)
    assert response.status_code == 409
    page = response.content.decode()
    assert "erin saved this task while you were editing it" in page
    assert "Notes: “Two litres”" in page  # what the owner had entered, to enter again
    assert 'value="Buy oat milk"' in page  # the form now shows erin's version
    assert 'name="version" value="2"' in page
    saved = Task.objects.get(pk=task.pk)
    assert (saved.title, saved.notes, saved.version) == ("Buy oat milk", "", 2)
    # Asked again at the new version, the save goes through.
    again = _form_data(saved, notes="Two litres")
    assert owner_client.post(reverse("todos:edit", args=[task.pk]), again).status_code == 302
    assert Task.objects.get(pk=task.pk).notes == "Two litres"


def test_the_fragment_request_gets_a_409_and_the_form_to_swap_in(
    shared, make_task, owner, owner_client
):
    task = make_task(shared, "Buy milk")
    opened = _form_data(task, title="Mine")
    services.toggle_task(task=task, by=owner)  # a toggle is a newer version too
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]), opened, headers={"X-Fragment": "1"}
    )
    assert response.status_code == 409
    body = response.content.decode().strip()
    assert body.startswith("<form")
    assert 'id="edit-conflict"' in body
    assert Task.objects.get(pk=task.pk).title == "Buy milk"


def test_an_edit_without_a_version_saves_as_before(make_task, inbox, owner_client):
    task = make_task(inbox, "Buy milk")
    data = _form_data(task, title="Buy bread")
    del data["version"]
    assert owner_client.post(reverse("todos:edit", args=[task.pk]), data).status_code == 302
    assert Task.objects.get(pk=task.pk).title == "Buy bread"


# The quick writes, each: the session with its user, the object with the user's role; SAVEPOINT
# (the test's transaction stands in for BEGIN), the write's own statements, which keep the list's
# counters too, then the one activity INSERT, and RELEASE SAVEPOINT. Without the history each
# would be one query less.
@pytest.mark.parametrize(
    ("action", "queries"),
    [
        # lock the list, UPDATE the task (done, completed_at, version) if it is the version the
        # view read, which locks its row too; the counters
        ("toggle", 2 + 1 + 3 + 1 + 1),
        # lock the list, lock the task, DELETE its reminders, DELETE it, the counters
        ("delete", 2 + 1 + 5 + 1 + 1),
        # (the form checks the title without the database) lock the list, which holds its next
        # position, INSERT, the counters and next position; the redirect's page comes from the
        # locked counters
        ("add", 2 + 1 + 3 + 1 + 1),
        # lock the list, SELECT the done tasks, DELETE their reminders, DELETE them, recount
        # (SELECT, UPDATE)
        ("clear", 2 + 1 + 6 + 1 + 1),
    ],
)
def test_the_quick_writes_cost_only_their_activity_entry_more(
    action, queries, shared, make_task, editor, client_for, django_assert_num_queries
):
    task = make_task(shared, "Buy milk", done=action == "clear")
    client: Client = client_for(editor)
    url, data = {
        "toggle": (reverse("todos:toggle", args=[task.pk]), {}),
        "delete": (reverse("todos:delete", args=[task.pk]), {}),
        "add": (reverse("todos:create", args=[shared.pk]), {"title": "Bread"}),
        "clear": (reverse("todos:clear-completed", args=[shared.pk]), {}),
    }[action]
    with django_assert_num_queries(queries):
        assert client.post(url, data).status_code == 302
