"""The admin: change lists, search, bulk actions (who may reach it: test_access.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from todos.models import Task, TaskList


@pytest.fixture
def admin_client_with_tasks(admin_client, inbox, make_task):
    make_task(inbox, "Buy milk")
    make_task(inbox, "Pay rent", done=True)
    return admin_client


@pytest.mark.parametrize("model", ["task", "tasklist"])
def test_the_admin_lists_tasks_and_lists_with_their_owner(admin_client_with_tasks, model):
    response = admin_client_with_tasks.get(reverse(f"admin:todos_{model}_changelist"))
    assert response.status_code == 200
    assert "olivia" in response.content.decode()


def test_the_task_changelist_searches_by_owner(admin_client_with_tasks):
    url = reverse("admin:todos_task_changelist")
    assert "Buy milk" in admin_client_with_tasks.get(url, {"q": "olivia"}).content.decode()
    assert "Buy milk" not in admin_client_with_tasks.get(url, {"q": "nobody"}).content.decode()


def test_the_task_changelist_query_count_is_bounded(
    admin_client, inbox, make_task, django_assert_max_num_queries
):
    for n in range(30):
        make_task(inbox, f"Task {n}")
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("admin:todos_task_changelist"))


@pytest.mark.parametrize(("action", "done"), [("mark_done", True), ("mark_open", False)])
def test_bulk_actions(admin_client_with_tasks, action, done):
    ids = list(Task.objects.values_list("pk", flat=True))
    response = admin_client_with_tasks.post(
        reverse("admin:todos_task_changelist"),
        {"action": action, "_selected_action": ids},
    )
    assert response.status_code == 302
    assert set(Task.objects.values_list("done", flat=True)) == {done}
    assert Task.objects.filter(done=True, completed_at__isnull=True).count() == 0


def test_a_non_staff_user_cannot_log_in_to_the_admin(owner):
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": "olivia", "password": "owner-password-123"}
    )
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_user_added_in_the_admin_starts_with_an_inbox(admin_client, django_user_model):
    password = "a-long-enough-password"
    form = {"username": "newbie", "password1": password, "password2": password}
    response = admin_client.post(reverse("admin:auth_user_add"), form | {"usable_password": "true"})
    assert response.status_code == 302
    user = django_user_model.objects.get(username="newbie")
    assert [task_list.name for task_list in TaskList.objects.owned_by(user)] == ["Inbox"]
