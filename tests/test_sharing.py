"""Shared lists: memberships and roles, the sharing page, leaving, transfer, deleted accounts, and
what each role's tasks page shows. Who may reach which URL is in the access matrix
(tests/test_security_matrix.py); this file is about what the actions do."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import ModelChoiceField
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import create_user
from todos import services
from todos.models import OWNER, Membership, Role, Task, TaskList

# The tasks page: the session with its user, the lists the user sees (with their role, owner and
# open/done counters, one join each), one page of tasks, the header's Today count. Members and
# tasks add nothing.
TASKS_PAGE_QUERIES = 4


def _members(task_list: TaskList) -> dict[str, str]:
    return dict(
        Membership.objects.filter(task_list=task_list).values_list("user__username", "role")
    )


def _page(client: Client, task_list: TaskList) -> str:
    response = client.get(task_list.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# --- QuerySet vocabulary ------------------------------------------------------------------------


def test_visible_to_reports_each_list_once_with_the_users_role(shared, owner, editor, viewer):
    other = create_user("olga", "other-password-1234")
    services.share_list(task_list=shared, username="olga", role=Role.VIEWER, by=None)
    assert [(tl.name, tl.viewer_role) for tl in TaskList.objects.visible_to(owner)] == [
        ("Inbox", OWNER)
    ]
    assert sorted((tl.pk, tl.viewer_role) for tl in TaskList.objects.visible_to(editor)) == sorted(
        [(TaskList.objects.get(owner=editor).pk, OWNER), (shared.pk, Role.EDITOR)]
    )
    assert shared.pk in TaskList.objects.editable_by(editor).values_list("pk", flat=True)
    assert shared.pk not in TaskList.objects.editable_by(viewer).values_list("pk", flat=True)
    assert shared.pk in TaskList.objects.visible_to(other).values_list("pk", flat=True)
    assert list(TaskList.objects.owned_by(editor).values_list("name", flat=True)) == ["Inbox"]


def test_task_visible_to_and_editable_by_follow_the_lists_roles(
    shared, make_task, owner, editor, viewer, other_user
):
    task = make_task(shared, "Shared task")
    for user in (owner, editor, viewer):
        assert list(Task.objects.visible_to(user).filter(list=shared)) == [task]
    assert list(Task.objects.editable_by(editor).filter(list=shared)) == [task]
    assert not Task.objects.editable_by(viewer).filter(list=shared).exists()
    assert not Task.objects.visible_to(other_user).filter(list=shared).exists()
    assert Task.objects.with_role(viewer).get(pk=task.pk).viewer_role == Role.VIEWER


# --- the constraints and the services -----------------------------------------------------------


def test_one_membership_per_user_and_list_is_a_database_constraint(shared, editor):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(task_list=shared, user=editor, role=Role.VIEWER)


def test_a_role_outside_the_choices_is_refused_by_the_database(shared, other_user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(task_list=shared, user=other_user, role="admin")


@pytest.mark.parametrize(
    ("username", "code"),
    [("nobody", "no_user"), ("olivia", "owner"), ("erin", "already_member")],
)
def test_sharing_refuses_unknown_users_the_owner_and_members(shared, username, code):
    before = _members(shared)
    with pytest.raises(ValidationError) as caught:
        services.share_list(task_list=shared, username=username, role=Role.EDITOR, by=None)
    assert caught.value.code == code
    assert _members(shared) == before


def test_the_owner_changes_a_role_and_removes_a_member(shared, editor, viewer):
    services.set_role(task_list=shared, member=viewer, role=Role.EDITOR, by=None)
    services.remove_member(task_list=shared, member=editor, by=None)
    assert _members(shared) == {"victor": Role.EDITOR}


def test_a_transfer_makes_the_member_the_owner_and_the_old_owner_an_editor(shared, owner, editor):
    services.transfer_list(task_list=shared, to=editor, by=None)
    shared.refresh_from_db()
    assert shared.owner == editor
    assert _members(shared) == {"olivia": Role.EDITOR, "victor": Role.VIEWER}


def test_a_transfer_to_someone_with_a_list_of_that_name_renames_it_after_the_old_owner(
    shared, editor
):
    services.transfer_list(task_list=shared, to=editor, by=None)  # erin has an Inbox of her own
    assert TaskList.objects.get(pk=shared.pk).name == "Inbox (olivia)"


def test_a_transfer_that_cannot_find_a_free_name_changes_nothing(shared, editor):
    TaskList.objects.create(owner=editor, name="Inbox (olivia)")
    before = _members(shared)
    with pytest.raises(ValidationError) as caught:
        services.transfer_list(task_list=shared, to=editor, by=None)
    assert caught.value.code == "duplicate"
    shared.refresh_from_db()
    assert shared.owner.username == "olivia"
    assert _members(shared) == before


def test_a_transfer_to_a_non_member_is_refused(shared, other_user):
    with pytest.raises(ValidationError) as caught:
        services.transfer_list(task_list=shared, to=other_user, by=None)
    assert caught.value.code == "not_member"


def test_deleting_a_user_keeps_the_tasks_they_added_to_other_peoples_lists(
    shared, editor, owner_client
):
    own = TaskList.objects.get(owner=editor)
    kept = services.add_task(task_list=shared, title="Erin's idea", by=editor).task
    services.add_task(task_list=own, title="Erin's private task", by=editor)
    editor.delete()
    kept.refresh_from_db()
    assert kept.created_by is None
    assert not TaskList.objects.filter(pk=own.pk).exists()
    assert not Task.objects.filter(title="Erin's private task").exists()
    assert _members(shared) == {"victor": Role.VIEWER}
    edit_page = owner_client.get(reverse("todos:edit", args=[kept.pk])).content.decode()
    assert "Added by a deleted user" in edit_page


# --- the sharing page ---------------------------------------------------------------------------


def test_the_sharing_page_invites_by_username_with_a_role(owner_client, inbox, editor):
    url = reverse("todos:share", args=[inbox.pk])
    response = owner_client.post(url, {"username": "erin", "role": "editor"}, follow=True)
    assert _members(inbox) == {"erin": Role.EDITOR}
    page = response.content.decode()
    assert 'aria-label="Members"' in page
    assert "Remove erin" in page
    assert "Role for erin" in page
    assert "Can edit" in page


def test_sharing_with_an_unknown_username_says_no_user_and_changes_nothing(owner_client, inbox):
    response = owner_client.post(
        reverse("todos:share", args=[inbox.pk]), {"username": "ghost", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "No user" in response.content.decode()
    assert not Membership.objects.exists()


def test_the_sharing_page_changes_a_role_removes_and_transfers(
    owner_client, shared, editor, viewer
):
    owner_client.post(
        reverse("todos:member-role", args=[shared.pk]), {"member": viewer.pk, "role": "editor"}
    )
    assert _members(shared)["victor"] == Role.EDITOR
    owner_client.post(reverse("todos:member-remove", args=[shared.pk]), {"member": viewer.pk})
    assert "victor" not in _members(shared)
    response = owner_client.post(reverse("todos:transfer", args=[shared.pk]), {"member": editor.pk})
    assert response["Location"] == shared.get_absolute_url()
    assert TaskList.objects.get(pk=shared.pk).owner == editor


def test_making_a_member_the_owner_asks_first_and_transfers_only_when_confirmed(
    owner_client, owner, shared, editor
):
    share_page = owner_client.get(reverse("todos:share", args=[shared.pk])).content.decode()
    # The sharing page's button asks: it sends a GET, which changes nothing.
    form_of_button = r'<form method="(\w+)"[^>]*>(?:(?!</form>).)*>Make erin the owner</button>'
    (asking,) = re.findall(form_of_button, share_page, re.S)
    assert asking == "get"
    transfer = reverse("todos:transfer", args=[shared.pk])
    question = owner_client.get(transfer, {"member": editor.pk})
    assert question.status_code == 200
    page = question.content.decode()
    assert "Make erin the owner of “Inbox”?" in page
    assert '<button type="submit" class="danger">Make erin the owner</button>' in page
    assert f'<a href="{reverse("todos:share", args=[shared.pk])}">Cancel</a>' in page
    assert TaskList.objects.get(pk=shared.pk).owner == owner
    # Its button sends the POST that transfers.
    confirmed = owner_client.post(transfer, {"member": editor.pk})
    assert confirmed["Location"] == shared.get_absolute_url()
    assert TaskList.objects.get(pk=shared.pk).owner == editor


def test_asking_to_make_a_non_member_the_owner_goes_back_to_the_sharing_page(
    owner_client, shared, other_user
):
    response = owner_client.get(
        reverse("todos:transfer", args=[shared.pk]), {"member": other_user.pk}, follow=True
    )
    assert response.redirect_chain == [(reverse("todos:share", args=[shared.pk]), 302)]
    assert "That user is not a member of this list." in response.content.decode()


@pytest.mark.parametrize("action", ["member-role", "member-remove", "transfer"])
def test_member_actions_on_a_non_member_change_nothing(owner_client, shared, other_user, action):
    before = (_members(shared), TaskList.objects.get(pk=shared.pk).owner_id)
    response = owner_client.post(
        reverse(f"todos:{action}", args=[shared.pk]),
        {"member": other_user.pk, "role": "editor"},
        follow=True,
    )
    assert "not a member" in response.content.decode()
    assert (_members(shared), TaskList.objects.get(pk=shared.pk).owner_id) == before


def test_a_member_leaves_and_no_longer_sees_the_list(shared, viewer, client_for):
    client = client_for(viewer)
    response = client.post(reverse("todos:leave", args=[shared.pk]))
    assert response["Location"] == reverse("todos:index")
    assert "victor" not in _members(shared)
    assert client.get(shared.get_absolute_url()).status_code == 404


# --- the tasks page by role ---------------------------------------------------------------------


def test_the_owner_sees_share_and_no_leave(owner_client, shared):
    page = _page(owner_client, shared)
    assert reverse("todos:share", args=[shared.pk]) in page
    assert "Leave list" not in page


def test_an_editor_sees_every_write_control_but_share(shared, editor, client_for, make_task):
    make_task(shared, "Buy milk", done=True)
    page = _page(client_for(editor), shared)
    assert 'id="new-task-title"' in page
    assert "Delete<span" in page
    assert "disabled" not in page
    assert "Clear completed" in page
    assert reverse("todos:share", args=[shared.pk]) not in page
    assert "Leave list" in page
    # The Lists navigation names the owner and the user's role.
    assert "olivia · Can edit" in page


def test_a_viewer_sees_the_tasks_and_no_write_control(shared, viewer, client_for, make_task):
    make_task(shared, "Buy milk", done=True)
    make_task(shared, "Walk the dog")
    page = _page(client_for(viewer), shared)
    assert "Buy milk" in page
    assert "Walk the dog" in page
    assert 'id="new-task-title"' not in page
    assert "Delete<span" not in page
    assert "Edit<span" not in page
    assert "Clear completed" not in page
    assert "Mark all as complete" not in page
    assert page.count("disabled") == 2  # both checkboxes
    assert "olivia · Can view" in page
    assert "Leave list" in page


def test_a_viewer_who_posts_anyway_gets_a_clear_403_and_nothing_changes(
    shared, viewer, client_for, make_task
):
    task = make_task(shared, "Buy milk")
    response = client_for(viewer).post(reverse("todos:toggle", args=[task.pk]))
    assert response.status_code == 403
    assert "Can view" in response.content.decode()
    task.refresh_from_db()
    assert task.done is False


def test_an_editor_adds_and_completes_tasks_in_the_shared_list(shared, editor, client_for):
    client = client_for(editor)
    client.post(reverse("todos:create", args=[shared.pk]), {"title": "From Erin"})
    task = Task.objects.get(title="From Erin")
    assert (task.list, task.created_by) == (shared, editor)
    client.post(reverse("todos:toggle", args=[task.pk]))
    task.refresh_from_db()
    assert task.done is True


def test_the_edit_form_offers_only_lists_the_user_may_change(shared, viewer, editor, make_task):
    from todos.forms import TaskEditForm

    outsider = TaskList.objects.create(owner=viewer, name="Victor's")
    task = make_task(shared, "Movable")
    field = TaskEditForm(instance=task, user=editor).fields["list"]
    assert isinstance(field, ModelChoiceField)
    offered = set(field.queryset or [])
    assert shared in offered
    assert outsider not in offered


def _members_page_queries(
    client: Client, task_list: TaskList, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(TASKS_PAGE_QUERIES):
        assert client.get(task_list.get_absolute_url()).status_code == 200


def test_a_shared_lists_page_runs_the_same_queries_for_1_and_20_members_and_10_and_1000_tasks(
    shared, editor, client_for, django_assert_num_queries
):
    client = client_for(editor)
    now = timezone.now()
    for members, tasks in ((1, 10), (20, 1000)):
        Membership.objects.filter(task_list=shared).exclude(user=editor).delete()
        for n in range(members - 1):
            user = User.objects.create_user(f"member-{members}-{n}")
            Membership.objects.create(task_list=shared, user=user, role=Role.EDITOR)
            # Each member also shares one of their own lists with the editor: more lists too.
            their = TaskList.objects.create(owner=user, name="Theirs")
            Membership.objects.create(task_list=their, user=editor, role=Role.VIEWER)
        Task.objects.filter(list=shared).delete()
        Task.objects.bulk_create(
            Task(list=shared, title=f"T{n}", position=n, done=n % 2 == 0, completed_at=now)
            if n % 2 == 0
            else Task(list=shared, title=f"T{n}", position=n)
            for n in range(tasks)
        )
        assert Membership.objects.filter(task_list=shared).count() == members
        _members_page_queries(client, shared, django_assert_num_queries)
