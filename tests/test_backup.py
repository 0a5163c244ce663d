"""Backups lose nothing.

* ``mariadb-dump --single-transaction`` of a populated database, restored into a fresh database
  on this server, has every row: ``CHECKSUM TABLE`` and a row-by-row comparison agree for every
  table. A writer commits list+tasks transactions during the dump; the restored copy holds each
  one whole or not at all (the dump is one consistent snapshot).
* ``export_tasks`` / ``import_tasks`` round trip (JSON and CSV) of 2,000 random tasks across
  several lists: every field of every task comes back.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction

from tests.support.db import drop_database, recreate_database
from tests.support.live import require_in_ci
from todo_site.database import CHARSET
from todos.models import Priority, Task, TaskList

pytestmark = pytest.mark.slow


# Characters real users type, paste or send: emoji (4-byte), RTL text and marks, combining
# accents, CJK, quotes, backslashes, tabs and Windows newlines (browsers send textareas as CRLF).
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.;:!?-_()[]{}'\"`\\/%&@#$"
    "éèêëçñßøåæœÆŒ"
    + "\u0301\u0308"
    + "日本語中文한국어"
    + "עבריתالعربية"
    + "\u200f\u200e\u202b\u202c"
    "🦄🐍👩‍💻🇫🇷\U0001d54f😀🏳️‍🌈" + "\t"
)
NOTES_EXTRA = "\n\r\n\r"


def _text(rng: random.Random, size: int, extra: str = "") -> str:
    alphabet = ALPHABET + extra
    return "".join(rng.choice(alphabet) for _ in range(size))


def _random_tasks(rng: random.Random, lists: list[TaskList], count: int) -> list[Task]:
    """``count`` tasks as the app could have stored them (titles trimmed, never blank)."""
    tasks = []
    positions = dict.fromkeys((task_list.pk for task_list in lists), 0)
    for number in range(count):
        task_list = rng.choice(lists)
        done = rng.random() < 0.4
        title = f"{number} {_text(rng, rng.randint(0, 180))}".strip()[:200]
        due = None
        if rng.random() < 0.6:
            due = rng.choice(
                [dt.date(1000, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29)]
                + [dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 20_000))] * 5
            )
        completed = None
        if done:
            completed = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                seconds=rng.randint(0, 200_000_000), microseconds=rng.randint(0, 999_999)
            )
        tasks.append(
            Task(
                list=task_list,
                title=title,
                notes=_text(rng, rng.choice([0, 0, 20, 500, 3000]), NOTES_EXTRA),
                due_date=due,
                priority=rng.choice(Priority.values),
                done=done,
                completed_at=completed,
                position=positions[task_list.pk],
            )
        )
        positions[task_list.pk] += 1
    return tasks


def _populate(seed: int, tasks: int) -> User:
    rng = random.Random(seed)
    user = User.objects.create_user(f"backup-{seed}", password="a long enough password")
    names = ["Inbox", "Work 💼", "Home 🏠", "Courses d'été", "مهام", "Empty list", "日本"]
    lists = [TaskList.objects.create(owner=user, name=name) for name in names]
    Task.objects.bulk_create(_random_tasks(rng, lists[:-2] + lists[-1:], tasks), batch_size=500)
    return user


def _mysql_args() -> list[str]:
    db = connection.settings_dict
    args = [
        f"--host={db['HOST'] or '127.0.0.1'}",
        f"--port={db['PORT'] or 3306}",
        f"--user={db['USER'] or 'root'}",
        f"--default-character-set={CHARSET}",
    ]
    return args


def _client_env() -> dict[str, str]:
    password = connection.settings_dict["PASSWORD"]
    return {**os.environ, **({"MYSQL_PWD": password} if password else {})}


# Dump and restore -----------------------------------------------------------------------------


def _program(*names: str) -> str:
    """The first of these client programs found; CI must have one (apt: mariadb-client)."""
    for name in names:
        if path := shutil.which(name):
            return path
    require_in_ci(f"none of {names} is installed (apt: mariadb-client)")


@pytest.fixture
def restore_database(transactional_db: None) -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        recreate_database(cursor, name)
    yield name
    with connection.cursor() as cursor:
        drop_database(cursor, name)


def _tables(database: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
            [database],
        )
        return [row[0] for row in cursor.fetchall()]


def _checksum(database: str, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"CHECKSUM TABLE `{database}`.`{table}`")
        return int(cursor.fetchone()[1])


def _rows(database: str, table: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        # Names come from information_schema and pytest-django, never from input.
        cursor.execute(f"SELECT * FROM `{database}`.`{table}` ORDER BY 1")  # noqa: S608
        return list(cursor.fetchall())


class _Writer(threading.Thread):
    """Commits one list and five tasks per transaction until stopped."""

    def __init__(self, owner: User) -> None:
        super().__init__(daemon=True)
        self.owner = owner
        self.stop = threading.Event()
        self.committed = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with transaction.atomic():
                    task_list = TaskList.objects.create(
                        owner=self.owner, name=f"During the dump {self.committed}"
                    )
                    Task.objects.bulk_create(
                        Task(list=task_list, title=f"Part {part}", position=part)
                        for part in range(5)
                    )
                self.committed += 1
        except BaseException as exc:  # re-raised in the test
            self.error = exc
        finally:
            connection.close()


def test_a_single_transaction_dump_restores_every_row(restore_database, tmp_path):
    dump_program, client_program = (
        _program("mariadb-dump", "mysqldump"),
        _program("mariadb", "mysql"),
    )
    source = connection.settings_dict["NAME"]
    owner = _populate(seed=12, tasks=2000)
    writer = _Writer(owner)
    dump = tmp_path / "dump.sql"
    writer.start()
    try:
        subprocess.run(
            [dump_program, *_mysql_args(), "--single-transaction", "--routines", "--triggers",
             f"--result-file={dump}", source],
            env=_client_env(), check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    with dump.open("rb") as sql:
        subprocess.run(
            [client_program, *_mysql_args(), restore_database],
            stdin=sql, env=_client_env(), check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    # The writer kept going after the dump's snapshot: compare with what the dump saw.
    restored_lists = dict(_rows_by_name(restore_database))
    in_flight = {name: count for name, count in restored_lists.items() if "During the dump" in name}
    assert all(count == 5 for count in in_flight.values()), "a transaction was cut in half"
    for database in (source, restore_database):
        _delete_lists(database, "During the dump%")

    tables = _tables(source)
    assert tables == _tables(restore_database)
    assert {"todos_task", "todos_tasklist", "auth_user"} <= set(tables)
    for table in tables:
        assert _rows(restore_database, table) == _rows(source, table), table
        assert _checksum(restore_database, table) == _checksum(source, table), table
    assert len(_rows(restore_database, "todos_task")) == 2000
    print(
        f"backup: {len(tables)} tables identical after dump and restore; "
        f"{writer.committed} writer transactions ran during the dump, {len(in_flight)} in it"
    )


def _delete_lists(database: str, pattern: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE t FROM `{database}`.todos_task t JOIN `{database}`.todos_tasklist l "
            "ON t.list_id = l.id WHERE l.name LIKE %s",
            [pattern],
        )
        cursor.execute(
            f"DELETE FROM `{database}`.todos_tasklist WHERE name LIKE %s",  # noqa: S608
            [pattern],
        )


def _rows_by_name(database: str) -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.name, COUNT(t.id) FROM `{database}`.todos_tasklist l "  # noqa: S608
            f"LEFT JOIN `{database}`.todos_task t ON t.list_id = l.id GROUP BY l.id, l.name"
        )
        return list(cursor.fetchall())


# Export and import ----------------------------------------------------------------------------


def _contents(user: User) -> dict[str, list[tuple[Any, ...]]]:
    result: dict[str, list[tuple[Any, ...]]] = {}
    for task_list in TaskList.objects.owned_by(user).order_by("name"):
        tasks = Task.objects.in_list(task_list).order_by("position", "id")
        result[task_list.name] = [
            (t.title, t.notes, t.due_date, t.priority, t.done, t.completed_at, t.position)
            for t in tasks
        ]
    return result


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_export_then_import_of_two_thousand_random_tasks_loses_nothing(
    db, tmp_path: Path, file_format: str
):
    source = _populate(seed=2, tasks=2000)
    target = User.objects.create_user("restored", password="a long enough password")
    export = tmp_path / f"tasks.{file_format}"

    call_command("export_tasks", "--user", source.username, "--format", file_format,
                 "--output", str(export))  # fmt: skip
    call_command("import_tasks", "--user", target.username, str(export))

    expected, restored = _contents(source), _contents(target)
    assert sorted(restored) == sorted(expected), "the same lists, empty ones included"
    assert sum(len(tasks) for tasks in restored.values()) == 2000
    for name, tasks in expected.items():
        for before, after in zip(tasks, restored[name], strict=True):
            assert after == before, f"list {name!r}: {before[0]!r}"
