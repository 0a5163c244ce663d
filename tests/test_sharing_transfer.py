"""Export and import carry a shared list's members (usernames and roles) and each task's
assignee, where those users exist; and the admin's memberships inline goes through the services."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import create_user
from todos import services, transfer
from todos.models import Activity, Membership, Role, Task, TaskList, Verb


@pytest.fixture
def team_data(owner, inbox, make_task) -> User:
    """The owner's Inbox shared with an editor and a viewer; tasks assigned to each assignable
    person, and a second list of the owner's, shared with nobody."""
    editor = create_user("erin", "editor-password-123")
    create_user("victor", "viewer-password-123")
    services.share_list(task_list=inbox, username="erin", role=Role.EDITOR, by=owner)
    services.share_list(task_list=inbox, username="victor", role=Role.VIEWER, by=owner)
    make_task(inbox, "Erin's", assignee=editor)
    make_task(inbox, "Olivia's", assignee=owner, done=True)
    make_task(inbox, "Nobody's")
    work = services.create_list(owner=owner, name="Work")
    make_task(work, "Alone", assignee=owner)
    return owner


def _export(user: User, fmt: str, path: Path) -> None:
    call_command(
        "export_tasks", "--user", user.username, "--format", fmt, "--output", str(path),
        stderr=StringIO(),
    )  # fmt: skip


def _exported(user: User) -> dict:
    return transfer.export_data(user)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_round_trip_keeps_members_and_assignees(team_data, tmp_path, fmt):
    path = tmp_path / f"tasks.{fmt}"
    _export(team_data, fmt, path)
    before = _exported(team_data)
    inbox = before["lists"][0]
    assert inbox["members"] == [
        {"username": "erin", "role": "editor"},
        {"username": "victor", "role": "viewer"},
    ]
    assert [task["assignee"] for task in inbox["tasks"]] == ["erin", "olivia", None]
    TaskList.objects.filter(owner=team_data).delete()  # lists, tasks and memberships gone

    call_command("import_tasks", "--user", team_data.username, str(path), stdout=StringIO())

    assert _exported(team_data)["lists"] == before["lists"]


def test_an_import_skips_users_who_do_not_exist_and_assignees_who_may_not_hold_tasks(owner, inbox):
    data = {
        "format": "todo-export",
        "version": 2,
        "lists": [
            {
                "name": "Inbox",
                "members": [
                    {"username": "ghost", "role": "editor"},
                    {"username": "mallory", "role": "viewer"},
                    {"username": "olivia", "role": "editor"},  # the owner: not a member too
                ],
                "tasks": [
                    {"title": "Ghost's", "assignee": "ghost"},
                    {"title": "Mallory's", "assignee": "mallory"},  # a viewer
                    {"title": "Olivia's", "assignee": "olivia"},
                ],
            }
        ],
    }
    create_user("mallory", "other-password-123")
    assert transfer.import_data(owner, transfer.parse(json.dumps(data))) == 3
    assert dict(Membership.objects.values_list("user__username", "role")) == {"mallory": "viewer"}
    assignees = dict(Task.objects.values_list("title", "assignee__username"))
    assert assignees == {"Ghost's": None, "Mallory's": None, "Olivia's": "olivia"}


def test_a_version_1_file_still_imports(owner):
    data = {"format": "todo-export", "version": 1, "lists": [{"name": "Old", "tasks": [
        {"title": "From before", "priority": "normal", "done": False, "position": 0}
    ]}]}  # fmt: skip
    assert transfer.import_data(owner, transfer.parse(json.dumps(data))) == 1


# --- the admin -----------------------------------------------------------------------------------


def _inline_data(task_list: TaskList, rows: list[dict[str, str]]) -> dict[str, str]:
    """The list's change form with its memberships inline (prefix "memberships")."""
    data = {
        "name": task_list.name,
        "owner": str(task_list.owner_id),
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data |= {f"memberships-{n}-{key}": value for key, value in row.items()}
        data[f"memberships-{n}-task_list"] = str(task_list.pk)
    return data


def test_the_admin_adds_changes_and_removes_members_through_the_services(
    admin_client, owner, inbox
):
    erin = create_user("erin", "editor-password-123")
    url = reverse("admin:todos_tasklist_change", args=[inbox.pk])
    page = admin_client.get(url).content.decode()
    assert "memberships-TOTAL_FORMS" in page
    admin_client.post(url, _inline_data(inbox, [{"user": str(erin.pk), "role": "viewer"}]))
    membership = Membership.objects.get(task_list=inbox)
    assert (membership.user, membership.role) == (erin, Role.VIEWER)
    row = {"id": str(membership.pk), "user": str(erin.pk), "role": "editor"}
    admin_client.post(url, _inline_data(inbox, [row]))
    assert Membership.objects.get(pk=membership.pk).role == Role.EDITOR
    admin_client.post(url, _inline_data(inbox, [{**row, "DELETE": "on"}]))
    assert not Membership.objects.exists()
    verbs = list(Activity.objects.filter(task_list=inbox).values_list("verb", flat=True))
    assert verbs[:3] == [Verb.REMOVE, Verb.ROLE, Verb.SHARE]


def test_the_admin_refuses_the_owner_as_a_member(admin_client, owner, inbox):
    url = reverse("admin:todos_tasklist_change", args=[inbox.pk])
    response = admin_client.post(
        url, _inline_data(inbox, [{"user": str(owner.pk), "role": "editor"}])
    )
    assert response.status_code == 200  # the form again, with the error
    assert "owns this list already" in response.content.decode()
    assert not Membership.objects.exists()


def test_the_admin_filters_lists_and_memberships_by_role(admin_client, team_data):
    lists = admin_client.get(
        reverse("admin:todos_tasklist_changelist"), {"memberships__role": "viewer"}
    )
    assert [tl.name for tl in lists.context["cl"].result_list] == ["Inbox"]
    members = admin_client.get(reverse("admin:todos_membership_changelist"), {"role": "editor"})
    assert [m.user.username for m in members.context["cl"].result_list] == ["erin"]


def test_an_account_with_shared_lists_and_history_can_be_deleted_in_the_admin(
    admin_client, team_data
):
    erin = User.objects.get(username="erin")
    services.add_task(
        task_list=TaskList.objects.get(owner=team_data, name="Inbox"), title="By Erin", by=erin
    )
    response = admin_client.post(reverse("admin:auth_user_delete", args=[erin.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(username="erin").exists()
    assert Task.objects.get(title="By Erin").created_by is None
    assert Activity.objects.filter(subject="By Erin", actor__isnull=True).exists()
