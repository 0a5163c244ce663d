"""Assignees: who may hold a task (the list's owner and editors), the edit form's "Assignee", the
row that shows it, and the "Assigned to me" page across lists."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.support.locks import Background, ListLockHeld
from todos import services
from todos.forms import TaskEditForm
from todos.kept import PAGE_SIZE
from todos.models import Role, Task, TaskList, assignable_users

ASSIGNED = reverse("todos:assigned")
# The "Assigned to me" page: the session with its user, one page of tasks (their list and
# assignee joined).
ASSIGNED_PAGE_QUERIES = 2


def _edit(client: Client, task: Task, **changes: object) -> int:
    return _edit_page(client, task, **changes).status_code


def _edit_page(client: Client, task: Task, **changes: object) -> Any:
    data = {"title": task.title, "priority": task.priority, "list": task.list_id, **changes}
    return client.post(reverse("todos:edit", args=[task.pk]), data)


def test_the_owner_and_editors_are_assignable_and_viewers_are_not(shared, owner, editor, viewer):
    assert set(assignable_users(shared)) == {owner, editor}


def test_the_edit_form_assigns_and_the_row_shows_the_assignee(
    shared, owner_client, editor, make_task
):
    task = make_task(shared, "Buy milk")
    page = owner_client.get(reverse("todos:edit", args=[task.pk])).content.decode()
    assert '<label for="id_assignee">Assignee</label>' in page
    assert ">erin</option>" in page
    assert ">victor</option>" not in page
    assert _edit(owner_client, task, assignee=editor.pk) == 302
    task.refresh_from_db()
    assert task.assignee == editor
    assert "Assigned to erin" in owner_client.get(shared.get_absolute_url()).content.decode()


def test_a_viewer_or_a_stranger_cannot_be_assigned(
    shared, owner_client, viewer, other_user, make_task
):
    task = make_task(shared, "Buy milk")
    for user in (viewer, other_user):
        assert _edit(owner_client, task, assignee=user.pk) == 400
    task.refresh_from_db()
    assert task.assignee is None


def test_moving_a_task_to_a_list_its_assignee_cannot_edit_is_refused(
    shared, owner, owner_client, editor, make_task
):
    task = make_task(shared, "Buy milk", assignee=editor)
    work = services.create_list(owner=owner, name="Work")
    assert _edit(owner_client, task, list=work.pk, assignee=editor.pk) == 400
    assert _edit(owner_client, task, list=work.pk, assignee="") == 302
    task.refresh_from_db()
    assert (task.list, task.assignee) == (work, None)


def test_an_assignee_removed_after_the_form_checked_them_is_refused_by_the_save(
    shared, owner, editor, make_task
):
    task = make_task(shared, "Buy milk")
    data = {"title": "Buy milk", "priority": "normal", "list": shared.pk, "assignee": editor.pk}
    form = TaskEditForm(data, instance=task, user=owner)
    assert form.is_valid()
    services.remove_member(task_list=shared, member=editor, by=owner)
    with pytest.raises(ValidationError) as refused:
        services.edit_task(task=task, changes=form.changes(), by=owner, version=form.opened_at())
    assert refused.value.code == "not_assignable"
    task.refresh_from_db()
    assert (task.assignee, task.version) == (None, 1)


@pytest.mark.django_db(transaction=True)
def test_an_assignment_waiting_on_the_assignees_removal_is_a_form_error(
    shared, owner, editor, client_for, make_task
):
    """The owner's edit has passed its form (erin may hold the task) when it meets the list's
    row held by the removal of erin in another tab: it waits, then finds her gone."""
    task = make_task(shared, "Buy milk")
    client = client_for(owner)
    with ListLockHeld(shared.pk) as removal:
        edit = Background(lambda: _edit_page(client, task, assignee=editor.pk))
        removal.wait_for_a_waiter(edit)
        removal.run(lambda: services.remove_member(task_list=shared, member=editor, by=owner))
    response = edit.result()
    assert response.status_code == 400
    page = response.content.decode()
    assert "erin cannot edit “Inbox”, so cannot be assigned there." in page
    assert re.search(r'<select name="assignee"[^>]* aria-invalid="true"', page), "not on its field"
    task.refresh_from_db()
    assert task.assignee is None


@pytest.mark.parametrize("change", ["remove", "demote", "leave"])
def test_a_member_who_can_no_longer_edit_loses_their_assignments(shared, editor, make_task, change):
    task = make_task(shared, "Buy milk", assignee=editor)
    if change == "remove":
        services.remove_member(task_list=shared, member=editor, by=None)
    elif change == "demote":
        services.set_role(task_list=shared, member=editor, role=Role.VIEWER, by=None)
    else:
        services.leave_list(task_list=shared, member=editor)
    task.refresh_from_db()
    assert task.assignee is None


def test_deleting_the_assignee_unassigns_the_task(shared, editor, make_task):
    task = make_task(shared, "Buy milk", assignee=editor)
    editor.delete()
    task.refresh_from_db()
    assert task.assignee is None


def test_assigned_to_me_lists_open_tasks_across_lists_by_due_date_then_position(
    shared, owner, editor, client_for, make_task
):
    today = timezone.localdate()
    own = TaskList.objects.get(owner=editor)
    make_task(own, "Also soon", assignee=editor, due_date=today)
    make_task(shared, "No date", assignee=editor)
    make_task(own, "Later", assignee=editor, due_date=today + dt.timedelta(days=3))
    make_task(shared, "Soon", assignee=editor, due_date=today)
    make_task(shared, "Done already", assignee=editor, done=True)
    make_task(shared, "Someone else's", assignee=owner)
    response = client_for(editor).get(ASSIGNED)
    titles = [task.title for task in response.context["tasks"]]
    # Same due date: by position ("Also soon" is first in its list, "Soon" second in its).
    assert titles == ["Also soon", "Soon", "Later", "No date"]
    page = response.content.decode()
    assert 'aria-label="Tasks"' in page
    assert 'href="/assigned/"' in page  # the header link


def test_assigned_to_me_leaves_out_lists_the_user_is_no_longer_in(
    shared, editor, client_for, make_task
):
    make_task(shared, "Buy milk", assignee=editor)
    # Written behind the services' back: the page still only shows what the user can see.
    services.remove_member(task_list=shared, member=editor, by=None)
    Task.objects.filter(title="Buy milk").update(assignee=editor)
    assert client_for(editor).get(ASSIGNED).context["tasks"] == []


def test_assigned_to_me_is_paginated_like_the_tasks_page(
    editor, client_for, django_assert_num_queries
):
    own = TaskList.objects.get(owner=editor)
    Task.objects.bulk_create(
        Task(list=own, title=f"Task {n}", position=n, assignee=editor) for n in range(PAGE_SIZE + 3)
    )
    client = client_for(editor)
    with django_assert_num_queries(ASSIGNED_PAGE_QUERIES):
        first = client.get(ASSIGNED)
    second = client.get(ASSIGNED, {"page": 2})
    assert len(first.context["tasks"]) == PAGE_SIZE
    assert first.context["has_next"] is True
    assert "/assigned/?page=2" in first.content.decode()
    assert [task.title for task in second.context["tasks"]] == [
        f"Task {n}" for n in range(PAGE_SIZE, PAGE_SIZE + 3)
    ]


def test_toggling_from_assigned_to_me_returns_there(shared, editor, client_for, make_task):
    task = make_task(shared, "Buy milk", assignee=editor)
    response = client_for(editor).post(reverse("todos:toggle", args=[task.pk]), {"next": ASSIGNED})
    assert response["Location"] == ASSIGNED
    task.refresh_from_db()
    assert task.done is True
