"""Run the app under real gunicorn (``gunicorn.conf.py``, DEBUG off) against a test database."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from .http import HttpClient

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 40.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _base_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "todo_site.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@functools.cache
def collected_static_root() -> Path:
    """collectstatic once per test run, into a temporary folder removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="todo-static-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    env = _base_env() | {"DJANGO_STATIC_ROOT": str(root)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return root


def database_url_for_tests(*, port: int | None = None) -> str:
    """DATABASE_URL for the test database pytest-django created, optionally via another port."""
    db = connection.settings_dict
    user = quote(db["USER"] or "root", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"mysql://{user}{password}@{host}:{port or db['PORT'] or 3306}/{db['NAME']}"


@dataclass
class GunicornServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, cookies: dict[str, str] | None = None) -> HttpClient:
        return HttpClient(self.url, cookies=cookies)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def gunicorn_server(
    database_url: str, *, workers: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[GunicornServer]:
    """Start ``gunicorn -c gunicorn.conf.py todo_site.wsgi:application``; stop it afterwards."""
    port = free_port()
    env = _base_env() | {
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(collected_static_root()),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        **(extra_env or {}),
    }
    log_dir = Path(tempfile.mkdtemp(prefix="todo-gunicorn-"))
    log_path = log_dir / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "todo_site.wsgi"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = GunicornServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(log_dir, ignore_errors=True)


def _wait_until_serving(server: GunicornServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    client = server.client()
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            if client.get("/healthz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not serve within {START_TIMEOUT}s:\n{server.log()}")
