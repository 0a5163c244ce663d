"""todos.services under real concurrency: every rule holds when writers race, on real MySQL."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from tests.conftest import create_user
from tests.support.locks import waits_for_the_list_first
from todos import services, transfer
from todos.models import Activity, Role, Task, TaskList

ROUNDS = 5
RACERS = 4


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each result is a value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # the test inspects what each racer got
            results[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def racer(transactional_db: None) -> User:
    return create_user("racer", "racer-password-123")


def test_an_import_racing_adds_gives_every_task_its_own_position(racer):
    inbox = TaskList.objects.get(owner=racer)
    records = [{"name": inbox.name, "tasks": [{"title": f"imported {n}"} for n in range(20)]}]
    for _round in range(ROUNDS):
        results = race(
            lambda: transfer.import_data(racer, records),
            *[lambda: services.add_task(task_list=inbox, title="added", by=None)] * RACERS,
        )
        assert not [result for result in results if isinstance(result, Exception)]
    positions = list(Task.objects.in_list(inbox).values_list("position", flat=True))
    assert len(positions) == ROUNDS * (20 + RACERS)
    assert len(set(positions)) == len(positions)


def test_racing_adds_each_learn_how_many_tasks_come_before_theirs(racer):
    inbox = TaskList.objects.get(owner=racer)
    for _round in range(ROUNDS):
        results = race(*[lambda: services.add_task(task_list=inbox, title="added", by=None)] * 4)
        assert not [result for result in results if isinstance(result, Exception)]
        for added in results:
            before = Task.objects.in_list(inbox).filter(position__lt=added.task.position).count()
            assert added.place == before


def test_parallel_creates_of_one_list_name_make_one_list_and_a_form_error(racer):
    for round_number in range(ROUNDS):
        name = f"Groceries {round_number}"
        results = race(*[lambda name=name: services.create_list(owner=racer, name=name)] * RACERS)
        created = [result for result in results if isinstance(result, TaskList)]
        refused = [result for result in results if isinstance(result, ValidationError)]
        assert len(created) == 1
        assert len(refused) == RACERS - 1
        assert {error.code for error in refused} == {"duplicate"}
        assert TaskList.objects.filter(owner=racer, name=name).count() == 1


def test_parallel_renames_to_one_name_leave_one_list_of_that_name(racer):
    for round_number in range(ROUNDS):
        name = f"Work {round_number}"
        lists = [
            services.create_list(owner=racer, name=f"List {round_number}.{n}")
            for n in range(RACERS)
        ]
        results = race(
            *[
                lambda task_list=task_list, name=name: services.rename_list(
                    task_list=task_list, name=name, by=None
                )
                for task_list in lists
            ]
        )
        assert sum(isinstance(result, TaskList) for result in results) == 1
        assert sum(isinstance(result, ValidationError) for result in results) == RACERS - 1
        assert TaskList.objects.filter(owner=racer, name=name).count() == 1


def test_parallel_deletes_of_a_users_lists_keep_the_last_one(racer):
    for round_number in range(ROUNDS):
        services.create_list(owner=racer, name=f"Spare {round_number}")
        lists = list(TaskList.objects.filter(owner=racer))
        assert len(lists) == 2
        results = race(
            *[
                lambda task_list=task_list: services.delete_list(task_list=task_list)
                for task_list in lists
            ]
        )
        refused = [result for result in results if isinstance(result, ValidationError)]
        assert [error.code for error in refused] == ["last_list"]
        assert TaskList.objects.filter(owner=racer).count() == 1


def test_a_task_moved_to_another_list_goes_last_there(owner, inbox, make_task):
    work = services.create_list(owner=owner, name="Work")
    make_task(work, "Already there")
    make_task(work, "Also there")
    task = make_task(inbox, "Moving")
    moved = services.edit_task(task=task, changes={"list": work, "title": "Moved"}, by=owner)
    assert (moved.list, moved.title) == (work, "Moved")
    assert [t.title for t in Task.objects.in_list(work)] == ["Already there", "Also there", "Moved"]


def test_an_edit_of_a_deleted_task_raises_and_brings_nothing_back(owner, inbox, make_task):
    task = make_task(inbox, "Gone")
    services.delete_task(task=task, by=None)
    with pytest.raises(Task.DoesNotExist):
        services.edit_task(task=task, changes={"title": "Back?"}, by=owner)
    assert not Task.objects.filter(pk=task.pk).exists()


def test_an_admin_save_of_a_task_deleted_meanwhile_raises_and_brings_nothing_back(inbox, make_task):
    opened = make_task(inbox, "Gone")
    services.delete_task(task=Task.objects.get(pk=opened.pk), by=None)
    opened.title = "Back?"
    with pytest.raises(Task.DoesNotExist):
        services.save_task(task=opened, was_in=inbox.pk)
    assert not Task.objects.filter(pk=opened.pk).exists()


@pytest.mark.parametrize("write", [services.toggle_task, services.delete_task])
def test_a_tick_or_delete_of_a_task_moved_away_meanwhile_finds_it_gone(
    owner, inbox, make_task, write
):
    seen = make_task(inbox, "Moving")
    work = services.create_list(owner=owner, name="Work")
    services.edit_task(task=Task.objects.get(pk=seen.pk), changes={"list": work}, by=owner)
    if write is services.toggle_task:
        with pytest.raises(Task.DoesNotExist):
            write(task=seen, by=owner)
    else:
        write(task=seen, by=owner)
    moved = Task.objects.get(pk=seen.pk)
    assert (moved.list_id, moved.done) == (work.pk, False)
    work.refresh_from_db()
    assert work.counts == {"open": 1, "done": 0}


def test_a_tick_of_a_task_written_since_it_was_read_ticks_it_as_it_is_now(owner, inbox, make_task):
    read = make_task(inbox, "Buy milk")
    services.toggle_task(task=Task.objects.get(pk=read.pk), by=owner)  # done, by another tab
    reopened = services.toggle_task(task=read, by=owner)  # read while open: version 1
    assert (reopened.done, reopened.version) == (False, 3)
    stored = Task.objects.get(pk=read.pk)
    assert (stored.done, stored.completed_at, stored.version) == (False, None, 3)
    inbox.refresh_from_db()
    assert inbox.counts == {"open": 1, "done": 0}
    assert [entry.verb for entry in Activity.objects.filter(task_id=read.pk)] == [
        "reopen",
        "complete",
    ]


def test_a_tick_as_read_leaves_the_task_it_returns_as_stored(owner, inbox, make_task):
    ticked = services.toggle_task(task=make_task(inbox, "Buy milk"), by=owner)
    stored = Task.objects.get(pk=ticked.pk)
    assert (ticked.done, ticked.version) == (stored.done, stored.version) == (True, 2)
    assert ticked.completed_at == stored.completed_at


def test_new_tasks_go_past_every_position_the_list_ever_gave(owner, inbox, make_task):
    first, second = (services.add_task(task_list=inbox, title=t, by=owner).task for t in "ab")
    services.delete_task(task=second, by=owner)
    assert services.add_task(task_list=inbox, title="c", by=owner).task.position == 2
    make_task(inbox, "made directly", position=9)  # then recounted, as test data is
    assert services.add_task(task_list=inbox, title="d", by=owner).task.position == 10
    work = services.create_list(owner=owner, name="Work")
    services.add_task(task_list=work, title="there", by=owner)
    moved = services.edit_task(task=first, changes={"list": work}, by=owner)
    assert moved.position == 1
    assert services.add_task(task_list=work, title="after", by=owner).task.position == 2


def test_an_edit_refuses_fields_that_are_not_editable(owner, inbox, make_task):
    task = make_task(inbox, "Fixed")
    with pytest.raises(ValueError, match="not editable"):
        services.edit_task(task=task, changes={"done": True}, by=owner)


def test_the_data_migration_gives_every_account_without_lists_an_inbox(owner, django_user_model):
    listless = django_user_model.objects.create_user("listless", password="x")
    migration = importlib.import_module("todos.migrations.0004_inbox_for_every_user")
    migration.create_inboxes(apps, None)
    assert [tl.name for tl in TaskList.objects.owned_by(listless)] == ["Inbox"]
    assert TaskList.objects.owned_by(owner).count() == 1  # one list already: nothing added


def test_the_list_counters_stay_exact_under_racing_single_task_writes(racer):
    inbox = TaskList.objects.get(owner=racer)

    def writer(first: Task, second: Task, third: Task) -> Callable[[], None]:
        def work() -> None:
            services.toggle_task(task=first, by=None)
            services.toggle_task(task=second, by=None)
            services.add_task(task_list=inbox, title="Added", by=None)
            services.delete_task(task=second, by=None)
            services.delete_task(task=third, by=None)
            services.toggle_task(task=first, by=None)
            services.toggle_task(task=first, by=None)

        return work

    for _round in range(ROUNDS):
        tasks = [
            services.add_task(task_list=inbox, title=f"Task {n}", by=None).task
            for n in range(RACERS * 3)
        ]
        shares = [tasks[n * 3 : n * 3 + 3] for n in range(RACERS)]
        results = race(*[writer(*share) for share in shares])
        assert not [result for result in results if isinstance(result, Exception)]
        inbox.refresh_from_db()
        assert inbox.counts == Task.objects.in_list(inbox).counts()
    assert inbox.counts == {"open": ROUNDS * RACERS, "done": ROUNDS * RACERS}


@pytest.fixture
def team(racer: User) -> dict[str, Any]:
    """The racer's Inbox with an editor, a task assigned to them and a done one, and a list
    "Later" made after the Inbox (a higher id)."""
    inbox = TaskList.objects.get(owner=racer)
    editor = create_user("erin", "editor-password-123")
    services.share_list(task_list=inbox, username="erin", role=Role.EDITOR, by=None)
    task = services.add_task(task_list=inbox, title="Assigned", by=None).task
    task = services.edit_task(task=task, changes={"assignee": editor}, by=None)
    done = services.toggle_task(
        task=services.add_task(task_list=inbox, title="Done", by=None).task, by=None
    )
    later = services.create_list(owner=racer, name="Later")
    series = services.add_task(task_list=inbox, title="Daily", by=None).task
    changes = {"due_date": timezone.localdate(), "repeat_rule": "FREQ=DAILY"}
    series = services.edit_task(task=series, changes=changes, by=None)
    services.set_reminder(task=series, user=editor, at=timezone.now() + dt.timedelta(hours=1))
    return {
        **{"inbox": inbox, "editor": editor, "task": task, "done": done, "later": later},
        "series": series,
    }


WRITES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "toggle": lambda team: services.toggle_task(task=team["task"], by=None),
    "delete": lambda team: services.delete_task(task=team["task"], by=None),
    "edit": lambda team: services.edit_task(task=team["task"], changes={"title": "New"}, by=None),
    "move": lambda team: services.edit_task(
        task=team["task"], changes={"list": team["later"], "assignee": None}, by=None
    ),
    "remove the assignee": lambda team: services.remove_member(
        task_list=team["inbox"], member=team["editor"], by=None
    ),
    "mark done": lambda team: services.set_done(tasks=Task.objects.all(), done=True, by=None),
    "delete many": lambda team: services.delete_tasks(tasks=Task.objects.all(), by=None),
    "purge": lambda team: services.purge_completed(before=timezone.now()),
    # Its reminder's row moves on with it, locked after the task's.
    "complete a repeating task": lambda team: services.toggle_task(task=team["series"], by=None),
    "set a reminder": lambda team: services.set_reminder(
        task=team["task"], user=team["editor"], at=timezone.now() + dt.timedelta(days=1)
    ),
    "add reminders": lambda team: services.add_reminders(
        reminders=[(team["task"].pk, team["editor"].pk, timezone.now() + dt.timedelta(days=1))]
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_task_write_waits_for_its_list_before_locking_a_task(team, write):
    inbox = team["inbox"]
    tasks = [team["task"].pk, team["done"].pk, team["series"].pk]
    waits_for_the_list_first(lambda: WRITES[write](team), inbox.pk, tasks)
    inbox.refresh_from_db()
    assert inbox.counts == Task.objects.in_list(inbox).counts()
