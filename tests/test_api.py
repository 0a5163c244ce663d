"""/api/v1/: what each operation does, its errors as problem details, its pages, its schema and
docs, and how many queries a read costs."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from api import services as token_services
from api.limits import WINDOW_SECONDS, _count_in_database
from api.models import RateCount, Scope, Token
from tests.support.api import PROBLEM, ROOT, Api, problem_type
from tests.support.live import free_port, require_in_ci
from todo_site.cache import RedisCache
from todos import services
from todos.models import Activity, Membership, Role, Task, TaskList, Verb

# --- lists ----------------------------------------------------------------------------------------


def test_it_lists_creates_renames_and_deletes_lists(as_owner, inbox, shared):
    assert [item["name"] for item in as_owner("GET", "/lists").json()] == ["Inbox"]
    created = as_owner("POST", "/lists", {"name": "  Work  "})
    assert created.status_code == 201
    work = created.json()
    assert (work["name"], work["owner"], work["role"]) == ("Work", "olivia", "owner")
    renamed = as_owner("PATCH", f"/lists/{work['id']}", {"name": "Job"})
    assert renamed.json()["name"] == "Job"
    assert as_owner("GET", f"/lists/{work['id']}").json()["name"] == "Job"
    assert as_owner("DELETE", f"/lists/{work['id']}").status_code == 204
    assert not TaskList.objects.filter(pk=work["id"]).exists()


def test_a_member_sees_a_shared_list_with_their_role(as_editor, shared):
    (listed,) = (item for item in as_editor("GET", "/lists").json() if item["id"] == shared.pk)
    assert (listed["owner"], listed["role"]) == ("olivia", "editor")


def test_a_taken_name_and_the_last_list_are_conflicts(as_owner, inbox):
    taken = as_owner("POST", "/lists", {"name": "inbox"})
    assert taken.status_code == 409 and problem_type(taken) == "conflict"
    assert taken.json()["reason"] == "duplicate"
    last = as_owner("DELETE", f"/lists/{inbox.pk}")
    assert last.status_code == 409 and last.json()["reason"] == "last_list"
    blank = as_owner("POST", "/lists", {"name": "\u200b"})
    assert blank.status_code == 422 and problem_type(blank) == "invalid"
    assert blank.json()["errors"][0]["loc"] == ["body", "name"]


# --- tasks ----------------------------------------------------------------------------------------


def test_it_adds_a_task_and_answers_201_with_it(as_owner, inbox):
    response = as_owner("POST", f"/lists/{inbox.pk}/tasks", {"title": "  Buy milk "})
    assert response.status_code == 201
    task = response.json()
    assert (task["title"], task["done"], task["list_id"]) == ("Buy milk", False, inbox.pk)
    assert Task.objects.get(pk=task["id"]).title == "Buy milk"
    assert as_owner("GET", f"/tasks/{task['id']}").json() == task


def test_a_task_needs_a_visible_title(as_owner, inbox):
    for body in ({"title": " "}, {"title": "x" * 201}, {}, {"title": None}):
        response = as_owner("POST", f"/lists/{inbox.pk}/tasks", body)
        assert response.status_code == 422 and problem_type(response) == "invalid", body
    assert not Task.objects.exists()


def test_a_page_shows_each_task_as_the_task_s_own_address_does(as_owner, inbox, editor, shared):
    services.add_task(task_list=inbox, title="Plain", by=None)
    task = services.add_task(task_list=inbox, title="Full", by=None).task
    services.edit_task(
        task=task,
        changes={"notes": "n", "due_date": dt.date(2030, 1, 31), "assignee": editor},
        by=None,
    )
    services.toggle_task(task=task, by=None)
    items = as_owner("GET", f"/lists/{inbox.pk}/tasks").json()["items"]
    assert [item["title"] for item in items] == ["Plain", "Full"]
    for item in items:
        assert item == as_owner("GET", f"/tasks/{item['id']}").json()
    assert items[1]["assignee"] == "erin" and items[1]["done"] and items[1]["completed_at"]


def test_it_filters_tasks(as_owner, inbox, editor, shared, make_task):
    today = timezone.now().date()
    make_task(inbox, "Buy milk", due_date=today)
    make_task(inbox, "Buy bread", done=True, due_date=today + dt.timedelta(days=3))
    make_task(inbox, "Call mum", assignee=editor)

    def titles(**query: Any) -> list[str]:
        response = as_owner("GET", f"/lists/{inbox.pk}/tasks", **query)
        assert response.status_code == 200, response.content
        return [task["title"] for task in response.json()["items"]]

    assert titles(limit=50) == ["Buy milk", "Buy bread", "Call mum"]
    assert titles(done="true") == ["Buy bread"]
    assert titles(done="false") == ["Buy milk", "Call mum"]
    assert titles(q="buy") == ["Buy milk", "Buy bread"]
    assert titles(due_before=(today + dt.timedelta(days=1)).isoformat()) == ["Buy milk"]
    assert titles(due_after=today.isoformat()) == ["Buy bread"]
    assert titles(assignee="erin") == ["Call mum"]
    assert titles(q="buy", done="false", due_after="2000-01-01") == ["Buy milk"]


def test_cursor_pages_return_every_task_once_in_the_list_order(as_owner, inbox, make_task):
    made = [make_task(inbox, f"Task {number}").pk for number in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = as_owner("GET", f"/lists/{inbox.pk}/tasks", **query).json()
        seen += [task["id"] for task in page["items"]]
        pages += 1
        # A task added meanwhile goes last: the pages still hold every task once.
        if pages == 1:
            made.append(make_task(inbox, "Added while paging").pk)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made and pages == 3


@pytest.mark.parametrize("cursor", ["nonsense", "WzFd", "eyJhIjogMX0", "WyJhIiwgMV0"])
def test_a_cursor_the_api_did_not_give_is_a_422(as_owner, inbox, cursor):
    response = as_owner("GET", f"/lists/{inbox.pk}/tasks", cursor=cursor)
    assert response.status_code == 422 and problem_type(response) == "invalid"


def test_a_partial_update_changes_only_what_is_sent(as_owner, inbox, make_task, shared):
    task = make_task(inbox, "Buy milk", notes="Oat", priority="high")
    response = as_owner("PATCH", f"/tasks/{task.pk}", {"due_date": "2030-01-02"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["notes"], body["priority"]) == ("Buy milk", "Oat", "high")
    assert body["due_date"] == "2030-01-02" and body["version"] == task.version + 1
    assigned = as_owner("PATCH", f"/tasks/{task.pk}", {"assignee": "erin", "notes": None})
    assert (assigned.json()["assignee"], assigned.json()["notes"]) == ("erin", "")
    entry = Activity.objects.filter(verb=Verb.EDIT).first()
    assert entry is not None and entry.changes == {"assignee": [None, "erin"], "notes": ["Oat", ""]}


def test_an_update_over_a_newer_version_is_a_409_and_saves_nothing(as_owner, inbox, make_task):
    task = make_task(inbox, "Buy milk")
    first = as_owner("PATCH", f"/tasks/{task.pk}", {"title": "Buy oat milk", "version": 1})
    assert first.status_code == 200
    stale = as_owner("PATCH", f"/tasks/{task.pk}", {"title": "Buy soy milk", "version": 1})
    assert stale.status_code == 409 and problem_type(stale) == "edit_conflict"
    assert stale.json()["current"]["title"] == "Buy oat milk"
    assert stale.json()["current"]["version"] == 2
    assert Task.objects.get(pk=task.pk).title == "Buy oat milk"


def test_an_update_keeps_the_pages_rules(as_owner, inbox, make_task, shared, other_inbox):
    task = make_task(inbox)
    for body in (
        {"assignee": "victor"},  # a viewer cannot hold a task
        {"assignee": "nobody-of-that-name"},
        {"list_id": other_inbox.pk},  # someone else's list
        {"title": ""},
        {"priority": "urgent"},
        {"version": 0},
    ):
        response = as_owner("PATCH", f"/tasks/{task.pk}", body)
        assert response.status_code == 422 and problem_type(response) == "invalid", body
    assert Task.objects.get(pk=task.pk).version == task.version


def test_a_task_moves_to_another_list_one_may_edit(as_owner, inbox, owner, make_task):
    work = services.create_list(owner=owner, name="Work")
    task = make_task(inbox)
    moved = as_owner("PATCH", f"/tasks/{task.pk}", {"list_id": work.pk})
    assert moved.json()["list_id"] == work.pk


def test_complete_and_reopen_set_the_state_whatever_it_was(as_owner, inbox, make_task):
    task = make_task(inbox)
    for action, done in (("complete", True), ("complete", True), ("reopen", False)):
        response = as_owner("POST", f"/tasks/{task.pk}/{action}")
        assert response.status_code == 200 and response.json()["done"] is done
    verbs = list(Activity.objects.filter(task=task).values_list("verb", flat=True))
    assert verbs == [Verb.REOPEN, Verb.COMPLETE]
    inbox.refresh_from_db()
    assert inbox.counts == {"open": 1, "done": 0}


def test_deleting_a_task(as_owner, inbox, make_task):
    task = make_task(inbox)
    assert as_owner("DELETE", f"/tasks/{task.pk}").status_code == 204
    assert as_owner("GET", f"/tasks/{task.pk}").status_code == 404


def test_assigned_to_me_pages_through_open_assignments_soonest_first(
    owner, as_editor, inbox, editor, shared, make_task
):
    today = timezone.now().date()
    work = services.create_list(owner=owner, name="Work")
    services.share_list(task_list=work, username="erin", role=Role.EDITOR, by=None)
    expected = [
        make_task(work, "Due today", assignee=editor, due_date=today).pk,
        make_task(inbox, "Due today too", assignee=editor, due_date=today).pk,
        make_task(inbox, "Due tomorrow", assignee=editor, due_date=today + dt.timedelta(1)).pk,
        make_task(inbox, "Whenever", assignee=editor).pk,
        make_task(work, "Whenever too", assignee=editor).pk,
    ]
    make_task(inbox, "Done already", assignee=editor, done=True)
    make_task(inbox, "Not mine")
    seen, cursor = [], None
    while True:
        page = as_editor("GET", "/assigned", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [task["id"] for task in page.json()["items"]]
        if (cursor := page.json()["next_cursor"]) is None:
            break
    assert sorted(seen[:2]) == sorted(expected[:2]) and seen[2:] == expected[2:3] + sorted(
        expected[3:], key=lambda pk: Task.objects.get(pk=pk).position * 10**9 + pk
    )


# --- members and activity -------------------------------------------------------------------------


def test_the_owner_shares_changes_roles_and_removes_members(as_owner, inbox, editor, viewer):
    shared = as_owner("POST", f"/lists/{inbox.pk}/members", {"username": "erin", "role": "editor"})
    assert shared.status_code == 201 and shared.json() == {"username": "erin", "role": "editor"}
    as_owner("POST", f"/lists/{inbox.pk}/members", {"username": "victor", "role": "viewer"})
    members = as_owner("GET", f"/lists/{inbox.pk}/members").json()
    assert members == [
        {"username": "erin", "role": "editor"},
        {"username": "victor", "role": "viewer"},
    ]
    changed = as_owner("PATCH", f"/lists/{inbox.pk}/members/erin", {"role": "viewer"})
    assert changed.json() == {"username": "erin", "role": "viewer"}
    assert as_owner("DELETE", f"/lists/{inbox.pk}/members/victor").status_code == 204
    assert list(Membership.objects.values_list("user__username", "role")) == [("erin", "viewer")]
    entry = Activity.objects.filter(verb=Verb.ROLE).get()
    assert entry.actor_id == inbox.owner_id


def test_sharing_mistakes_are_problems(as_owner, inbox, shared):
    cases = [
        ({"username": "nobody", "role": "viewer"}, 422, "invalid"),
        ({"username": "olivia", "role": "viewer"}, 409, "conflict"),
        ({"username": "erin", "role": "viewer"}, 409, "conflict"),
        ({"username": "erin", "role": "owner"}, 422, "invalid"),
    ]
    for body, status, code in cases:
        response = as_owner("POST", f"/lists/{inbox.pk}/members", body)
        assert (response.status_code, problem_type(response)) == (status, code), body
    missing = as_owner("DELETE", f"/lists/{inbox.pk}/members/mallory")
    assert missing.status_code == 404 and problem_type(missing) == "not_found"


def test_a_member_leaves(as_editor, shared, editor):
    assert as_editor("POST", f"/lists/{shared.pk}/leave").status_code == 204
    assert not Membership.objects.filter(user=editor).exists()
    assert as_editor("GET", f"/lists/{shared.pk}").status_code == 404


def test_the_activity_reads_newest_first_a_page_at_a_time(as_owner, inbox, owner):
    for number in range(5):
        services.add_task(task_list=inbox, title=f"Task {number}", by=owner)
    first = as_owner("GET", f"/lists/{inbox.pk}/activity", limit=3).json()
    second = as_owner(
        "GET", f"/lists/{inbox.pk}/activity", limit=3, cursor=first["next_cursor"]
    ).json()
    subjects = [entry["subject"] for entry in first["items"] + second["items"]]
    assert subjects == ["Task 4", "Task 3", "Task 2", "Task 1", "Task 0", "Inbox"]
    assert first["items"][0]["actor"] == "olivia" and first["items"][0]["verb"] == "add"
    assert second["next_cursor"] is None


# --- problems, the session, the schema ------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_400_problem(owner, inbox):
    client = Api(owner).client
    response = client.post(f"{ROOT}/lists", "{not json", content_type="application/json")
    assert response.status_code == 400 and problem_type(response) == "bad_request"


def test_schema_errors_are_422_problems_that_say_where(as_owner, inbox):
    response = as_owner("POST", "/lists", {"title": "wrong field"})
    assert response.status_code == 422 and problem_type(response) == "invalid"
    assert response.json()["errors"][0]["loc"] == ["body", "body", "name"]


def test_the_browser_session_reads_and_writes_with_the_csrf_token(owner, inbox, client_for):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.get(f"{ROOT}/lists").status_code == 200
    body = json.dumps({"name": "Work"})
    refused = client.post(f"{ROOT}/lists", body, content_type="application/json")
    assert refused.status_code == 403 and problem_type(refused) == "csrf_failed"
    assert not TaskList.objects.filter(name="Work").exists()
    client.get("/")  # the page sets the CSRF cookie, as a script on it would read it
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"{ROOT}/lists", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201


def test_the_openapi_document_and_the_docs_page_come_from_this_site(client, db):
    schema = client.get(f"{ROOT}/openapi.json").json()
    assert (
        schema["info"]["title"] == "todo" and f"{ROOT}/lists/{{list_id}}/tasks" in schema["paths"]
    )
    assert "BearerToken" in schema["components"]["securitySchemes"]
    refused = schema["paths"][f"{ROOT}/lists"]["post"]["responses"]["422"]
    assert list(refused["content"]) == [PROBLEM]
    docs = client.get(f"{ROOT}/docs")
    page = docs.content.decode()
    assert docs.status_code == 200 and "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "<script>" not in page
    assert "script-src" not in docs["Content-Security-Policy"]  # default-src 'self' covers it
    assert "default-src 'self'" in docs["Content-Security-Policy"]


# --- queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 60])
def test_reading_a_page_of_tasks_costs_four_queries_however_many(
    count, owner, inbox, editor, shared, make_task, django_assert_num_queries
):
    for number in range(count):
        make_task(inbox, f"Task {number}", assignee=editor if number % 2 else None)
    api = Api(owner)
    api("GET", "/lists")  # the token's last use is written now, not below
    # The token with its user, the rate count (in the database without CACHE_URL; in Redis with
    # it), the list with the caller's role, the page of tasks.
    with django_assert_num_queries(4):
        response = api("GET", f"/lists/{inbox.pk}/tasks", limit=50)
    assert len(response.json()["items"]) == min(count, 50)


def test_reading_with_the_session_costs_four_queries_too(
    owner, inbox, make_task, client_for, django_assert_num_queries
):
    for number in range(20):
        make_task(inbox, f"Task {number}")
    client = client_for(owner)
    # The session with its user, the rate count, the list with the caller's role, the page.
    with django_assert_num_queries(4):
        client.get(f"{ROOT}/lists/{inbox.pk}/tasks")


def test_revoked_tokens_are_not_listed_and_read_only_ones_are_said_so(owner, owner_client):
    token_services.create_token(user=owner, name="Phone", scope=Scope.READ)
    gone = token_services.create_token(user=owner, name="Old", scope=Scope.READ).token
    token_services.revoke_token(token=gone)
    page = owner_client.get("/accounts/").content.decode()
    assert "Revoke Phone" in page and "Revoke Old" not in page and "Read only" in page
    assert Token.objects.count() == 2


# --- conditional GET ------------------------------------------------------------------------------


def _again(api: Api, path: str, etag: str, **query: Any) -> Any:
    url = ROOT + path + (f"?{urlencode(query)}" if query else "")
    return api.client.get(url, headers={"If-None-Match": etag})


def test_a_page_of_tasks_is_304_until_the_list_changes(
    owner, inbox, make_task, django_assert_num_queries
):
    make_task(inbox, "Buy milk")
    api = Api(owner)
    path = f"/lists/{inbox.pk}/tasks"
    first = api("GET", path, done="false")
    etag = first["ETag"]
    assert etag.startswith('W/"') and "private" in first["Cache-Control"]
    # The token with its user, the rate count and the list: its version says the tasks are as
    # they were.
    with django_assert_num_queries(3):
        unchanged = _again(api, path, etag, done="false")
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag
    assert _again(api, path, etag, done="true").status_code == 200  # another question
    services.add_task(task_list=inbox, title="Buy bread", by=owner)
    changed = _again(api, path, etag, done="false")
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert len(changed.json()["items"]) == 2


def test_a_task_a_list_and_the_lists_are_304_until_they_change(owner, inbox, make_task):
    api = Api(owner)
    task = make_task(inbox, "Buy milk")
    for path, change in (
        (f"/tasks/{task.pk}", lambda: services.toggle_task(task=task, by=owner)),
        (f"/lists/{inbox.pk}", lambda: services.rename_list(task_list=inbox, name="In", by=owner)),
        ("/lists", lambda: services.create_list(owner=owner, name="Work")),
    ):
        etag = api("GET", path)["ETag"]
        assert _again(api, path, etag).status_code == 304, path
        assert _again(api, path, f'"other", {etag}').status_code == 304, path
        change()
        assert _again(api, path, etag).status_code == 200, path


# --- the rate limit -------------------------------------------------------------------------------


def _within_one_window() -> None:
    """Start where the minute's window has time left, so the counted calls share it."""
    into = time.time() % WINDOW_SECONDS
    if into > WINDOW_SECONDS - 10:
        time.sleep(WINDOW_SECONDS - into + 0.1)


def test_each_token_gets_its_own_rate_limit_then_429_with_retry_after(settings, owner, inbox):
    settings.API_RATE_LIMIT = 3
    first, second = Api(owner), Api(owner)
    _within_one_window()
    statuses = [first("GET", "/lists").status_code for _ in range(3)]
    refused = first("POST", "/lists", {"name": "Work"})
    assert statuses == [200, 200, 200] and refused.status_code == 429
    assert problem_type(refused) == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= WINDOW_SECONDS
    assert not TaskList.objects.filter(name="Work").exists()
    assert second("GET", "/lists").status_code == 200


def test_without_a_shared_cache_the_count_is_one_row_a_caller_in_the_database(db):
    assert [_count_in_database("token:1", 100) for _ in range(3)] == [1, 2, 3]
    assert _count_in_database("token:2", 100) == 1  # each caller counts apart
    assert [_count_in_database("token:1", 101) for _ in range(2)] == [1, 2]  # a new minute
    assert list(RateCount.objects.values_list("caller", "minute", "hits")) == [
        ("token:1", 101, 2),
        ("token:2", 100, 1),
    ]


def test_with_a_shared_cache_the_count_starts_at_one_and_expires_as_it_began():
    cache = RedisCache("redis://127.0.0.1:6379/9", {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    try:
        cache.get("ping")
    except Exception:  # whatever the client raises, Redis is not there
        require_in_ci("Redis at 127.0.0.1:6379 (.ci/run starts it)")
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("rate")
    try:
        assert cache.count("rate", timeout=120) == 1
        client.expire(key, 30)  # as if the window were half gone
        assert [cache.count("rate", timeout=120) for _ in range(2)] == [2, 3]
        assert 0 < client.ttl(key) <= 30  # later counts keep the first one's expiry
        assert cache.get("rate") == 3
    finally:
        cache.delete("rate")


def test_the_session_is_limited_per_user(settings, owner, inbox, client_for):
    settings.API_RATE_LIMIT = 2
    _within_one_window()
    statuses = [client_for(owner).get(f"{ROOT}/lists").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    settings.API_RATE_LIMIT = 0
    assert client_for(owner).get(f"{ROOT}/lists").status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("multipart/form-data", b"\x00", 400, "bad_request"),
        (
            "multipart/form-data; boundary=B",
            b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
            b"\r\nx\r\n--B--\r\n",
            415,
            "unsupported_media_type",
        ),
    ],
)
def test_a_body_the_session_s_csrf_check_cannot_read_is_a_4xx_problem(
    owner, inbox, content_type, body, status, code
):
    client = Client(enforce_csrf_checks=True, headers={"X-CSRFToken": "x" * 32})
    client.force_login(owner)
    client.cookies["csrftoken"] = "x" * 32
    response = client.generic("POST", f"{ROOT}/lists/{inbox.pk}/leave", body, content_type)
    assert response.status_code == status and problem_type(response) == code


def test_a_body_left_unreadable_by_the_csrf_check_is_a_400_problem_where_a_schema_reads_it(
    owner, inbox
):
    client = Client(enforce_csrf_checks=True, headers={"X-CSRFToken": "x" * 32})
    client.force_login(owner)
    client.cookies["csrftoken"] = "x" * 32
    body, content_type = b"\x00", "multipart/form-data; boundary=xyz"
    response = client.generic("POST", f"{ROOT}/lists/{inbox.pk}/members", body, content_type)
    assert response.status_code == 400 and problem_type(response) == "bad_request"


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/lists", "/api/v1/lists/1/x"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_api_address_is_a_404_problem(client, db, path, method):
    response = client.generic(method, path)
    assert response.status_code == 404 and problem_type(response) == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/lists", {"GET", "HEAD", "POST"}),
        ("DELETE", "/lists/{list}/tasks", {"GET", "HEAD", "POST"}),
        ("GET", "/tasks/{task}/complete", {"POST"}),
        ("HEAD", "/lists/{list}/leave", {"POST"}),
    ],
)
def test_a_method_an_address_does_not_take_is_a_405_problem_with_allow(
    as_owner, inbox, make_task, method, path, allowed
):
    path = path.format(list=inbox.pk, task=make_task(inbox, "Buy milk").pk)
    response = as_owner(method, path)
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == allowed
    if method != "HEAD":
        assert problem_type(response) == "method_not_allowed"


def test_a_cache_that_does_not_answer_costs_the_limit_not_the_api(settings, owner, inbox):
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    timeouts = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "todo_site.cache.RedisCache",
            "LOCATION": nobody_listens,
            "OPTIONS": timeouts,
        },
    }
    settings.CACHE_URL = nobody_listens
    settings.API_RATE_LIMIT = 1
    api = Api(owner)
    assert [api("GET", "/lists").status_code for _ in range(2)] == [200, 200]
