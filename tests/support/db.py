"""The database side of the tests and the bench: URLs, scratch databases, EXPLAIN, row snapshots.

Scratch databases are created with the project's one character set and collation, so every
database a test or the bench creates compares text exactly as production does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from todo_site.database import CHARSET, COLLATION

Rows = dict[str, dict[Any, tuple[Any, ...]]]


def db_url(*, name: str | None = None, port: int | None = None) -> str:
    """DATABASE_URL of the database Django uses now (in a test run, pytest-django's test
    database), or of another database ``name`` on that server, optionally via another port."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db["USER"] or "root", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"mysql://{user}{password}@{host}:{port or db['PORT'] or 3306}/{name or db['NAME']}"


def database_address() -> tuple[str, int]:
    """(host, port) of the database server Django uses."""
    from django.db import connection

    db = connection.settings_dict
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 3306)


def recreate_database(cursor: Any, name: str) -> None:
    """Drop ``name`` if it exists and create it empty (a name of ours, never input)."""
    drop_database(cursor, name)
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET {CHARSET} COLLATE {COLLATION}")


def drop_database(cursor: Any, name: str) -> None:
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def explain(sql: str, connection: Any = None) -> dict[str, Any]:
    """MariaDB's plan for one statement (its first row), as {lower-cased column: value}:
    which index it uses (``key``), how (``type``), how many rows it reads, and ``extra``."""
    if connection is None:
        from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        columns = [column[0].lower() for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def bulk_tasks(task_list: Any, count: int, *, done_every: int) -> list[Any]:
    """``count`` tasks "Task 0".. in display order at the end of ``task_list``, one in every
    ``done_every`` done, in one INSERT per 2,000; the list's counters are recounted after."""
    from django.utils import timezone

    from todos import services
    from todos.models import Task

    now = timezone.now()
    tasks = Task.objects.bulk_create(
        (
            Task(
                list=task_list,
                title=f"Task {n}",
                position=n,
                done=n % done_every == 0,
                completed_at=now if n % done_every == 0 else None,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    services.recount_lists(list_ids=[task_list.pk])
    return tasks


def stored_rows() -> Rows:
    """Every stored row an action could change: users, lists, memberships and tasks, by table
    and id (the activity history only grows with them)."""
    from django.contrib.auth.models import User

    from todos.models import Membership, Task, TaskList

    return {
        "user": {row[0]: row for row in User.objects.values_list()},
        "list": {row[0]: row for row in TaskList.objects.values_list()},
        "membership": {row[0]: row for row in Membership.objects.values_list()},
        "task": {row[0]: row for row in Task.objects.values_list()},
    }


def row_changes(before: Rows, after: Rows) -> dict[str, dict[str, set[Any]]]:
    """Per table: the ids added, removed and changed between two ``stored_rows()``."""
    result = {}
    for table in before:
        old, new = before[table], after[table]
        result[table] = {
            "added": set(new) - set(old),
            "removed": set(old) - set(new),
            "changed": {pk for pk in set(old) & set(new) if old[pk] != new[pk]},
        }
    return result


def unchanged(changes: dict[str, dict[str, set[Any]]]) -> bool:
    return not any(ids for table in changes.values() for ids in table.values())
