"""The real container stack in tests: the engine, a clean copy of the project, request loops.

``docker`` here is whatever DOCKER_HOST points at: in CI the real Docker engine that
``../shared/compose-lab/up-docker`` starts. Without a reachable engine the tests skip, except under
CI=true, where they fail.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .http import HttpClient
from .live import REPO_ROOT, clean_env, require_in_ci, wait_until_ready


def engine_env() -> dict[str, str]:
    """The environment for docker commands; skips (fails in CI) when no engine answers."""
    env = clean_env()
    if shutil.which("docker", path=env.get("PATH")) is None:
        require_in_ci("no docker CLI on PATH")
    for probe in (["docker", "compose", "version"], ["docker", "info"]):
        try:
            result = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            require_in_ci(f"`{' '.join(probe)}` timed out")
        if result.returncode != 0:
            require_in_ci(f"`{' '.join(probe)}` failed: {result.stderr.strip()[:300]}")
    return env


def clean_copy(destination: Path) -> None:
    """The files a clone would have: tracked + untracked-but-not-ignored, minus .env and venvs."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        parts = Path(name).parts
        if parts[0] in {".venv", "venv", ".env", "staticfiles"} or "__pycache__" in parts:
            continue
        source = REPO_ROOT / name
        if not source.is_file():
            continue  # listed but deleted in the working tree
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


@dataclass
class Stack:
    """A copy of the project on the engine, reached through the proxy's published port."""

    directory: Path
    port: int
    env: dict[str, str]
    state: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def docker(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["docker", *args],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
            )
        return result

    def compose(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return self.docker("compose", *args, **kwargs)  # type: ignore[arg-type]

    def wait_ready(self, timeout: float = 120) -> None:
        wait_until_ready(HttpClient(self.base_url), "/readyz", timeout, poll=0.5)


@dataclass
class LoopResult:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.requests} requests, {len(self.failures)} failed, slowest {self.slowest:.2f} s"
        )


@contextmanager
def request_loop(base_url: str, path: str, clients: int = 4) -> Iterator[LoopResult]:
    """GET path from `clients` threads, back to back, for as long as the with-block runs.

    A failure is anything but a 200: an HTTP error, a reset, a refused connection or a timeout.
    """
    result = LoopResult()
    stop = threading.Event()
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            started = time.monotonic()
            failure = None
            try:
                status = HttpClient(base_url).get(path).status
                if status != 200:
                    failure = f"HTTP {status}"
            except (OSError, http.client.HTTPException) as exc:
                failure = repr(exc)
            with lock:
                result.requests += 1
                result.slowest = max(result.slowest, time.monotonic() - started)
                if failure:
                    result.failures.append(failure)
            time.sleep(0.02)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield result
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=40)


def requests_by_replica(logs: str, marker: str) -> Counter[str]:
    """How many access-log lines containing marker each replica wrote.

    `docker compose logs` prefixes every line with the container (``web-2  | ...``);
    `docker service logs` with the task (``todo_web.2.x8k2...@node    | ...``).
    """
    counts: Counter[str] = Counter()
    for line in logs.splitlines():
        if marker in line and (match := re.match(r"\s*(\S+?)\s*\|", line)):
            counts[match.group(1)] += 1
    return counts
