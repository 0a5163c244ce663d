"""The Compose stack for real: build, start, use through the proxy, scale, update, tear down.

These tests drive ``docker compose`` (Compose v2) against whatever engine DOCKER_HOST points at: in
CI the real Docker engine of ``../shared/compose-lab`` (see tests/support/compose.py). They run on a
copy of the working tree without any ``.env``, as a fresh clone would be, and bring the ``todo``
project up on free ports. Without a reachable engine they skip, except under CI=true.

The tests share one stack (module scope) and run in file order: each step builds on the last.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import ssl
import stat
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.compose import (
    Stack,
    clean_copy,
    engine_env,
    request_loop,
    requests_by_replica,
)
from tests.support.http import HttpClient
from tests.support.live import free_port, in_ci
from tests.support.slow_clients import SLOW_BODY, SLOW_HEADERS, SlowClients

pytestmark = pytest.mark.compose

PROJECT = "todo"
NETWORK = "todo-network"
# A second project from the same files, up beside the first for one test.
SECOND_PROJECT = "todo-second"
SECOND_NETWORK = "todo-second-network"
VOLUMES = ("todo_db-data", "todo_secrets", "todo_proxy-data", "todo_proxy-config")
IMAGE = "todo-web"
LOGIN = "/accounts/login/"


@dataclass
class ComposeStack(Stack):
    https_port: int = 0
    browser: HttpClient | None = None  # the signed-up visitor, once that test has passed


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    env = engine_env()
    directory = tmp_path_factory.mktemp("clone") / "todo"
    directory.mkdir()
    clean_copy(directory)
    assert not (directory / ".env").exists()
    port, https_port = free_port(), free_port()
    env.update(WEB_PORT=str(port), HTTPS_PORT=str(https_port))
    s = ComposeStack(directory=directory, port=port, env=env, https_port=https_port)

    existing = s.docker("volume", "ls", "--quiet").stdout.split()
    if any(volume in existing for volume in VOLUMES):
        if not in_ci():
            pytest.skip(
                "a `todo` stack with data already exists on this engine; these tests would "
                "delete it. Run `docker compose down -v` first."
            )
        s.compose("down", "--volumes", "--remove-orphans")

    try:
        started = time.monotonic()
        s.compose("build", timeout=900)
        built = time.monotonic()
        s.compose("up", "--detach", "--build", "--wait", "--wait-timeout", "300", timeout=600)
        healthy = time.monotonic()
        print(
            f"\ncompose: build {built - started:.1f} s; "
            f"`up -d --build --wait` to healthy (db, cache, web, worker, proxy) "
            f"{healthy - built:.1f} s"
        )
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


def test_config_is_valid_without_env_file(stack: ComposeStack) -> None:
    stack.compose("config", "--quiet")


def test_readyz_answers_200_through_the_proxy_on_the_published_port(stack: ComposeStack) -> None:
    assert HttpClient(stack.base_url).get("/readyz").status == 200


def test_a_visitor_signs_up_and_adds_an_emoji_task(stack: ComposeStack) -> None:
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
    stack.state.update(username=username, password=password, title=title)
    stack.browser = browser


def _cache_cli(stack: ComposeStack, *args: str, password: bool = True) -> str:
    """redis-cli inside the cache container, with the password from the secrets volume or not."""
    auth = 'REDISCLI_AUTH="$(cat /run/todo-secrets/cache_password)" ' if password else ""
    result = stack.compose(
        "exec", "-T", "cache", "sh", "-c", auth + 'redis-cli "$@"', "redis-cli", *args, check=False
    )
    return result.stdout + result.stderr


def test_the_visitor_s_session_is_kept_in_the_cache_behind_its_password(
    stack: ComposeStack,
) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    session_key = stack.browser.cookies["sessionid"]
    # accounts.sessions: "todo.session.<layout>.<digest>.<session key>"
    keys = _cache_cli(stack, "--scan", "--pattern", f"*todo.session.*.{session_key}").split()
    assert [key.endswith(f".{session_key}") for key in keys] == [True], keys
    assert "NOAUTH" in _cache_cli(stack, "get", keys[0], password=False)


def _task_is_listed(stack: ComposeStack) -> None:
    assert stack.browser is not None
    tasks = stack.browser.get("/")
    assert tasks.status == 200, "the session did not survive"
    assert stack.state["title"] in html.unescape(tasks.text)


def test_the_task_survives_restarting_web(stack: ComposeStack) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    stack.compose("restart", "web")
    stack.wait_ready()
    _task_is_listed(stack)


def _health_of(stack: ComposeStack, service: str) -> list[str]:
    """The health of each of the service's running containers."""
    containers = stack.compose("ps", "--quiet", service).stdout.split()
    assert containers, f"no {service} container runs"
    template = "{{.State.Health.Status}}"
    return stack.docker("inspect", "--format", template, *containers).stdout.split()


def _mails_in_sink(stack: ComposeStack) -> list[dict[str, object]]:
    """What tests/support/smtp_sink.py logged: one JSON object per message it took."""
    logs = stack.compose("logs", "--no-color", "--no-log-prefix", "smtp").stdout
    return [json.loads(line) for line in logs.splitlines() if line.startswith("{")]


def _set_a_reminder_due_now(stack: ComposeStack, username: str, address: str, title: str) -> None:
    """A new account with an e-mail address, a task in its Inbox, and its reminder due now, made
    through the services inside web."""
    script = (
        "from django.contrib.auth.models import User\n"
        "from django.utils import timezone\n"
        "from accounts.services import create_account\n"
        "from todos import services\n"
        "from todos.models import TaskList\n"
        f"user = create_account(user=User(username={username!r}, email={address!r}))\n"
        "inbox = TaskList.objects.get(owner=user)\n"
        f"task = services.add_task(task_list=inbox, title={title!r}, by=user).task\n"
        "services.set_reminder(task=task, user=user, at=timezone.now())\n"
    )
    stack.compose("exec", "-T", "web", "python", "manage.py", "shell", "--command", script)


def _sent_by_workers(stack: ComposeStack) -> int:
    """How many messages the running workers say they sent (run_worker's round lines)."""
    logs = stack.compose("logs", "--no-color", "worker").stdout
    return sum(int(sent) for sent in re.findall(r"worker: sent (\d+),", logs))


def test_two_workers_mail_a_due_reminder_once_to_a_sink_in_the_stack(
    stack: ComposeStack,
) -> None:
    # The sink and the worker's EMAIL_URL come from a test-only file on top of compose.yaml; two
    # workers, to see that a reminder goes once however many claim.
    overrides = {
        "COMPOSE_FILE": "compose.yaml:tests/support/compose.smtp.yaml",
        "WORKER_REPLICAS": "2",
    }
    with_sink = ComposeStack(directory=stack.directory, port=stack.port, env=stack.env | overrides)
    suffix = uuid.uuid4().hex[:8]
    address = f"worker-{suffix}@example.org"
    title = f"Water the plants \U0001f331 {suffix}"
    expected = f"[todo] Reminder: {title}"
    try:
        started = time.monotonic()
        with_sink.compose("up", "--detach", "--wait", "--wait-timeout", "300", timeout=600)
        up = time.monotonic() - started
        assert _health_of(with_sink, "worker") == ["healthy", "healthy"]

        _set_a_reminder_due_now(with_sink, f"worker-{suffix}", address, title)
        set_at = time.monotonic()
        deadline = set_at + 60
        while not (mails := _mails_in_sink(with_sink)) and time.monotonic() < deadline:
            time.sleep(0.5)
        arrived = time.monotonic() - set_at
        # A second send would come from another worker's claim of the same row, in the same
        # round or, were the row left pending, the next (WORKER_INTERVAL, 1 s here): wait three.
        time.sleep(3)
        mails = _mails_in_sink(with_sink)
        sent = _sent_by_workers(with_sink)
        health = _health_of(with_sink, "worker")
    finally:
        # The next test's `down` and `up` bring back compose.yaml's one worker, without the sink.
        with_sink.compose("rm", "--stop", "--force", "smtp", check=False)
    print(
        f"\ncompose: `up --wait` with the sink and 2 workers {up:.1f} s; the reminder reached the "
        f"sink {arrived:.1f} s after it was set; mails in the sink: {mails}"
    )
    assert [(mail["to"], mail["subject"]) for mail in mails] == [([address], expected)]
    assert sent == 1
    assert health == ["healthy", "healthy"]


def test_the_task_and_the_session_survive_down_and_up(stack: ComposeStack) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    stack.compose("down")
    started = time.monotonic()
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300", timeout=600)
    print(f"\ncompose: second `up -d --wait` to healthy {time.monotonic() - started:.1f} s")
    # The session cookie still works: the secret key was kept on the secrets volume.
    _task_is_listed(stack)


def test_export_tasks_inside_web_sees_the_task(stack: ComposeStack) -> None:
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


def test_the_backup_files_are_the_owner_s_alone_and_restore_the_data(
    stack: ComposeStack, tmp_path: Path
) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    backup = subprocess.run(
        ["bash", "deploy/backup.sh", str(tmp_path)],
        cwd=stack.directory, env=stack.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert backup.returncode == 0, backup.stdout[-3000:] + backup.stderr[-3000:]
    modes = {
        path.name.rsplit("-", 3)[0]: stat.S_IMODE(path.stat().st_mode)
        for path in tmp_path.iterdir()
    }
    assert modes == {"todo": 0o600, "todo-secrets": 0o600, "todo-proxy-data": 0o600}
    [dump] = tmp_path.glob("todo-2*.sql")
    [secrets] = tmp_path.glob("todo-secrets-*.tar")
    with tarfile.open(secrets) as archive:
        assert "./mysql_root_password" in archive.getnames()

    # A task added after the backup is gone once the backup is restored; the one before is back.
    later = f"After the backup {uuid.uuid4().hex[:6]}"
    tasks = stack.browser.get("/")
    stack.browser.post(_action_of_form_with("/", tasks.text, "title"), {"title": later})
    assert later in html.unescape(stack.browser.get("/").text)
    restore = subprocess.run(
        ["bash", "deploy/restore.sh", str(dump)],
        cwd=stack.directory, env=stack.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert restore.returncode == 0, restore.stdout[-3000:] + restore.stderr[-3000:]
    stack.wait_ready()
    page = html.unescape(stack.browser.get("/").text)
    assert stack.state["title"] in page
    assert later not in page


def test_web_runs_as_a_non_root_user_on_a_read_only_root(stack: ComposeStack) -> None:
    uid = stack.compose("exec", "-T", "web", "id", "-u").stdout.strip()
    assert uid == "10001"
    touched = stack.compose("exec", "-T", "web", "touch", "/app/written", check=False)
    assert touched.returncode != 0
    assert "Read-only file system" in touched.stderr


def test_web_cannot_read_the_mysql_root_password(stack: ComposeStack) -> None:
    read = stack.compose(
        "exec", "-T", "web", "cat", "/run/todo-secrets/mysql_root_password", check=False
    )
    assert read.returncode != 0
    assert "Permission denied" in read.stderr


def test_the_database_grants_the_test_database_and_stores_utf8mb4(stack: ComposeStack) -> None:
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


def _lookup_from(
    stack: ComposeStack, network: str, *names: str
) -> subprocess.CompletedProcess[str]:
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


def test_only_containers_on_todo_network_resolve_db(stack: ComposeStack) -> None:
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


def _address_on(stack: ComposeStack, project: str, service: str, network: str) -> str:
    container = stack.compose("--project-name", project, "ps", "--quiet", service).stdout.split()[0]
    template = f"{{{{(index .NetworkSettings.Networks {json.dumps(network)}).IPAddress}}}}"
    return stack.docker("inspect", "--format", template, container).stdout.strip()


def _db_seen_from(stack: ComposeStack, network: str, other_db: str) -> list[str]:
    """From a container on network: every address `db` resolves to, and whether other_db:3306
    answers."""
    container = f"todo-test-probe-{uuid.uuid4().hex[:8]}"
    probe = (
        "import socket, sys\n"
        "found = socket.getaddrinfo('db', 3306, type=socket.SOCK_STREAM)\n"
        "print(*sorted({address[4][0] for address in found}))\n"
        "try:\n"
        "    socket.create_connection((sys.argv[1], 3306), 3).close()\n"
        "    print('reached')\n"
        "except OSError:\n"
        "    print('unreachable')\n"
    )
    try:
        result = stack.docker(
            "run", "--name", container, "--network", network, "--entrypoint", "python", IMAGE,
            "-c", probe, other_db,
        )  # fmt: skip
    finally:
        stack.docker("rm", "--force", container, check=False)
    return result.stdout.splitlines()


def test_a_second_project_beside_it_has_its_own_network_and_data(stack: ComposeStack) -> None:
    if stack.browser is None:
        pytest.skip("needs the sign-up step")
    port = free_port()
    env = {**stack.env, "WEB_PORT": str(port), "HTTPS_PORT": str(free_port())}
    second = ComposeStack(directory=stack.directory, port=port, env=env)
    project = ("--project-name", SECOND_PROJECT)
    started = time.monotonic()
    try:
        second.compose(*project, "up", "--detach", "--wait", "--wait-timeout", "300", timeout=600)
        took = time.monotonic() - started
        # Every request of the first stack's visitor reaches the first stack's web and db.
        for _ in range(10):
            _task_is_listed(stack)
        # The second stack has its own database: the first stack's account does not exist there.
        stranger = HttpClient(second.base_url)
        stranger.get(LOGIN)
        credentials = {"login": stack.state["username"], "password": stack.state["password"]}
        assert stranger.post(LOGIN, credentials).status == 200
        first_db = _address_on(stack, PROJECT, "db", NETWORK)
        second_db = _address_on(stack, SECOND_PROJECT, "db", SECOND_NETWORK)
        from_first = _db_seen_from(stack, NETWORK, second_db)
        from_second = _db_seen_from(stack, SECOND_NETWORK, first_db)
        images = {name: _web_image_of(stack, name) for name in (PROJECT, SECOND_PROJECT)}
        tagged = {
            name: stack.docker("image", "inspect", "--format", "{{.Id}}", f"{name}-web").stdout
            for name in (PROJECT, SECOND_PROJECT)
        }
    finally:
        second.compose(*project, "down", "--volumes", "--remove-orphans", check=False)
        second_images = [f"{SECOND_PROJECT}-{image}" for image in ("web", "proxy", "cache")]
        stack.docker("image", "rm", *second_images, check=False)
    print(
        f"\ncompose: a second project up beside the first in {took:.1f} s; from {NETWORK} db is "
        f"{from_first}, from {SECOND_NETWORK} {from_second}"
    )
    assert from_first == [first_db, "unreachable"]
    assert from_second == [second_db, "unreachable"]
    # Each project runs the image it tagged under its own name.
    assert {name: image.strip() for name, image in tagged.items()} == images


def _web_image_of(stack: ComposeStack, project: str) -> str:
    container = stack.compose("--project-name", project, "ps", "--quiet", "web").stdout.split()[0]
    return stack.docker("inspect", "--format", "{{.Image}}", container).stdout.strip()


def _port_bindings(stack: ComposeStack, service: str) -> dict[str, list[dict[str, str]]]:
    container = stack.compose("ps", "--quiet", service).stdout.split()[0]
    inspected = json.loads(stack.docker("inspect", container).stdout)[0]
    bindings: dict[str, list[dict[str, str]]] = inspected["HostConfig"]["PortBindings"] or {}
    # Exposed ports may be listed with no binding; only bound ones reach the host.
    return {port: hosts for port, hosts in bindings.items() if hosts}


def test_only_the_proxy_publishes_ports_and_it_is_healthy(stack: ComposeStack) -> None:
    assert _port_bindings(stack, "db") == {}
    assert _port_bindings(stack, "web") == {}
    assert _port_bindings(stack, "cache") == {}
    assert _port_bindings(stack, "worker") == {}
    proxy = _port_bindings(stack, "proxy")
    # With TLS off, no HTTPS port: the quick start needs no port 443.
    assert {port: hosts[0]["HostPort"] for port, hosts in proxy.items()} == {
        "80/tcp": str(stack.port)
    }
    container = stack.compose("ps", "--quiet", "proxy").stdout.strip()
    health = stack.docker("inspect", "--format", "{{.State.Health.Status}}", container)
    assert health.stdout.strip() == "healthy"


def test_the_proxy_serves_hashed_static_files_compressed_and_cached_for_a_year(
    stack: ComposeStack,
) -> None:
    client = HttpClient(stack.base_url)
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', client.get(LOGIN).text)
    assert stylesheet, "the login page links no hashed stylesheet"
    response = client.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["server"] == "Caddy"  # not proxied: gunicorn would say so, with Via
    assert "via" not in response.headers
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"


def _upload_status(stack: ComposeStack, size: int) -> tuple[list[str], int]:
    """POST a body of `size` bytes as fast as the proxy takes it: (answer's head, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", stack.port), timeout=30)
    sock.sendall(
        f"POST {LOGIN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {size}\r\n\r\n".encode()
    )
    sent = 0

    def send_body() -> None:
        nonlocal sent
        chunk = b"\0" * 65536
        try:
            while sent < size:
                sent += sock.send(chunk[: size - sent])
        except OSError:
            pass  # the proxy answered and closed the connection

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    try:
        answer = sock.makefile("rb")
        head = list(iter(lambda: answer.readline().decode("latin-1").strip(), ""))
    finally:
        sock.close()
        sender.join(timeout=30)
    return head, sent


def test_a_100_mb_body_gets_413_from_the_proxy(stack: ComposeStack) -> None:
    head, sent = _upload_status(stack, 100 * 1024 * 1024)
    assert head, "the proxy closed the connection without an answer"
    print(f"\nproxy: 100 MB upload answered {head[0]!r} after {sent / 1e6:.1f} MB sent")
    assert head[0].startswith("HTTP/1.1 413")
    assert "Server: Caddy" in head  # the proxy's own answer: the app's would come with a Via
    assert not [line for line in head if line.lower().startswith("via:")]


def test_django_trusts_the_proxy_not_a_forged_x_forwarded_for(stack: ComposeStack) -> None:
    # Each attempt claims another client address. If Django believed the header, every attempt
    # would come from a new address and the lockout (5 failures per username and address) would
    # never trigger; the proxy replaces the header with the real peer, so it does.
    client = HttpClient(stack.base_url)
    client.get(LOGIN)
    username = f"forged-{uuid.uuid4().hex[:8]}"
    statuses = []
    for attempt in range(6):
        forged = {"X-Forwarded-For": f"203.0.113.{attempt}", "X-Forwarded-Proto": "https"}
        response = client.post(LOGIN, {"login": username, "password": "no"}, headers=forged)
        statuses.append(response.status)
    assert statuses[:4] == [200] * 4
    assert statuses[-1] == 429


def _web_log_lines(stack: ComposeStack, needle: str) -> int:
    return stack.compose("logs", "--no-color", "web").stdout.count(needle)


def test_slow_clients_do_not_hold_up_other_visitors(stack: ComposeStack) -> None:
    # One web replica with a handful of sync workers: 100 slow connections would take them all if
    # they reached gunicorn. Through the proxy, a normal visitor asks once a second for 60 s.
    slow_headers = SlowClients("127.0.0.1", stack.port, SLOW_HEADERS, count=50)
    slow_bodies = SlowClients("127.0.0.1", stack.port, SLOW_BODY, count=50)
    posts_before = _web_log_lines(stack, f"POST {LOGIN}")
    visitor = HttpClient(stack.base_url)
    latencies: list[float] = []
    failures: list[str] = []
    slow_headers.start()
    slow_bodies.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            asked = time.monotonic()
            try:
                status = visitor.get(LOGIN, timeout=10).status
                if status != 200:
                    failures.append(f"HTTP {status}")
            except (OSError, http.client.HTTPException) as exc:
                failures.append(repr(exc))
            latencies.append(time.monotonic() - asked)
            time.sleep(max(0.0, 1 - latencies[-1]))
    finally:
        slow_headers.stop()
        slow_bodies.stop()
    posts_after = _web_log_lines(stack, f"POST {LOGIN}")
    print(
        f"\nproxy: 50 slow-header + 50 slow-body connections for 60 s; {len(latencies)} "
        f"GET {LOGIN}, {len(failures)} failed, latency max {max(latencies):.3f} s, "
        f"median {sorted(latencies)[len(latencies) // 2]:.3f} s; the proxy cut "
        f"{slow_headers.cuts} slow-header connections (held at most "
        f"{max(slow_headers.held, default=0):.0f} s) and {slow_bodies.cuts} slow-body ones; "
        f"gunicorn logged {posts_after - posts_before} of their POSTs"
    )
    assert failures == []
    # read_header disconnects the slow-header clients; read_body abandons the slow bodies, which
    # therefore never reach gunicorn (Caddy keeps their idle sockets, not a worker).
    assert slow_headers.cuts >= 50
    assert posts_after == posts_before


def test_scaling_to_three_replicas_recreates_nothing_and_all_serve(stack: ComposeStack) -> None:
    before = set(stack.compose("ps", "--all", "--quiet").stdout.split())  # init's too
    # As an operator sets it in .env; every later `up` in these tests keeps the three.
    stack.env["WEB_REPLICAS"] = "3"
    with request_loop(stack.base_url, LOGIN) as during:
        stack.compose("up", "--detach", "--wait", "--wait-timeout", "300")
    after = set(stack.compose("ps", "--all", "--quiet").stdout.split())
    print(f"\ncompose: `up` with WEB_REPLICAS=3 under a request loop: {during}")
    assert before <= after, "scaling up recreated containers"
    assert during.failures == []
    marker = f"spread={uuid.uuid4().hex}"
    client = HttpClient(stack.base_url)
    assert all(client.get(f"{LOGIN}?{marker}").status == 200 for _ in range(30))
    counts = requests_by_replica(stack.compose("logs", "--no-color", "web").stdout, marker)
    print(f"\ncompose: 30 requests over 3 replicas: {dict(counts)}")
    assert sorted(counts) == ["web-1", "web-2", "web-3"]
    assert sum(counts.values()) == 30


def _post_a_broken_chunked_body(stack: ComposeStack) -> str:
    """POST a chunked body whose chunk size is not hex: the status line of the answer."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=30) as sock:
        sock.sendall(
            f"POST {LOGIN} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
            "zz\r\nlogin=x\r\n0\r\n\r\n".encode()
        )
        return sock.makefile("rb").readline().decode("latin-1").strip()


def test_broken_chunked_bodies_get_400_and_take_no_replica_out(stack: ComposeStack) -> None:
    # One broken body per replica: none of them may count against the replica it was sent to.
    answers = [_post_a_broken_chunked_body(stack) for _ in range(3)]
    marker = f"after-broken={uuid.uuid4().hex}"
    client = HttpClient(stack.base_url)
    latencies = []
    for _ in range(6):
        asked = time.monotonic()
        assert client.get(f"{LOGIN}?{marker}", timeout=30).status == 200
        latencies.append(time.monotonic() - asked)
    counts = requests_by_replica(stack.compose("logs", "--no-color", "web").stdout, marker)
    print(
        f"\nproxy: 3 broken chunked bodies answered {answers}; the next 6 GETs took at most "
        f"{max(latencies):.2f} s, served by {dict(counts)}"
    )
    assert [answer.split(" ")[:2] for answer in answers] == [["HTTP/1.1", "400"]] * 3
    assert max(latencies) < 1
    assert sorted(counts) == ["web-1", "web-2", "web-3"]


def test_a_killed_replica_costs_no_failed_get(stack: ComposeStack) -> None:
    victim = stack.compose("ps", "--quiet", "web").stdout.split()[1]
    try:
        with request_loop(stack.base_url, LOGIN) as result:
            time.sleep(3)
            stack.docker("kill", victim)
            time.sleep(10)
    finally:
        # A plain `up` replaces the killed replica: the next tests start from three.
        stack.compose("up", "--detach", "--wait", "--wait-timeout", "300")
    print(f"\ncompose: `docker kill` of one of 3 replicas under a request loop: {result}")
    assert result.requests > 100
    assert result.failures == []


def _web_containers(stack: ComposeStack) -> dict[str, str]:
    """Running web replica ID -> its image ID."""
    ids = stack.compose("ps", "--quiet", "web").stdout.split()
    images = stack.docker("inspect", "--format", "{{.Image}}", *ids).stdout.split()
    return dict(zip(ids, images, strict=True))


def test_the_update_script_replaces_every_replica_without_a_failed_request(
    stack: ComposeStack,
) -> None:
    before = _web_containers(stack)
    assert len(before) == 3
    with (stack.directory / "todos" / "__init__.py").open("a") as module:
        module.write("# the next release\n")  # a code change, so the build makes a new image
    with request_loop(stack.base_url, LOGIN) as result:
        started = time.monotonic()
        update = subprocess.run(
            ["bash", "deploy/update.sh"],
            cwd=stack.directory,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        took = time.monotonic() - started
        time.sleep(2)
    assert update.returncode == 0, update.stdout[-3000:] + update.stderr[-3000:]
    print(f"\ncompose: deploy/update.sh took {took:.1f} s; request loop meanwhile: {result}")
    after = _web_containers(stack)
    assert len(after) == 3
    assert not set(after) & set(before)
    assert len(set(after.values())) == 1
    assert set(after.values()).isdisjoint(before.values())
    assert result.failures == []


def test_https_with_the_local_ca_turns_on_django_hardening(
    stack: ComposeStack, tmp_path: Path
) -> None:
    # A port other than 443, as the README says: in SITE_ADDRESS, HTTPS_PORT and compose.tls.yaml.
    (stack.directory / ".env").write_text(
        f"SITE_ADDRESS=https://localhost:{stack.https_port}\n"
        "COMPOSE_FILE=compose.yaml:compose.tls.yaml\n"
    )
    started = time.monotonic()
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300")
    took = time.monotonic() - started
    print(f"\ncompose: `up -d --wait` after turning on https://localhost {took:.1f} s")
    # The update script's replicas, then this `up`: still WEB_REPLICAS of them.
    assert len(_web_containers(stack)) == 3
    # Trust only the proxy's local CA (Caddy's `tls internal` root).
    root = tmp_path / "caddy-root.crt"
    stack.compose("cp", "proxy:/data/caddy/pki/authorities/local/root.crt", str(root))
    base = f"https://localhost:{stack.https_port}"
    visitor = HttpClient(base, tls=ssl.create_default_context(cafile=str(root)))

    login = visitor.get(LOGIN)
    assert login.status == 200
    # This host only: no includeSubDomains, no preload unless asked for.
    assert login.headers["strict-transport-security"] == "max-age=31536000"
    assert "Secure" in login.headers["set-cookie"]
    redirect = HttpClient(stack.base_url).get(LOGIN, headers={"Host": "localhost"})
    assert redirect.status == 308
    assert redirect.headers["location"] == f"https://localhost:{stack.https_port}{LOGIN}"

    if stack.browser is not None:  # the visitor signs in again, over HTTPS
        # Browsers send Origin with every POST; over HTTPS Django's CSRF check requires it.
        credentials = {"login": stack.state["username"], "password": stack.state["password"]}
        signed_in = visitor.post(LOGIN, credentials, headers={"Origin": base})
        assert signed_in.status == 302, signed_in.text[-2000:]
        assert stack.state["title"] in html.unescape(visitor.get("/").text)

    deploy = stack.compose(
        "exec", "-T", "web", "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert "no issues" in deploy.stdout


def test_down_with_volumes_removes_the_data(stack: ComposeStack) -> None:
    stack.compose("down", "--volumes")
    volumes = stack.docker("volume", "ls", "--quiet").stdout.split()
    assert not [v for v in VOLUMES if v in volumes]
    assert stack.docker("network", "inspect", NETWORK, check=False).returncode != 0
