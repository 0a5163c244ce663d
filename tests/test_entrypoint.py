"""docker/entrypoint.sh, run on the host against the MariaDB here, the way the container runs it.

Each test creates (and drops) its own database and starts gunicorn through the entrypoint on a
free port: a database that appears late, one that never appears, and three replicas at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import MySQLdb
import pytest

from tests.support.server import free_port

REPO = Path(__file__).resolve().parent.parent
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
DB_HOST = os.environ.get("TEST_MYSQL_HOST", "127.0.0.1")
DB_PORT = int(os.environ.get("TEST_MYSQL_PORT", "3306"))
DB_USER = os.environ.get("TEST_MYSQL_USER", "root")
DB_PASSWORD = os.environ.get("TEST_MYSQL_PASSWORD", "")
ERROR_LINE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|Error:|CommandError")


def _admin_connection() -> MySQLdb.Connection:
    return MySQLdb.connect(host=DB_HOST, port=DB_PORT, user=DB_USER, password=DB_PASSWORD)


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh, empty utf8mb4 database, dropped afterwards."""
    try:
        connection = _admin_connection()
    except MySQLdb.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"no MySQL/MariaDB at {DB_HOST}:{DB_PORT}: {exc}")
    name = f"todo_ep_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()


@dataclass
class Entrypoint:
    """docker/entrypoint.sh running gunicorn, with its output in a file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def ready(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.port}/readyz"
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout: float = 90) -> float:
        """Seconds from start until /readyz answered 200."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                pytest.fail(f"entrypoint exited {self.process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"not ready within {timeout} s:\n{self.output}")
            time.sleep(0.25)
        return time.monotonic() - self.started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


StartEntrypoint = Callable[..., Entrypoint]


@pytest.fixture
def start_entrypoint(tmp_path: Path) -> Iterator[StartEntrypoint]:
    started: list[Entrypoint] = []

    def start(database_url: str, **extra_env: str) -> Entrypoint:
        port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DB_", "DATABASE_URL", "GUNICORN_", "WEB_"))
        }
        env.update(
            # `python` from PATH, as in the image: put this interpreter's venv first.
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            DATABASE_URL=database_url,
            DJANGO_SECRET_KEY="entrypoint-test-key-" + uuid.uuid4().hex,
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="1",
            DJANGO_CONN_MAX_AGE="0",
        )
        env.update(extra_env)
        log = tmp_path / f"entrypoint-{port}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(ENTRYPOINT), "gunicorn", "-c", "gunicorn.conf.py", "todo_site.wsgi"],
                cwd=tmp_path,  # the entrypoint must find manage.py on its own
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        entry = Entrypoint(process=process, port=port, log=log, started=time.monotonic())
        started.append(entry)
        return entry

    yield start
    for entry in started:
        entry.stop()


def _url(database: str, port: int = DB_PORT) -> str:
    credentials = f"{DB_USER}:{DB_PASSWORD}" if DB_PASSWORD else DB_USER
    return f"mysql://{credentials}@{DB_HOST}:{port}/{database}"


class LateForwarder:
    """Listens on `port` only after `delay` seconds, then pipes each connection to MySQL."""

    def __init__(self, port: int, delay: float) -> None:
        self.port = port
        self.delay = delay
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LateForwarder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        if self.stopping.wait(self.delay):
            return
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen()
            listener.settimeout(0.2)
            while not self.stopping.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection((DB_HOST, DB_PORT))
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def test_it_waits_for_a_database_that_appears_late_then_serves(
    database: str, start_entrypoint: StartEntrypoint
) -> None:
    port = free_port()
    with LateForwarder(port, delay=3):
        entry = start_entrypoint(_url(database, port), DB_WAIT_TIMEOUT="60")
        took = entry.wait_ready()
        output = entry.output

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
    entry = start_entrypoint(_url("todo_never", port), DB_WAIT_TIMEOUT="3")
    returncode = entry.process.wait(timeout=60)
    took = time.monotonic() - entry.started
    output = entry.output

    assert returncode != 0
    assert 3 <= took < 30
    assert f"Database at 127.0.0.1:{port} was not reachable within 3 s" in output
    assert "Listening at" not in output


def test_three_replicas_at_once_migrate_exactly_once_and_all_serve(
    database: str, start_entrypoint: StartEntrypoint
) -> None:
    entries = [start_entrypoint(_url(database)) for _ in range(3)]
    for entry in entries:
        entry.wait_ready(timeout=180)
    outputs = [entry.output for entry in entries]

    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            # The name is our own todo_ep_<hex>, not input.
            cursor.execute(f"SELECT app, name FROM `{database}`.django_migrations")  # noqa: S608
            applied = cursor.fetchall()
    finally:
        connection.close()
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
    first = start_entrypoint(_url(database), **admin)
    first.wait_ready()
    first.stop()
    second = start_entrypoint(_url(database), DJANGO_MIGRATE="false", **admin)
    second.wait_ready()

    assert "Superuser created successfully." in first.output
    assert "DJANGO_MIGRATE=false: skipping migrations" in second.output
    assert "Applying" not in second.output
    assert "superuser 'boss' already exists" in second.output
    assert not ERROR_LINE.search(second.output), second.output
