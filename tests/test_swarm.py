"""The Swarm stack (deploy/stack.yaml) for real on one node: deploy, use, scale, roll, remove.

Needs a Docker engine that is a Swarm manager (`../shared/compose-lab/up-docker --swarm` in CI).
The images are built from a clean copy of the working tree with `docker compose build`, as an
operator would.

One stack serves the module: deploy, use, scale, roll and remove, in file order.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.support.compose import (
    Stack,
    clean_copy,
    engine_env,
    request_loop,
    requests_by_replica,
)
from tests.support.http import HttpClient
from tests.support.live import free_port, in_ci, require_in_ci

pytestmark = pytest.mark.compose

STACK = "todo-swarm-test"
NETWORK = f"{STACK}_default"
DB_LABEL = "todo.db=true"
SECRETS = (
    "todo_django_secret_key",
    "todo_mysql_root_password",
    "todo_mysql_password",
    "todo_cache_password",
)
LOGIN = "/accounts/login/"


def _stack_containers(stack: Stack) -> list[str]:
    return stack.docker(
        "ps", "--all", "--quiet", "--filter", f"label=com.docker.stack.namespace={STACK}"
    ).stdout.split()


def _wait_until(condition_holds: object, what: str, timeout: float = 120) -> float:
    started = time.monotonic()
    while not condition_holds():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(1)
    return time.monotonic() - started


def _remove_stack(stack: Stack) -> float:
    """`docker stack rm`, then wait until its containers and network are gone."""
    stack.docker("stack", "rm", STACK, check=False)
    return _wait_until(
        lambda: (
            not _stack_containers(stack)
            and stack.docker("network", "inspect", NETWORK, check=False).returncode != 0
        ),
        "stack containers and network removed",
    )


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = engine_env()
    info = subprocess.run(
        ["docker", "info", "--format", "{{json .Swarm}}"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    node = json.loads(info.stdout)
    if node.get("LocalNodeState") != "active" or not node.get("ControlAvailable"):
        require_in_ci("the engine is not a Swarm manager (`up-docker --swarm`)")
    directory = tmp_path_factory.mktemp("swarm") / "todo"
    directory.mkdir()
    clean_copy(directory)
    # As the README says: the stack hands web all of .env, so the file must exist.
    shutil.copy(directory / ".env.example", directory / ".env")
    port, https_port = free_port(), free_port()
    env.update(WEB_PORT=str(port), HTTPS_PORT=str(https_port))
    s = Stack(directory=directory, port=port, env=env)

    if s.docker("network", "inspect", NETWORK, check=False).returncode == 0:
        if not in_ci():
            pytest.skip(f"{NETWORK} exists (a Swarm stack {STACK} runs here)")
        _remove_stack(s)
    node_id = node["NodeID"]
    s.docker("compose", "build", timeout=900)
    s.docker("node", "update", "--label-add", DB_LABEL, node_id)
    created = subprocess.run(
        ["bash", "deploy/swarm-secrets.sh"],
        cwd=directory, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    print("\n" + created.stdout.strip())
    try:
        started = time.monotonic()
        s.docker(
            "stack", "deploy", "--detach", "--resolve-image", "never",
            "--compose-file", "deploy/stack.yaml", STACK,
        )  # fmt: skip
        s.wait_ready(timeout=300)
        took = time.monotonic() - started
        print(f"swarm: `stack deploy` to /readyz 200 through the proxy {took:.1f} s")
        yield s
    finally:
        for service in ("web", "worker"):
            logs = s.docker("service", "logs", "--tail", "30", f"{STACK}_{service}", check=False)
            print(logs.stdout[-3000:] + logs.stderr[-3000:])
        _remove_stack(s)
        volumes = [f"{STACK}_{name}" for name in ("db-data", "proxy-data", "proxy-config")]
        s.docker("volume", "rm", *volumes, check=False)
        s.docker("secret", "rm", *SECRETS, check=False)
        s.docker("node", "update", "--label-rm", DB_LABEL.split("=")[0], node_id, check=False)


def test_docker_stack_config_validates_the_file(swarm: Stack) -> None:
    config = swarm.docker("stack", "config", "--compose-file", "deploy/stack.yaml")
    assert "endpoint_mode: dnsrr" in config.stdout


def test_the_app_answers_through_the_proxy(swarm: Stack) -> None:
    response = HttpClient(swarm.base_url).get(LOGIN)
    assert response.status == 200
    assert response.headers["via"] == "1.1 Caddy"


def test_one_worker_task_runs_and_turns_healthy(swarm: Stack) -> None:
    def one_healthy_worker() -> bool:
        healthy = swarm.docker(
            "ps", "--quiet", "--filter", f"label=com.docker.swarm.service.name={STACK}_worker",
            "--filter", "health=healthy",
        )  # fmt: skip
        return len(healthy.stdout.split()) == 1

    took = _wait_until(one_healthy_worker, "a healthy worker task", timeout=180)
    print(f"\nswarm: a healthy worker task {took:.1f} s after the proxy answered")
    tasks = swarm.docker(
        "service", "ps", "--quiet", "--filter", "desired-state=running", f"{STACK}_worker"
    )
    assert len(tasks.stdout.split()) == 1


def test_db_runs_on_the_labelled_node_with_its_volume(swarm: Stack) -> None:
    service = json.loads(swarm.docker("service", "inspect", f"{STACK}_db").stdout)[0]
    constraints = service["Spec"]["TaskTemplate"]["Placement"]["Constraints"]
    assert constraints == ["node.labels.todo.db == true"]
    volumes = swarm.docker("volume", "ls", "--quiet").stdout.split()
    assert f"{STACK}_db-data" in volumes


def test_a_plain_container_on_the_stack_s_network_reaches_db(swarm: Stack) -> None:
    # The tutorial's `docker run --network todo_default`: the overlay network is attachable.
    container = f"todo-test-attach-{uuid.uuid4().hex[:8]}"
    probe = "import socket; socket.create_connection(('todo-mysql', 3306), 5); print('reached')"
    try:
        result = swarm.docker(
            "run", "--name", container, "--network", NETWORK, "--entrypoint", "python",
            "todo-web", "-c", probe, check=False,
        )  # fmt: skip
    finally:
        swarm.docker("rm", "--force", container, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reached"


def test_web_scales_to_three_and_every_replica_serves(swarm: Stack) -> None:
    swarm.docker("service", "scale", "--detach", f"{STACK}_web=3")
    marker = f"spread={uuid.uuid4().hex}"

    client = HttpClient(swarm.base_url)

    def all_three_answer() -> bool:
        assert all(client.get(f"{LOGIN}?{marker}").status == 200 for _ in range(15))
        logs = swarm.docker("service", "logs", "--no-trunc", f"{STACK}_web").stdout
        swarm.state["spread"] = str(dict(requests_by_replica(logs, marker)))
        return len(requests_by_replica(logs, marker)) == 3

    took = _wait_until(all_three_answer, "requests reach 3 web tasks", timeout=180)
    print(f"\nswarm: scaled web to 3, all serving after {took:.1f} s: {swarm.state['spread']}")


def _web_tasks(swarm: Stack) -> set[str]:
    return set(
        swarm.docker(
            "service", "ps", "--quiet", "--filter", "desired-state=running", f"{STACK}_web"
        ).stdout.split()
    )


def test_a_rolling_update_fails_no_request(swarm: Stack) -> None:
    before = _web_tasks(swarm)
    assert len(before) == 3
    with request_loop(swarm.base_url, LOGIN) as result:
        started = time.monotonic()
        swarm.docker(
            "service", "update", "--quiet", "--detach=false", "--env-add", "TODO_RELEASE=next",
            f"{STACK}_web", timeout=600,
        )  # fmt: skip
        took = time.monotonic() - started
        time.sleep(2)
    print(f"\nswarm: rolling update of 3 web tasks took {took:.1f} s; request loop: {result}")
    service = json.loads(swarm.docker("service", "inspect", f"{STACK}_web").stdout)[0]
    assert service["UpdateStatus"]["State"] == "completed"
    after = _web_tasks(swarm)
    assert len(after) == 3
    assert not after & before
    assert result.requests > 100
    assert result.failures == []


def test_stack_rm_removes_services_containers_and_network(swarm: Stack) -> None:
    took = _remove_stack(swarm)
    print(f"\nswarm: `stack rm` until containers and network are gone {took:.1f} s")
    services = swarm.docker(
        "service", "ls", "--quiet", "--filter", f"label=com.docker.stack.namespace={STACK}"
    )
    assert services.stdout.split() == []
