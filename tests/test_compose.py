"""The Compose stack for real: build, start, use over HTTP, restart, tear down.

These tests drive ``docker compose`` (Compose v2) against whatever engine DOCKER_HOST points at:
a Docker daemon, or podman through ``../shared/compose-lab`` in CI. They run on a copy of the
working tree without any ``.env``, as a fresh clone would be, and bring the ``todo`` project up on
a free port. Without a reachable engine they skip, except under CI=true, where they fail.

The tests share one stack (module scope) and run in file order: each step builds on the last.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.http import HttpClient
from tests.support.live import (
    REPO_ROOT,
    clean_env,
    free_port,
    in_ci,
    require_in_ci,
    wait_until_ready,
)

pytestmark = pytest.mark.compose

PROJECT = "todo"
NETWORK = "todo-network"
VOLUMES = ("todo_db-data", "todo_secrets")
IMAGE = "todo-web"


def _clean_copy(destination: Path) -> None:
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
    directory: Path
    port: int
    env: dict[str, str]
    state: dict[str, str] = field(default_factory=dict)
    browser: HttpClient | None = None  # the signed-up visitor, once that test has passed

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
        wait_until_ready(HttpClient(self.base_url), "/readyz", timeout, poll=1)


def _engine_env() -> dict[str, str]:
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


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = _engine_env()
    directory = tmp_path_factory.mktemp("clone") / "todo"
    directory.mkdir()
    _clean_copy(directory)
    assert not (directory / ".env").exists()
    port = free_port()
    env["WEB_PORT"] = str(port)
    s = Stack(directory=directory, port=port, env=env)

    existing = s.docker("volume", "ls", "--quiet").stdout.split()
    if any(volume in existing for volume in VOLUMES):
        if not in_ci():
            pytest.skip(
                "a `todo` stack with data already exists on this engine; these tests would "
                "delete it. Run `docker compose down -v` first."
            )
        s.compose("down", "--volumes", "--remove-orphans")

    started = time.monotonic()
    s.compose("build", timeout=900)
    built = time.monotonic()
    s.compose("up", "--detach", "--build", "--wait", "--wait-timeout", "300", timeout=600)
    healthy = time.monotonic()
    print(
        f"\ncompose: build {built - started:.1f} s; "
        f"`up -d --build --wait` to healthy {healthy - built:.1f} s"
    )
    try:
        yield s
    finally:
        logs = s.compose("logs", "--no-color", "--tail", "60", check=False)
        print(logs.stdout[-6000:])
        s.compose("down", "--volumes", "--remove-orphans", check=False)
        s.docker("network", "rm", "todo-test-elsewhere", check=False)


def _action_of_form_with(page: str, page_html: str, field_name: str) -> str:
    """The path the first <form> with an input named field_name posts to."""
    for match in re.finditer(r"<form\b[^>]*>.*?</form>", page_html, re.DOTALL | re.IGNORECASE):
        form = match.group(0)
        if re.search(rf'name="{field_name}"', form):
            action = re.search(r'action="([^"]*)"', form.split(">", 1)[0])
            return html.unescape(action.group(1)) if action and action.group(1) else page
    raise AssertionError(f"no form with a {field_name!r} field on {page}")


def test_config_is_valid_without_env_file(stack: Stack) -> None:
    stack.compose("config", "--quiet")


def test_readyz_answers_200_on_the_published_port(stack: Stack) -> None:
    assert HttpClient(stack.base_url).get("/readyz").status == 200


def test_a_visitor_signs_up_and_adds_an_emoji_task(stack: Stack) -> None:
    username = f"compose-{uuid.uuid4().hex[:8]}"
    password = f"Pw-{uuid.uuid4().hex}"
    title = f"Ship the stack \U0001f680 {uuid.uuid4().hex[:6]}"  # a 4-byte UTF-8 character
    browser = HttpClient(stack.base_url)

    signup = browser.get("/accounts/signup/")
    assert 'name="csrfmiddlewaretoken"' in signup.text, "the sign-up form carries no CSRF token"
    action = _action_of_form_with("/accounts/signup/", signup.text, "password2")
    signed_up = browser.post(
        action, {"username": username, "password1": password, "password2": password}
    )
    assert signed_up.status == 302, signed_up.text[-2000:]

    tasks = browser.get("/")
    assert tasks.status == 200, "signing up did not log the visitor in"
    added = browser.post(_action_of_form_with("/", tasks.text, "title"), {"title": title})
    assert added.status == 302, added.text[-2000:]

    assert title in html.unescape(browser.get("/").text)
    stack.state.update(username=username, title=title)
    stack.browser = browser


def _task_is_listed(stack: Stack) -> None:
    assert stack.browser is not None
    tasks = stack.browser.get("/")
    assert tasks.status == 200, "the session did not survive"
    assert stack.state["title"] in html.unescape(tasks.text)


def test_the_task_survives_restarting_web(stack: Stack) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    stack.compose("restart", "web")
    stack.wait_ready()
    _task_is_listed(stack)


def test_the_task_and_the_session_survive_down_and_up(stack: Stack) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    stack.compose("down")
    started = time.monotonic()
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300", timeout=600)
    print(f"\ncompose: second `up -d --wait` to healthy {time.monotonic() - started:.1f} s")
    # The session cookie still works: the secret key was kept on the secrets volume.
    _task_is_listed(stack)


def test_export_tasks_inside_web_sees_the_task(stack: Stack) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    username = stack.state["username"]
    result = stack.compose(
        "exec", "-T", "web", "python", "manage.py", "export_tasks", "--user", username
    )
    # `export_tasks --user NAME > backup.json` must give pure JSON: logs belong on stderr.
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"export_tasks' stdout is not pure JSON ({exc}):\n{result.stdout[:500]}")
    exported = json.dumps(data, ensure_ascii=False)
    assert stack.state["title"] in exported


def test_web_runs_as_a_non_root_user_on_a_read_only_root(stack: Stack) -> None:
    uid = stack.compose("exec", "-T", "web", "id", "-u").stdout.strip()
    assert uid == "10001"
    touched = stack.compose("exec", "-T", "web", "touch", "/app/written", check=False)
    assert touched.returncode != 0
    assert "Read-only file system" in touched.stderr


def test_web_cannot_read_the_mysql_root_password(stack: Stack) -> None:
    read = stack.compose(
        "exec", "-T", "web", "cat", "/run/todo-secrets/mysql_root_password", check=False
    )
    assert read.returncode != 0
    assert "Permission denied" in read.stderr


def test_the_database_grants_the_test_database_and_stores_utf8mb4(stack: Stack) -> None:
    query = (
        "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME = 'todo'; SHOW GRANTS FOR 'todo'@'%';"
    )
    result = stack.compose(
        "exec", "-T", "db", "sh", "-c",
        'mysql -uroot -p"$(cat /run/todo-secrets/mysql_root_password)" -N --raw -e "$0"', query,
    )  # fmt: skip
    assert "utf8mb4" in result.stdout
    assert "test\\_todo" in result.stdout


def _lookup_from(stack: Stack, network: str, *names: str) -> subprocess.CompletedProcess[str]:
    """Resolve names with getaddrinfo in a throwaway container of the web image on network."""
    # Not `run --rm`: with podman 4.3 behind Docker's CLI that loses the exit status (always 0).
    container = f"todo-test-lookup-{uuid.uuid4().hex[:8]}"
    lookup = "import socket, sys; print(*(socket.gethostbyname(name) for name in sys.argv[1:]))"
    try:
        return stack.docker(
            "run", "--name", container, "--network", network, "--entrypoint", "python", IMAGE,
            "-c", lookup, *names, check=False,
        )  # fmt: skip
    finally:
        stack.docker("rm", "--force", container, check=False)


def test_only_containers_on_todo_network_resolve_db(stack: Stack) -> None:
    on_network = _lookup_from(stack, NETWORK, "db", "todo-mysql")
    assert on_network.returncode == 0, on_network.stderr
    db_address, alias_address = on_network.stdout.split()
    assert db_address == alias_address

    stack.docker("network", "create", "todo-test-elsewhere")
    try:
        elsewhere = _lookup_from(stack, "todo-test-elsewhere", "db")
    finally:
        stack.docker("network", "rm", "todo-test-elsewhere", check=False)
    assert elsewhere.returncode != 0
    assert "gaierror" in elsewhere.stderr

    inspected = json.loads(stack.docker("network", "inspect", NETWORK).stdout)
    assert inspected[0]["Name"] == NETWORK


def test_db_publishes_no_port(stack: Stack) -> None:
    container = stack.compose("ps", "--quiet", "db").stdout.strip()
    bindings = json.loads(stack.docker("inspect", container).stdout)[0]["HostConfig"][
        "PortBindings"
    ]
    # Exposed ports may be listed (podman lists them with no binding); none is bound to the host.
    assert not any((bindings or {}).values())


def test_down_with_volumes_removes_the_data(stack: Stack) -> None:
    stack.compose("down", "--volumes")
    volumes = stack.docker("volume", "ls", "--quiet").stdout.split()
    assert not [v for v in VOLUMES if v in volumes]
    assert stack.docker("network", "inspect", NETWORK, check=False).returncode != 0
