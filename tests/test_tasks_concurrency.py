"""Tasks under concurrent writes, over HTTP against a real gunicorn.

* 20 clients x 50 adds at once into one list: exactly 1,000 tasks, each title once, no 5xx.
* a task deleted (by clear-completed, another tab) between a toggle's or an edit's read and its
  write: the request answers 302 or 404, never 500, and the deleted task does not come back.
  The proxy holds the view's UPDATE while the test deletes the row, so this race is exact.
* toggle-all, clear-completed, single toggles and adds racing on one list: afterwards every task
  is either done with a completion time or open without one, the page's counter matches the rows,
  and the rows add up: those at the start, plus those added, minus those the "Cleared N completed
  tasks" messages and the history's deletions counted; readers viewing the page meanwhile keep it
  in every worker, and afterwards every worker serves the same, exact page.
* four ticks of one repeating task's occurrence at once, in rounds: it moves on exactly once.

Nothing here asserts on timing: the machine is small and shared.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from tests.support.db import bulk_tasks, db_url
from tests.support.http import HttpClient, Response, session_cookies
from tests.support.live import AppProcess, app_serving
from todos import services
from todos.models import Activity, Membership, Role, Task, TaskList, Verb, assignable_users

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 20
ADDS_PER_CLIENT = 50


@pytest.fixture(scope="module")
def server(django_db_setup: None) -> Iterator[AppProcess]:
    with app_serving(db_url(), workers=4) as server:
        yield server


def _run_at_once(workers: list[Callable[[], None]]) -> None:
    """Start every worker on the same barrier; re-raise the first failure."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    if errors:
        raise errors[0]


def _errors_in(log: str) -> str:
    """The server's error lines, for an assertion message."""
    lines = log.splitlines()
    return "\n".join(line for line in lines if "Error" in line or "error" in line)[-3000:]


def _messages(response: Response) -> list[str]:
    """The flash messages a response set (Django's signed messages cookie)."""
    value = response.cookies.get("messages")
    if not value:
        return []
    decoded = CookieStorage(HttpRequest())._decode(value) or []  # type: ignore[attr-defined]
    return [str(message) for message in decoded]


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_twenty_clients_adding_fifty_tasks_each_store_exactly_one_thousand(server, owner, inbox):
    url = reverse("todos:create", args=[inbox.pk])
    clients = [server.client(session_cookies(owner)) for _ in range(CLIENTS)]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def adder(number: int, client: HttpClient) -> Callable[[], None]:
        def work() -> None:
            for item in range(ADDS_PER_CLIENT):
                response = client.post(url, {"title": f"client {number} task {item} 🦄"})
                with lock:
                    statuses[response.status] += 1

        return work

    _run_at_once([adder(number, client) for number, client in enumerate(clients)])

    titles = list(Task.objects.in_list(inbox).values_list("title", flat=True))
    positions = Counter(Task.objects.in_list(inbox).values_list("position", flat=True))
    print(  # the run's figures (shown with -rP)
        f"concurrent adds: {len(titles)} rows from {CLIENTS}x{ADDS_PER_CLIENT} posts, "
        f"statuses {dict(statuses)}, positions shared by more than one task: "
        f"{sum(1 for count in positions.values() if count > 1)}"
    )
    assert statuses == {302: CLIENTS * ADDS_PER_CLIENT}
    assert len(titles) == CLIENTS * ADDS_PER_CLIENT
    # Adds lock their list row, so no two tasks share a position.
    assert sorted(positions) == list(range(CLIENTS * ADDS_PER_CLIENT))
    assert Counter(titles) == Counter(
        f"client {n} task {i} 🦄" for n in range(CLIENTS) for i in range(ADDS_PER_CLIENT)
    )
    page = clients[0].get(inbox.get_absolute_url())
    assert page.status == 200
    assert f"{CLIENTS * ADDS_PER_CLIENT} items left" in page.text
    inbox.refresh_from_db()
    assert inbox.counts == {"open": CLIENTS * ADDS_PER_CLIENT, "done": 0}


def test_racing_toggle_all_clear_completed_and_toggles_leave_a_consistent_list(
    server, owner, inbox
):
    rng = random.Random(6)
    tasks = bulk_tasks(inbox, 300, done_every=2)
    other = TaskList.objects.create(owner=owner, name="Untouched")
    bystander = Task.objects.create(
        list=other, title="Bystander", done=True, completed_at=timezone.now()
    )
    services.recount_lists(list_ids=[inbox.pk, other.pk])
    ids = [task.pk for task in tasks]
    initial = len(ids)
    toggle_all = reverse("todos:toggle-all", args=[inbox.pk])
    clear = reverse("todos:clear-completed", args=[inbox.pk])
    add = reverse("todos:create", args=[inbox.pk])
    page_url = inbox.get_absolute_url()
    cleared: list[int] = []
    added: list[int] = []
    problems: list[str] = []
    lock = threading.Lock()

    posts = {
        "toggle-all": (toggle_all, {}),
        "clear": (clear, {}),
        "add": (add, {"title": "Added in the race"}),
    }

    def send(client: HttpClient, action: str, plan: random.Random) -> Response:
        if action == "view":  # readers keep pages in every worker meanwhile
            return client.get(page_url)
        if action in posts:
            return client.post(*posts[action])
        return client.post(reverse(f"todos:{action}", args=[plan.choice(ids)]))

    def racer(client: HttpClient, seed: int) -> Callable[[], None]:
        plan = random.Random(seed)
        actions = ["toggle-all", "clear", "clear", "toggle", "toggle", "add", "delete", "view"]

        def work() -> None:
            for _ in range(25):
                action = plan.choice(actions)
                response = send(client, action, plan)
                client.cookies.pop("messages", None)  # each response's messages on their own
                expected = {200} if action == "view" else {302}
                # A toggle or delete may find its task already gone: 404.
                if action in {"toggle", "delete"}:
                    expected.add(404)
                with lock:
                    if response.status not in expected:
                        problems.append(f"{action}: {response.status}")
                    if action == "add" and response.status == 302:
                        added.append(1)
                    for message in _messages(response):
                        if match := re.fullmatch(r"Cleared (\d+) completed tasks?\.", message):
                            cleared.append(int(match[1]))

        return work

    clients = [server.client(session_cookies(owner)) for _ in range(10)]
    _run_at_once([racer(client, rng.randrange(2**32)) for client in clients])

    # A delete that finds its task cleared meanwhile deletes nothing and records nothing.
    deleted = Activity.objects.filter(task_list=inbox, verb=Verb.DELETE).count()
    remaining = list(Task.objects.in_list(inbox).values_list("done", "completed_at"))
    counts = Task.objects.in_list(inbox).counts()
    print(
        f"race: {len(added)} adds, {deleted} deletes; "
        f"{len(cleared)} clear-completed requests removed "
        f"{sum(cleared)} tasks; "
        f"{len(remaining)} left ({counts['open']} open, {counts['done']} done)"
    )
    assert problems == [], _errors_in(server.output)
    assert all(
        (done and completed_at) or (not done and completed_at is None)
        for done, completed_at in remaining
    )
    assert counts["open"] + counts["done"] == len(remaining)
    assert initial + len(added) - sum(cleared) - deleted == len(remaining), (
        "every task is accounted for"
    )
    # The counters that todos.services keeps equal what the rows say.
    inbox.refresh_from_db()
    other.refresh_from_db()
    assert inbox.counts == counts
    assert other.counts == {"open": 0, "done": 1}
    # Every worker's next view is the list as it ended (a new connection each: any worker).
    pages = {_without_tokens(client.get(page_url).text) for client in clients}
    assert len(pages) == 1, "two workers served different pages of the same list"
    left = counts["open"]
    assert f"{left} item{'' if left == 1 else 's'} left" in pages.pop()
    bystander.refresh_from_db()
    assert bystander.done and bystander.completed_at is not None, "another list was touched"


@pytest.mark.parametrize(
    ("action", "statement"),
    [("toggle", b"UPDATE `todos_task` SET `done`"), ("edit", b"UPDATE `todos_task` SET `title`")],
)
def test_a_task_deleted_between_a_views_read_and_write_stays_deleted_and_no_500(
    proxied_server, proxy, owner, inbox, make_task, action, statement
):
    task = make_task(inbox, "Going away", done=True)
    browser = proxied_server.client(session_cookies(owner))
    url = reverse(f"todos:{action}", args=[task.pk])
    data = (
        {"title": "Edited", "priority": "high", "list": str(inbox.pk)} if action == "edit" else {}
    )
    hold = proxy.hold_when(statement)
    answer: list[Response] = []
    request = threading.Thread(target=lambda: answer.append(browser.post(url, data)))
    request.start()
    try:
        assert hold.seen.wait(timeout=30), "the view never reached its UPDATE"
        # Another tab's clear-completed, committed while the view sits between read and write.
        # (If the view locked the row, the delete waits for it instead: also fine.)
        deleting = threading.Thread(target=_delete_task, args=(task.pk,))
        deleting.start()
        deleting.join(timeout=1)
    finally:
        hold.release.set()
    request.join(timeout=60)
    deleting.join(timeout=60)
    assert answer, "no answer"
    assert answer[0].status in (302, 404), f"{action} answered {answer[0].status}"
    assert not Task.objects.filter(pk=task.pk).exists(), "the deleted task came back"


def _delete_task(task_id: int) -> None:
    try:
        Task.objects.filter(pk=task_id).delete()
    finally:
        connection.close()


MIXED_CLIENTS = 10
MIXED_ROUNDS = 20
MIXED_TASKS = 3  # few, so every round's clients write the same rows
EDITORS = ("erin", "ezra", "emma")


def _editor(username: str, shared_lists: list[TaskList]) -> User:
    user = User.objects.create_user(username, password=f"{username}-password-123")
    for task_list in shared_lists:
        services.share_list(task_list=task_list, username=username, role=Role.EDITOR, by=None)
    return user


def _editing_again(user: User, shared_lists: list[TaskList]) -> None:
    """Back to an editor of every list, whatever the last round made of them."""
    for task_list in shared_lists:
        membership = Membership.objects.filter(task_list=task_list, user=user).first()
        if membership is None:
            services.share_list(
                task_list=task_list, username=user.get_username(), role=Role.EDITOR, by=None
            )
        elif membership.role != Role.EDITOR:
            services.set_role(task_list=task_list, member=user, role=Role.EDITOR, by=None)


def test_ten_clients_mixing_edits_ticks_deletes_moves_and_member_changes_get_no_5xx(
    server, owner, inbox
):
    """Each round, ten clients (the owner and three editors) write the same few tasks at once:
    edits that assign them, moves between two lists, ticks, deletes, and the owner's removals
    and role changes of the editors. Every write locks lists before tasks, so none deadlocks."""
    elsewhere = services.create_list(owner=owner, name="Elsewhere")
    lists = [inbox, elsewhere]
    editors = [_editor(username, lists) for username in EDITORS]
    people = [owner, *editors]
    task_actions = ["edit", "edit", "move", "toggle", "toggle", "delete"]
    member_actions = ["remove", "role"]
    clients = [
        (user, server.client(session_cookies(user)))
        for user in [owner, owner, owner, *editors, *editors, editors[0]]
    ][:MIXED_CLIENTS]
    statuses: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    rng = random.Random(19)

    def post(client: HttpClient, action: str, task_id: int, plan: random.Random) -> Response:
        if action in {"toggle", "delete"}:
            return client.post(reverse(f"todos:{action}", args=[task_id]))
        if action in {"edit", "move"}:
            target = elsewhere if action == "move" else plan.choice(lists)
            assignee = plan.choice(["", *(str(person.pk) for person in people)])
            data = {
                "title": f"Edited {plan.randrange(1000)}",
                "priority": plan.choice(["low", "normal", "high"]),
                "list": str(target.pk),
                "assignee": assignee,
            }
            return client.post(reverse("todos:edit", args=[task_id]), data)
        task_list = plan.choice(lists)
        member = {"member": str(plan.choice(editors).pk)}
        if action == "remove":
            return client.post(reverse("todos:member-remove", args=[task_list.pk]), member)
        url = reverse("todos:member-role", args=[task_list.pk])
        return client.post(url, {**member, "role": plan.choice(list(Role))})

    def racer(user: User, client: HttpClient, ids: list[int], seed: int) -> Callable[[], None]:
        plan = random.Random(seed)
        actions = task_actions + (member_actions if user == owner else [])

        def work() -> None:
            for _ in range(2):
                action = plan.choice(actions)
                response = post(client, action, plan.choice(ids), plan)
                client.cookies.pop("messages", None)
                with lock:
                    statuses[(action, response.status)] += 1

        return work

    for _round in range(MIXED_ROUNDS):
        for editor in editors:
            _editing_again(editor, lists)
        ids = [
            services.add_task(task_list=inbox, title=f"Shared {n}", by=owner).task.pk
            for n in range(MIXED_TASKS)
        ]
        _run_at_once([racer(user, client, ids, rng.randrange(2**32)) for user, client in clients])

    print(f"mixed writers, {MIXED_ROUNDS} rounds: {dict(sorted(statuses.items()))}")
    failed = {key: count for key, count in statuses.items() if key[1] >= 500}
    assert failed == {}, _errors_in(server.output)
    # Everyone got an answer they can act on: done, refused (400, 403, 409) or gone (404).
    assert {status for _action, status in statuses} <= {302, 400, 403, 404, 409}
    for task_list in lists:
        task_list.refresh_from_db()
        assert task_list.counts == Task.objects.in_list(task_list).counts()
        holders = set(assignable_users(task_list).values_list("pk", flat=True))
        assigned = Task.objects.in_list(task_list).exclude(assignee=None)
        assert set(assigned.values_list("assignee_id", flat=True)) <= holders


ASSIGN_ROUNDS = 16


def test_assigning_a_task_to_an_editor_being_removed_never_leaves_it_with_them(
    server, owner, inbox, editor
):
    """Each round the owner, in two tabs, assigns a new task to erin and removes erin from the
    list at once. Whichever goes first, the task ends unassigned: the assignment is refused
    (400) or the removal takes it back."""
    assigning, removing = (server.client(session_cookies(owner)) for _ in range(2))
    remove_url = reverse("todos:member-remove", args=[inbox.pk])
    outcomes: Counter[tuple[str, int]] = Counter()
    kept: list[int] = []

    for round_number in range(ASSIGN_ROUNDS):
        services.share_list(task_list=inbox, username="erin", role=Role.EDITOR, by=None)
        task = services.add_task(task_list=inbox, title=f"Round {round_number}", by=owner).task
        edit_url = reverse("todos:edit", args=[task.pk])
        assignment = {"title": task.title, "priority": "normal", "list": str(inbox.pk)}
        assignment["assignee"] = str(editor.pk)
        answers: dict[str, Response] = {}
        _run_at_once(
            [
                _answer(answers, "assign", assigning, edit_url, assignment),
                _answer(answers, "remove", removing, remove_url, {"member": str(editor.pk)}),
            ]
        )
        for client in (assigning, removing):
            client.cookies.pop("messages", None)
        outcomes.update((action, response.status) for action, response in answers.items())
        task.refresh_from_db()
        if task.assignee_id is not None:
            kept.append(round_number)

    print(f"assigning while removing, {ASSIGN_ROUNDS} rounds: {dict(outcomes)}; kept by: {kept}")
    assert kept == [], "the task stayed assigned to someone no longer in the list"
    assert set(outcomes) <= {("assign", 302), ("assign", 400), ("remove", 302)}


def _answer(
    answers: dict[str, Response], name: str, client: HttpClient, url: str, data: dict[str, str]
) -> Callable[[], None]:
    def post() -> None:
        answers[name] = client.post(url, data)

    return post


def test_completions_of_one_repeating_occurrence_racing_move_it_on_exactly_once(
    server, owner, shared, editor
):
    """Each round, four clients (the owner and an editor, two tabs each) tick the same daily
    task due today at once, as its row sends the tick (with the due date it shows): one moves it
    to tomorrow, the others find it moved on and change nothing."""
    clients = [server.client(session_cookies(user)) for user in (owner, owner, editor, editor)]
    today = timezone.localdate()
    for round_number in range(5):
        task = Task.objects.create(
            list=shared,
            title=f"Water plants {round_number}",
            due_date=today,
            repeat_rule="FREQ=DAILY",
        )
        services.recount_lists(list_ids=[shared.pk])
        url = f"{reverse('todos:toggle', args=[task.pk])}?due={today.isoformat()}"
        statuses: list[int] = []

        def tick(client: HttpClient, url: str = url, statuses: list[int] = statuses) -> None:
            statuses.append(client.post(url, {"next": shared.get_absolute_url()}).status)

        _run_at_once([functools.partial(tick, client) for client in clients])

        task.refresh_from_db()
        assert statuses == [302] * len(clients), _errors_in(server.output)
        assert (task.done, task.due_date) == (False, today + dt.timedelta(days=1))
        completions = Activity.objects.filter(task_id=task.pk, verb=Verb.COMPLETE)
        assert completions.count() == 1
        shared.refresh_from_db()
        assert shared.counts == Task.objects.in_list(shared).counts()
