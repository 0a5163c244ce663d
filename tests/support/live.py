"""The live app: start it as a deployment does, wait until it answers, always stop it.

``AppProcess`` runs one command (gunicorn by default, or docker/entrypoint.sh in front of it) on a
free local port and is the only place that starts, waits for and stops the app; the tests, the
browser tests and ``python -m bench`` all go through it. This module imports neither Django's
settings nor pytest at import time, so the bench can use it outside a test run.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

from .http import HttpClient

REPO_ROOT = Path(__file__).resolve().parents[2]
# The image's command: gunicorn with the project's config file, serving the WSGI app.
GUNICORN = (sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py")
WSGI_APP = "todo_site.wsgi:application"
# Variables of the developer's shell that would change the app (or the stack) under test.
SCRUBBED_PREFIXES = (
    "DJANGO_",
    "DATABASE_URL",
    "DB_",
    "GUNICORN_",
    "WEB_",
    "MYSQL_",
    "COMPOSE_",
    "PYTEST_",
    "SITE_ADDRESS",
    "HTTPS_PORT",
    "PROXY_",
)


def in_ci() -> bool:
    """The one rule for "this is CI": CI=true (or 1/yes), as CI services set it."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_in_ci(reason: str) -> NoReturn:
    """A prerequisite is missing: skip the test here, but fail it in CI, where it must run."""
    import pytest

    if in_ci():
        pytest.fail(f"CI=true and this cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**values: str) -> dict[str, str]:
    """This environment without the app's own settings, ``python`` from this venv, plus values."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED_PREFIXES)}
    # `python` and `gunicorn` from PATH (as in the image) are this interpreter's.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env | {"PYTHONUNBUFFERED": "1"} | values


def manage(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python manage.py ARGS`` in a fresh interpreter (this environment unless ``env``)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=dict(os.environ if env is None else env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop_process(process: subprocess.Popen[Any], *, grace: float = 30) -> None:
    """SIGTERM to the process group (gunicorn's master and workers), then SIGKILL after grace."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


try:  # resolved here: the pre-exec hook below must not import or allocate much
    _LIBC: Any = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:  # not glibc Linux
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies, even when it is killed
    without running its clean-up (Linux only; elsewhere stop_process alone stops the app)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class AppNotReady(RuntimeError):
    pass


def wait_until_ready(
    client: HttpClient,
    path: str,
    timeout: float,
    poll: float = 0.1,
    check: Callable[[], None] | None = None,
) -> None:
    """Poll ``GET path`` until it answers 200; ``check()`` may raise to give up early."""
    deadline = time.monotonic() + timeout
    while True:
        if check:
            check()
        with contextlib.suppress(OSError):
            if client.get(path, timeout=5).status == 200:
                return
        if time.monotonic() > deadline:
            raise AppNotReady(f"{client.base_url}{path} did not answer 200 within {timeout:g} s")
        time.sleep(poll)


class AppProcess:
    """``with AppProcess(env=...) as app:`` serves the app at ``app.url`` until the block ends.

    ``command`` runs in ``cwd`` with ``env`` plus ``GUNICORN_BIND`` on a free port; its output
    goes, time-stamped, to ``lines`` (and to ``log_path`` when given). Entering waits until a GET of
    ``ready_path`` answers 200; leaving (or ``stop()``) always stops the process group. ``start()``
    and ``wait_ready()`` are also callable on their own, to start several before waiting.
    """

    def __init__(
        self,
        command: Sequence[str] = (*GUNICORN, WSGI_APP),
        *,
        env: Mapping[str, str],
        ready_path: str = "/healthz",
        cwd: Path = REPO_ROOT,
        log_path: Path | None = None,
        timeout: float = 60,
        poll: float = 0.1,
    ) -> None:
        self.command = list(command)
        self.port = free_port()
        self.env = dict(env) | {"GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.ready_path = ready_path
        self.cwd = cwd
        self.log_path = log_path
        self.timeout = timeout
        self.poll = poll
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[tuple[float, str]] = []  # (seconds since start, line)
        self.started = 0.0
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise AppNotReady("not started")
        return self._process

    @property
    def output(self) -> str:
        return "".join(line for _at, line in self.lines)

    def client(self, cookies: dict[str, str] | None = None) -> HttpClient:
        return HttpClient(self.url, cookies=cookies)

    def start(self) -> AppProcess:
        self.started = time.monotonic()
        self._process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # one group: stop_process reaches every worker
            preexec_fn=_die_with_parent,
        )
        self._reader = threading.Thread(target=self._read, name="app-output", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        with contextlib.ExitStack() as stack:
            log = stack.enter_context(self.log_path.open("w")) if self.log_path else None
            for raw in self.process.stdout or []:
                line = raw.decode("utf-8", errors="replace")
                self.lines.append((time.monotonic() - self.started, line))
                if log:
                    log.write(line)
                    log.flush()

    def wait_ready(self, timeout: float | None = None) -> float:
        """Seconds from start until ``ready_path`` answered 200."""

        def exited() -> None:
            if self.process.poll() is not None:
                self._join_reader()
                raise AppNotReady(
                    f"{self.command[0]} exited with {self.process.returncode} before serving; "
                    f"output:\n{self.output[-4000:]}"
                )

        try:
            wait_until_ready(
                self.client(), self.ready_path, timeout or self.timeout, self.poll, exited
            )
        except AppNotReady as exc:
            if self.process.poll() is None:  # timed out while running: show what it said
                raise AppNotReady(f"{exc}; output:\n{self.output[-4000:]}") from None
            raise
        return time.monotonic() - self.started

    def wait_exit(self, timeout: float) -> int:
        returncode = self.process.wait(timeout=timeout)
        self._join_reader()
        return returncode

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._join_reader()

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=10)

    def __enter__(self) -> AppProcess:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@functools.cache
def collected_static_root() -> Path:
    """collectstatic once per run (hashed, compressed, as in the image) into a temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="todo-static-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    env = clean_env(DJANGO_DEBUG="true", DJANGO_STATIC_ROOT=str(root))
    result = manage("collectstatic", "--noinput", "-v", "0", env=env)
    if result.returncode != 0:
        raise AppNotReady(f"collectstatic failed:\n{result.stdout}{result.stderr}")
    return root


def app_serving(
    database_url: str,
    *,
    workers: int = 2,
    args: Sequence[str] = (),
    log_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> AppProcess:
    """gunicorn as in the image (DEBUG off, collected static files) against ``database_url``,
    with this test run's secret key, so sessions made in the tests are valid there; ``env``
    adds or overrides settings."""
    from django.conf import settings

    values = clean_env(
        DJANGO_SETTINGS_MODULE="todo_site.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_STATIC_ROOT=str(collected_static_root()),
        DATABASE_URL=database_url,
        WEB_CONCURRENCY=str(workers),
    ) | dict(env or {})
    return AppProcess((*GUNICORN, *args, WSGI_APP), env=values, log_path=log_path)
