"""Every setting .env.example documents reaches `web` and `worker` from .env, in Compose and in
Swarm.

The defaults live once, in the app; compose.yaml and deploy/stack.yaml hand web and worker all of
.env plus what the stack itself fixes. Read from what the tools will start (`docker compose config`,
`docker stack config`), on a clean copy of the project with a .env that sets every documented
name to a value of its own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.compose import Stack, clean_copy, engine_env

pytestmark = pytest.mark.compose

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"
DOCUMENTED = re.findall(r"^#?([A-Z][A-Z0-9_]*)=", EXAMPLE.read_text(), re.MULTILINE)
# Secrets reach web as files only; the MySQL root password not at all.
SECRETS = {"DJANGO_SECRET_KEY", "MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD", "CACHE_PASSWORD"}
# Names the tools themselves read need values they accept; every other name gets its own.
VALID = {
    "WEB_PORT": "18080",
    "HTTPS_PORT": "18443",
    "WEB_REPLICAS": "2",
    "WORKER_REPLICAS": "2",
    "COMPOSE_FILE": "compose.yaml:compose.tls.yaml",
    "COMPOSE_PROJECT_NAME": "todo-settings",
    "TODO_WEB_IMAGE": "todo-settings-web",
    "TODO_PROXY_IMAGE": "todo-settings-proxy",
    "TODO_CACHE_IMAGE": "todo-settings-cache",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    directory = tmp_path_factory.mktemp("settings") / "todo"
    directory.mkdir()
    clean_copy(directory)
    values = {name: VALID.get(name, f"set-{name.lower()}") for name in DOCUMENTED}
    (directory / ".env").write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return Stack(directory=directory, port=0, env=engine_env(), state=values)


def _missing(environment: dict[str, str], values: dict[str, str]) -> dict[str, object]:
    """Documented names whose .env value web does not get (or, for secrets, does get)."""
    wrong: dict[str, object] = {}
    for name, value in values.items():
        if (environment.get(name) == value) == (name in SECRETS):
            wrong[name] = environment.get(name)
    return wrong


def test_the_documentation_names_the_settings():
    assert len(DOCUMENTED) > 40
    assert {"DJANGO_ALLOWED_HOSTS", "EMAIL_URL", "DJANGO_OIDC_CLIENT_ID"} <= set(DOCUMENTED)


@pytest.mark.parametrize("service", ["web", "worker"])
def test_every_documented_setting_reaches_the_app_in_compose(project: Stack, service: str) -> None:
    config = json.loads(project.compose("config", "--format", "json").stdout)
    environment = config["services"][service]["environment"]
    expected = dict(project.state)
    if service == "worker":
        # Migrations stay web's: the worker starts once web is healthy, i.e. migrated.
        del expected["DJANGO_MIGRATE"]
        assert environment["DJANGO_MIGRATE"] == "false"
    assert _missing(environment, expected) == {}


def _environment_of_stack_config(config: str, service: str) -> dict[str, str]:
    """services.<service>.environment from `docker stack config`'s YAML (flat `KEY: value`
    lines)."""
    definition = config.split(f"\n  {service}:\n", 1)[1]
    block = definition.split("\n    environment:\n", 1)[1]
    environment = {}
    for line in block.splitlines():
        if not line.startswith("      ") or line.startswith("       "):
            break
        name, _, value = line.strip().partition(": ")
        environment[name] = json.loads(value) if value.startswith('"') else value
    return environment


@pytest.mark.parametrize("service", ["web", "worker"])
def test_every_documented_setting_reaches_the_app_in_the_swarm_stack(
    project: Stack, service: str
) -> None:
    config = project.docker("stack", "config", "--compose-file", "deploy/stack.yaml").stdout
    environment = _environment_of_stack_config(config, service)
    assert environment["DB_HOST"] == "db"  # the parser read the block
    assert _missing(environment, project.state) == {}
