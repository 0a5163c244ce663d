"""The database backend (todo_site/mysql): transactions that start with BEGIN under autocommit
commit, roll back and nest as Django's own do, with one statement less."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, connections, transaction

from todos.models import TaskList

pytestmark = pytest.mark.django_db(transaction=True)


def _statements_sent() -> int:
    """The server's count of this session's statements, this one included."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE 'Questions'")
        return int(cursor.fetchone()[1])


def test_a_transaction_costs_its_begin_and_commit_alone(owner: Any) -> None:
    before = _statements_sent()
    with transaction.atomic():
        TaskList.objects.filter(owner=owner).exists()
    # BEGIN, the SELECT, COMMIT, and the SHOW that counts: no autocommit turned off and on.
    assert _statements_sent() - before == 4
    assert connection.get_autocommit()


def test_a_committed_transaction_is_seen_by_another_connection(owner: Any) -> None:
    with transaction.atomic():
        TaskList.objects.create(owner=owner, name="Kept")
        assert not _seen_elsewhere("Kept")
    assert _seen_elsewhere("Kept")


def test_a_failed_transaction_and_a_failed_savepoint_are_rolled_back(owner: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        TaskList.objects.create(owner=owner, name="Lost")
        raise RuntimeError
    with transaction.atomic():
        TaskList.objects.create(owner=owner, name="Outer")
        with pytest.raises(RuntimeError), transaction.atomic():
            TaskList.objects.create(owner=owner, name="Inner")
            raise RuntimeError
    names = set(TaskList.objects.filter(owner=owner).values_list("name", flat=True))
    assert {"Outer"} <= names and not names & {"Lost", "Inner"}
    assert _seen_elsewhere("Outer") and not _seen_elsewhere("Lost")


def _seen_elsewhere(name: str) -> bool:
    """Whether a second connection, with its own session, reads a list of that name."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM todos_tasklist WHERE name = %s", [name])
            return bool(cursor.fetchone()[0])
    finally:
        other.close()
