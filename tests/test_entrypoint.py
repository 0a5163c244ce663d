"""docker/entrypoint.sh, run on the host against the MariaDB here, the way the container runs it.

Each test creates (and drops) its own database and starts gunicorn through the entrypoint on a
free port: a database that appears late, one that never appears, and three replicas at once.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import MySQLdb
import pytest
from django.db import connection

from tests.support.db import database_address, db_url, drop_database, recreate_database
from tests.support.live import (
    REPO_ROOT,
    WSGI_APP,
    AppProcess,
    clean_env,
    free_port,
    require_in_ci,
)
from tests.support.tcp_proxy import TcpProxy

ENTRYPOINT = REPO_ROOT / "docker" / "entrypoint.sh"
ERROR_LINE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|Error:|CommandError")


def _admin_connection() -> MySQLdb.Connection:
    params = connection.get_connection_params()
    params.pop("database", None)
    params.pop("db", None)
    return MySQLdb.connect(**params)


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh, empty database, dropped afterwards."""
    try:
        admin = _admin_connection()
    except MySQLdb.OperationalError as exc:
        require_in_ci(f"no MySQL/MariaDB for the entrypoint tests: {exc}")
    name = f"todo_ep_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        recreate_database(cursor, name)
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            drop_database(cursor, name)
        admin.close()


StartEntrypoint = Callable[..., AppProcess]


@pytest.fixture
def start_entrypoint(tmp_path: Path) -> Iterator[StartEntrypoint]:
    """Start docker/entrypoint.sh running gunicorn, without waiting for it; stop all at the end."""
    started: list[AppProcess] = []

    def start(database_url: str, **extra_env: str) -> AppProcess:
        env = clean_env(
            DATABASE_URL=database_url,
            DJANGO_SECRET_KEY="entrypoint-test-key-" + uuid.uuid4().hex,
            WEB_CONCURRENCY="1",
            DJANGO_CONN_MAX_AGE="0",
            **extra_env,
        )
        # `python` and `gunicorn` from PATH, as in the image; the entrypoint finds manage.py on
        # its own, whatever the working directory.
        command = [str(ENTRYPOINT), "gunicorn", "-c", "gunicorn.conf.py", WSGI_APP]
        app = AppProcess(command, env=env, ready_path="/readyz", cwd=tmp_path, timeout=90)
        started.append(app.start())
        return app

    yield start
    for app in started:
        app.stop()


def test_it_waits_for_a_database_that_appears_late_then_serves(
    database: str, start_entrypoint: StartEntrypoint
) -> None:
    db = TcpProxy(database_address())
    db.cut()  # refuses every connection, as a database server still starting would
    threading.Timer(3, db.restore).start()
    try:
        entry = start_entrypoint(db_url(name=database, port=db.port), DB_WAIT_TIMEOUT="60")
        took = entry.wait_ready()
        output = entry.output
    finally:
        db.close()
    port = db.port

    assert took >= 3
    assert f"Waiting for database at 127.0.0.1:{port}" in output
    assert f"Connected to MySQL at host 127.0.0.1:{port}" in output
    assert "Listening at: http://127.0.0.1:" in output
    assert output.index("Waiting for database") < output.index("Connected to MySQL")
    assert not ERROR_LINE.search(output), output


def test_it_gives_up_with_a_clear_message_when_the_database_never_appears(
    start_entrypoint: StartEntrypoint,
) -> None:
    port = free_port()  # nothing listens there
    entry = start_entrypoint(db_url(name="todo_never", port=port), DB_WAIT_TIMEOUT="3")
    returncode = entry.wait_exit(timeout=60)
    took = time.monotonic() - entry.started
    output = entry.output

    assert returncode != 0
    assert 3 <= took < 30
    assert f"Database at 127.0.0.1:{port} was not reachable within 3 s" in output
    assert "Listening at" not in output


def test_three_replicas_at_once_migrate_exactly_once_and_all_serve(
    database: str, start_entrypoint: StartEntrypoint
) -> None:
    entries = [start_entrypoint(db_url(name=database)) for _ in range(3)]
    for entry in entries:
        entry.wait_ready(timeout=180)
    outputs = [entry.output for entry in entries]

    admin = _admin_connection()
    try:
        with admin.cursor() as cursor:
            # The name is our own todo_ep_<hex>, not input.
            cursor.execute(f"SELECT app, name FROM `{database}`.django_migrations")  # noqa: S608
            applied = cursor.fetchall()
    finally:
        admin.close()
    assert len(applied) == len(set(applied)) > 0

    applying = [len(re.findall(r"^\s*Applying \S+\.\.\.", o, re.MULTILINE)) for o in outputs]
    assert sorted(applying) == [0, 0, len(applied)], outputs
    assert sum("No migrations to apply" in output for output in outputs) == 2
    for output in outputs:
        assert "Listening at" in output
        assert not ERROR_LINE.search(output), output


def test_it_skips_migrations_when_told_and_creates_the_superuser_once(
    database: str, start_entrypoint: StartEntrypoint
) -> None:
    admin = {
        "DJANGO_SUPERUSER_USERNAME": "boss",
        "DJANGO_SUPERUSER_EMAIL": "boss@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "Sup3r-secret-" + uuid.uuid4().hex,
    }
    first = start_entrypoint(db_url(name=database), **admin)
    first.wait_ready()
    first.stop()
    second = start_entrypoint(db_url(name=database), DJANGO_MIGRATE="false", **admin)
    second.wait_ready()

    assert "Superuser created successfully." in first.output
    assert "DJANGO_MIGRATE=false: skipping migrations" in second.output
    assert "Applying" not in second.output
    assert "superuser 'boss' already exists" in second.output
    assert not ERROR_LINE.search(second.output), second.output
