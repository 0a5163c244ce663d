"""The admin: change lists, search, bulk actions (who may reach it: test_access.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.locks import waits_for_the_list_first
from todos.models import Activity, Task, TaskList, Verb


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


def _task_form(task: Task, **changes: object) -> dict[str, object]:
    """The admin's change form of an open task as it stands, with changes."""
    fields = {"list": task.list_id, "title": task.title, "priority": task.priority}
    return {**fields, "notes": "", "position": task.position, **changes}


ADMIN_WRITES = {
    "change": lambda task, later: (
        reverse("admin:todos_task_change", args=[task.pk]),
        _task_form(task, title="Changed"),
    ),
    "move": lambda task, later: (
        reverse("admin:todos_task_change", args=[task.pk]),
        _task_form(task, list=later.pk),
    ),
    "delete": lambda task, later: (
        reverse("admin:todos_task_delete", args=[task.pk]),
        {"post": "yes"},
    ),
    "delete selected": lambda task, later: (
        reverse("admin:todos_task_changelist"),
        {"action": "delete_selected", "_selected_action": [task.pk], "post": "yes"},
    ),
    "delete the list": lambda task, later: (
        reverse("admin:todos_tasklist_delete", args=[task.list_id]),
        {"post": "yes"},
    ),
    "delete selected lists": lambda task, later: (
        reverse("admin:todos_tasklist_changelist"),
        {"action": "delete_selected", "_selected_action": [task.list_id], "post": "yes"},
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", ADMIN_WRITES)
def test_the_admins_task_and_list_writes_wait_for_the_list_before_locking_a_task(
    admin_client, inbox, make_task, write
):
    task = make_task(inbox, "Buy milk")
    done = make_task(inbox, "Pay rent", done=True)
    later = TaskList.objects.create(owner=inbox.owner, name="Later")
    url, data = ADMIN_WRITES[write](task, later)
    response = waits_for_the_list_first(
        lambda: admin_client.post(url, data), inbox.pk, [task.pk, done.pk]
    )
    assert response.status_code == 302
    for task_list in TaskList.objects.all():
        assert task_list.counts == Task.objects.in_list(task_list).counts()


def test_the_admin_moving_a_task_recounts_both_lists(admin_client, inbox, make_task):
    task = make_task(inbox, "Buy milk")
    later = TaskList.objects.create(owner=inbox.owner, name="Later")
    url = reverse("admin:todos_task_change", args=[task.pk])
    assert admin_client.post(url, _task_form(task, list=later.pk)).status_code == 302
    inbox.refresh_from_db()
    later.refresh_from_db()
    assert (inbox.counts, later.counts) == ({"open": 0, "done": 0}, {"open": 1, "done": 0})
    task.refresh_from_db()
    assert task.version == 2, "an admin's save is a write like any other"


def test_the_admin_adding_a_task_counts_it(admin_client, inbox):
    url = reverse("admin:todos_task_add")
    data = {"list": inbox.pk, "title": "Added", "priority": "normal", "notes": "", "position": 0}
    assert admin_client.post(url, data).status_code == 302
    inbox.refresh_from_db()
    assert inbox.counts == {"open": 1, "done": 0}


def test_the_admin_deleting_tasks_leaves_them_in_the_lists_history(admin_client, inbox, make_task):
    tasks = [make_task(inbox, f"Task {n}") for n in range(3)]
    data = {"action": "delete_selected", "_selected_action": [t.pk for t in tasks], "post": "yes"}
    assert admin_client.post(reverse("admin:todos_task_changelist"), data).status_code == 302
    inbox.refresh_from_db()
    assert inbox.counts == {"open": 0, "done": 0}
    entry = Activity.objects.get(task_list=inbox, verb=Verb.DELETE)
    assert (entry.actor.is_superuser, entry.subject) == (True, "3 tasks")
