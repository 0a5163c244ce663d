"""manage.py migrate_locked: migrate while holding a MySQL GET_LOCK, so replicas migrate once.

The end-to-end case (three entrypoints at once on an empty database) is in test_entrypoint.py;
these tests pin the lock behaviour itself, holding the lock from a second connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from io import StringIO

import MySQLdb
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.support.live import clean_env, manage
from todos.management.commands import migrate_locked
from todos.management.commands.migrate_locked import lock_name_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_session() -> Iterator[MySQLdb.Connection]:
    """A second database session, as another replica would have."""
    session = MySQLdb.connect(**connection.get_connection_params())
    try:
        yield session
    finally:
        session.close()


def _get_lock(session: MySQLdb.Connection, name: str) -> None:
    with session.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", [name])
        assert cursor.fetchone() == (1,)


def _release_lock(session: MySQLdb.Connection, name: str) -> None:
    with session.cursor() as cursor:
        cursor.execute("SELECT RELEASE_LOCK(%s)", [name])


def _is_free(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT IS_FREE_LOCK(%s)", [name])
        return cursor.fetchone() == (1,)


def test_the_lock_is_named_after_the_database() -> None:
    assert lock_name_for() == f"{connection.settings_dict['NAME']}.migrate"
    assert len(lock_name_for()) <= 64


def _migrate_locked(*args: str) -> str:
    """Run the command; its output. The lock is free again afterwards."""
    out = StringIO()
    call_command("migrate_locked", "--noinput", *args, stdout=out)
    assert _is_free(lock_name_for())
    return out.getvalue()


def test_it_migrates_and_releases_the_lock() -> None:
    output = _migrate_locked()
    assert f"Acquired migration lock '{lock_name_for()}'." in output
    assert "No migrations to apply." in output


def test_it_waits_for_another_replica_then_finds_nothing_to_apply(
    other_session: MySQLdb.Connection,
) -> None:
    _get_lock(other_session, lock_name_for())
    releaser = threading.Timer(1.0, _release_lock, [other_session, lock_name_for()])
    releaser.start()
    try:
        output = _migrate_locked("--timeout", "20")
    finally:
        releaser.join()
    assert "Another process holds migration lock" in output
    assert "No migrations to apply." in output


def test_it_times_out_while_another_replica_holds_the_lock(
    other_session: MySQLdb.Connection,
) -> None:
    _get_lock(other_session, lock_name_for())

    with pytest.raises(CommandError, match=r"Timed out after 1 s waiting for migration lock"):
        call_command("migrate_locked", "--noinput", "--timeout", "1", stdout=StringIO())


def test_it_releases_the_lock_when_migrate_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_migrate(*args: object, **kwargs: object) -> None:
        raise CommandError("boom")

    monkeypatch.setattr(migrate_locked, "call_command", broken_migrate)

    with pytest.raises(CommandError, match="boom"):
        call_command("migrate_locked", "--noinput", stdout=StringIO())
    assert _is_free(lock_name_for())


def test_it_rejects_a_negative_timeout() -> None:
    with pytest.raises(CommandError, match="--timeout"):
        call_command("migrate_locked", "--timeout", "-1")


@pytest.mark.django_db(transaction=False)
def test_help_explains_the_lock_and_the_timeout() -> None:
    result = manage("migrate_locked", "--help", env=clean_env(DJANGO_SECRET_KEY="help-only"))
    assert result.returncode == 0, result.stderr
    assert "GET_LOCK" in result.stdout
    assert "--timeout" in result.stdout
