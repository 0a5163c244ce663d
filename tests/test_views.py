import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from todos.models import Task, TaskList
from todos.views import PAGE_SIZE

INDEX = reverse("todos:index")


def add_url(task_list):
    return reverse("todos:create", args=[task_list.pk])


# The tasks page ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_the_tasks_page_shows_the_users_tasks_and_counter(owner_client, inbox, make_task):
    make_task(inbox, "Buy milk")
    make_task(inbox, "Call mum", done=True)
    make_task(inbox, "Pay rent")
    page = owner_client.get(INDEX).content.decode()
    assert 'aria-label="Tasks"' in page
    assert "Buy milk" in page and "Call mum" in page
    assert "2 items left" in page
    assert "Clear completed" in page
    assert "Mark all as complete" in page


def test_counter_says_one_item_and_hides_clear_completed_when_nothing_is_done(
    owner_client, inbox, make_task
):
    make_task(inbox, "Only one")
    page = owner_client.get(INDEX).content.decode()
    assert "1 item left" in page
    assert "Clear completed" not in page


def test_an_empty_list_tells_a_new_user_what_to_do(owner_client):
    page = owner_client.get(INDEX).content.decode()
    assert "Nothing to do yet" in page
    assert "0 items left" in page


def test_it_hides_other_users_tasks(owner_client, other_inbox, make_task):
    make_task(other_inbox, "Mallory's secret")
    assert "Mallory's secret" not in owner_client.get(INDEX).content.decode()


@pytest.mark.parametrize(
    ("query", "expected", "hidden"),
    [
        ("?filter=active", "Open task", "Done task"),
        ("?filter=completed", "Done task", "Open task"),
        ("?q=open", "Open task", "Done task"),
        ("?filter=bogus", "Done task", "nothing-hidden"),
    ],
)
def test_filters_and_search_are_in_the_url(owner_client, inbox, make_task, query, expected, hidden):
    make_task(inbox, "Open task")
    make_task(inbox, "Done task", done=True)
    page = owner_client.get(inbox.get_absolute_url() + query).content.decode()
    assert expected in page
    assert hidden not in page


def test_the_current_filter_is_marked_and_kept_in_forms(owner_client, inbox, make_task):
    make_task(inbox, "Open task")
    page = owner_client.get(inbox.get_absolute_url() + "?filter=active&q=open").content.decode()
    assert f'href="/lists/{inbox.pk}/?filter=active&amp;q=open" aria-current="page">Active' in page
    assert f'name="next" value="/lists/{inbox.pk}/?filter=active&amp;q=open"' in page


def test_long_lists_are_paginated(owner_client, inbox):
    Task.objects.bulk_create(
        Task(list=inbox, title=f"Task {n:03}", position=n) for n in range(PAGE_SIZE + 5)
    )
    first = owner_client.get(INDEX)
    assert len(first.context["tasks"]) == PAGE_SIZE
    assert first.context["has_next"]
    second = owner_client.get(inbox.get_absolute_url() + "?page=2")
    assert [t.title for t in second.context["tasks"]] == [f"Task {n:03}" for n in range(50, 55)]
    assert not second.context["has_next"]
    assert "Previous page" in second.content.decode()


def _tasks_page_queries(client, task_list, count, django_assert_max_num_queries):
    Task.objects.in_list(task_list).delete()
    Task.objects.bulk_create(
        Task(list=task_list, title=f"Task {n}", position=n) for n in range(count)
    )
    # session, user, the user's lists, the open/done counts, one page of tasks
    with django_assert_max_num_queries(5) as captured:
        response = client.get(INDEX)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_tasks_page_query_count_does_not_grow_with_the_list(
    owner_client, inbox, django_assert_max_num_queries
):
    few = _tasks_page_queries(owner_client, inbox, 10, django_assert_max_num_queries)
    many = _tasks_page_queries(owner_client, inbox, 1000, django_assert_max_num_queries)
    assert few == many == 5


def test_overdue_tasks_are_marked(owner_client, inbox, make_task):
    make_task(inbox, "Late", due_date=dt.date(2000, 1, 1))
    make_task(inbox, "Late but done", due_date=dt.date(2000, 1, 1), done=True)
    page = owner_client.get(INDEX).content.decode()
    assert page.count("Overdue:") == 1


def test_titles_are_html_escaped(owner_client, inbox, make_task):
    make_task(inbox, '<script>alert("x")</script>')
    page = owner_client.get(INDEX).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


# Adding -----------------------------------------------------------------------------------------


def test_adding_trims_the_title_and_redirects_back_keeping_the_filter(owner_client, inbox):
    response = owner_client.post(
        add_url(inbox), {"title": "  Buy milk  ", "next": "/?filter=active&q=milk"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/lists/{inbox.pk}/?filter=active&q=milk"
    assert list(Task.objects.in_list(inbox).values_list("title", flat=True)) == ["Buy milk"]


def test_adding_to_a_long_list_shows_the_page_the_task_lands_on(owner_client, inbox):
    Task.objects.bulk_create(Task(list=inbox, title=f"T{n}", position=n) for n in range(PAGE_SIZE))
    response = owner_client.post(add_url(inbox), {"title": "The 51st", "next": "/"})
    assert response["Location"] == f"/lists/{inbox.pk}/?page=2"
    assert "The 51st" in owner_client.get(response["Location"]).content.decode()


def test_adding_appends_at_the_end(owner_client, inbox, make_task):
    make_task(inbox, "first")
    owner_client.post(add_url(inbox), {"title": "second"})
    assert [t.title for t in Task.objects.in_list(inbox)] == ["first", "second"]


def test_a_4_byte_emoji_title_round_trips(owner_client, inbox):
    owner_client.post(add_url(inbox), {"title": "Feed the 🐈 and 🦖"})
    assert Task.objects.get().title == "Feed the 🐈 and 🦖"
    assert "Feed the 🐈 and 🦖" in owner_client.get(INDEX).content.decode()


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Give the task a title."),
        ("   \t ", "Give the task a title."),
        ("x" * 201, "Keep the title to 200 characters or fewer."),
    ],
    ids=["empty", "whitespace", "201-characters"],
)
def test_a_bad_title_shows_an_error_and_adds_nothing(owner_client, inbox, title, message):
    response = owner_client.post(add_url(inbox), {"title": title})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Task.objects.exists()


def test_a_200_character_title_is_accepted(owner_client, inbox):
    owner_client.post(add_url(inbox), {"title": "x" * 200})
    assert Task.objects.get().title == "x" * 200


def test_next_cannot_redirect_off_site(owner_client, inbox, make_task):
    task = make_task(inbox)
    response = owner_client.post(
        reverse("todos:toggle", args=[task.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == inbox.get_absolute_url()


# Toggling, deleting, bulk actions ----------------------------------------------------------------


def test_toggle_completes_and_reopens(owner_client, inbox, make_task):
    task = make_task(inbox)
    owner_client.post(reverse("todos:toggle", args=[task.pk]))
    task.refresh_from_db()
    assert task.done and task.completed_at is not None
    owner_client.post(reverse("todos:toggle", args=[task.pk]))
    task.refresh_from_db()
    assert not task.done and task.completed_at is None


def test_delete_removes_the_task(owner_client, inbox, make_task):
    task = make_task(inbox)
    response = owner_client.post(reverse("todos:delete", args=[task.pk]))
    assert response.status_code == 302
    assert not Task.objects.exists()


def test_toggle_all_completes_all_then_reopens_all(owner_client, inbox, make_task):
    make_task(inbox, "a")
    make_task(inbox, "b", done=True)
    url = reverse("todos:toggle-all", args=[inbox.pk])
    owner_client.post(url)
    assert Task.objects.in_list(inbox).counts() == {"open": 0, "done": 2}
    owner_client.post(url)
    assert Task.objects.in_list(inbox).counts() == {"open": 2, "done": 0}


def test_clear_completed_deletes_only_done_tasks_of_that_list(
    owner_client, owner, inbox, make_task
):
    other_list = TaskList.objects.create(owner=owner, name="Work")
    make_task(inbox, "open")
    make_task(inbox, "done", done=True)
    make_task(other_list, "done elsewhere", done=True)
    owner_client.post(reverse("todos:clear-completed", args=[inbox.pk]))
    assert sorted(Task.objects.values_list("title", flat=True)) == ["done elsewhere", "open"]


# Editing ----------------------------------------------------------------------------------------


def test_the_edit_page_has_the_contract_fields(owner_client, inbox, make_task):
    task = make_task(inbox)
    page = owner_client.get(reverse("todos:edit", args=[task.pk])).content.decode()
    for label in ("Title", "Notes", "Due date", "Priority"):
        assert f">{label}</label>" in page
    assert ">Save</button>" in page


def test_editing_saves_every_field(owner_client, owner, inbox, make_task):
    task = make_task(inbox)
    work = TaskList.objects.create(owner=owner, name="Work")
    response = owner_client.post(
        reverse("todos:edit", args=[task.pk]),
        {
            "title": " Buy oat milk 🥛 ",
            "notes": "Two cartons",
            "due_date": "2026-12-24",
            "priority": "high",
            "list": work.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()
    task.refresh_from_db()
    assert (task.title, task.notes, task.due_date, task.priority, task.list) == (
        "Buy oat milk 🥛",
        "Two cartons",
        dt.date(2026, 12, 24),
        "high",
        work,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "  ", "Give the task a title."),
        ("title", "x" * 201, "Keep the title to 200 characters or fewer."),
        ("due_date", "2026-13-45", "Enter a date as YYYY-MM-DD."),
        ("priority", "urgent", "Select a valid choice."),
        ("list", "999999", "Select a valid choice."),
    ],
)
def test_bad_edits_show_an_error_and_change_nothing(
    owner_client, inbox, make_task, field, value, message
):
    task = make_task(inbox, "Original")
    data = {"title": "Changed", "notes": "", "due_date": "", "priority": "low", "list": inbox.pk}
    data[field] = value
    response = owner_client.post(reverse("todos:edit", args=[task.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    task.refresh_from_db()
    assert (task.title, task.priority) == ("Original", "normal")


def test_a_task_cannot_be_moved_into_another_users_list(
    owner_client, inbox, other_inbox, make_task
):
    task = make_task(inbox)
    data = {"title": "x", "priority": "normal", "list": other_inbox.pk}
    response = owner_client.post(reverse("todos:edit", args=[task.pk]), data)
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.list == inbox


# Lists ------------------------------------------------------------------------------------------


def test_creating_renaming_and_deleting_lists(owner_client, owner, inbox, make_task):
    response = owner_client.post(reverse("todos:list-create"), {"name": "Work"})
    work = TaskList.objects.get(owner=owner, name="Work")
    assert response["Location"] == work.get_absolute_url()
    make_task(work, "Report")
    page = owner_client.get(work.get_absolute_url()).content.decode()
    assert "Report" in page and 'aria-current="page">Work' in page

    owner_client.post(reverse("todos:list-edit", args=[work.pk]), {"name": "Office"})
    work.refresh_from_db()
    assert work.name == "Office"

    owner_client.post(reverse("todos:list-delete", args=[work.pk]))
    assert list(TaskList.objects.for_user(owner)) == [inbox]
    assert not Task.objects.filter(title="Report").exists()


def test_duplicate_list_names_are_refused(owner_client, owner, inbox):
    response = owner_client.post(reverse("todos:list-create"), {"name": "Inbox"}, follow=True)
    assert "You already have a list called “Inbox”." in response.content.decode()
    assert TaskList.objects.for_user(owner).count() == 1


def test_the_last_list_cannot_be_deleted(owner_client, owner, inbox):
    response = owner_client.post(reverse("todos:list-delete", args=[inbox.pk]), follow=True)
    assert "You need at least one list" in response.content.decode()
    assert TaskList.objects.for_user(owner).count() == 1


def test_a_user_without_lists_is_offered_a_new_list_and_the_get_writes_nothing(
    client_for, django_user_model
):
    user = django_user_model.objects.create_user("newbie", password="x")
    response = client_for(user).get(INDEX)
    assert response.status_code == 200
    assert "No lists yet" in response.content.decode()
    assert 'id="new-list-name"' in response.content.decode()
    assert not TaskList.objects.for_user(user).exists()


# Access control, methods, CSRF -----------------------------------------------------------------

TASK_ACTIONS = [
    ("get", "todos:edit"),
    ("post", "todos:edit"),
    ("post", "todos:toggle"),
    ("post", "todos:delete"),
]
LIST_ACTIONS = [
    ("get", "todos:list"),
    ("get", "todos:list-edit"),
    ("post", "todos:list-edit"),
    ("post", "todos:list-delete"),
    ("post", "todos:create"),
    ("post", "todos:toggle-all"),
    ("post", "todos:clear-completed"),
]


@pytest.mark.parametrize(("method", "name"), TASK_ACTIONS)
def test_every_action_on_another_users_task_is_a_404(
    owner_client, other_inbox, make_task, method, name
):
    task = make_task(other_inbox, "Not yours", done=True)
    data = {"title": "hijacked", "priority": "low", "list": other_inbox.pk}
    response = getattr(owner_client, method)(reverse(name, args=[task.pk]), data)
    assert response.status_code == 404
    task.refresh_from_db()
    assert (task.title, task.done, task.priority) == ("Not yours", True, "normal")


@pytest.mark.parametrize(("method", "name"), LIST_ACTIONS)
def test_every_action_on_another_users_list_is_a_404(
    owner_client, other_inbox, make_task, method, name
):
    make_task(other_inbox, "Not yours", done=True)
    response = getattr(owner_client, method)(
        reverse(name, args=[other_inbox.pk]), {"title": "x", "name": "x"}
    )
    assert response.status_code == 404
    assert list(Task.objects.in_list(other_inbox).values_list("title", "done")) == [
        ("Not yours", True)
    ]
    other_inbox.refresh_from_db()
    assert other_inbox.name == "Inbox"


@pytest.mark.parametrize("name", ["todos:edit", "todos:toggle", "todos:delete"])
def test_unknown_ids_are_a_404(owner_client, name):
    assert owner_client.post(reverse(name, args=[987654])).status_code == 404


@pytest.mark.parametrize(
    "name", ["todos:toggle", "todos:delete", "todos:toggle-all", "todos:clear-completed"]
)
def test_actions_refuse_get_with_405(owner_client, inbox, make_task, name):
    task = make_task(inbox)
    target = task.pk if name in {"todos:toggle", "todos:delete"} else inbox.pk
    assert owner_client.get(reverse(name, args=[target])).status_code == 405
    assert Task.objects.get().done is False


@pytest.mark.parametrize("name", ["todos:toggle", "todos:delete"])
def test_a_get_on_another_users_task_action_is_a_404_not_a_405(
    owner_client, other_inbox, make_task, name
):
    task = make_task(other_inbox, "Not yours")
    assert owner_client.get(reverse(name, args=[task.pk])).status_code == 404


@pytest.mark.parametrize("name", ["todos:toggle-all", "todos:clear-completed", "todos:create"])
def test_a_get_on_another_users_list_action_is_a_404_not_a_405(owner_client, other_inbox, name):
    assert owner_client.get(reverse(name, args=[other_inbox.pk])).status_code == 404


def test_logout_refuses_get(owner_client):
    assert owner_client.get(reverse("logout")).status_code == 405


def test_posts_without_a_csrf_token_are_refused(owner, inbox, make_task):
    task = make_task(inbox)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(add_url(inbox), {"title": "sneaky"}).status_code == 403
    assert client.post(reverse("todos:delete", args=[task.pk])).status_code == 403
    assert list(Task.objects.values_list("title", flat=True)) == ["Buy milk"]


def test_posts_with_the_pages_csrf_token_work(owner, inbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(INDEX)
    token = client.cookies["csrftoken"].value
    response = client.post(add_url(inbox), {"title": "legit", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Task.objects.get().title == "legit"
