"""The README's API examples, run as they stand with curl against the app under gunicorn."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess

import pytest

from api import services
from api.models import Scope
from tests.conftest import create_user
from tests.support.db import db_url
from tests.support.live import REPO_ROOT, app_serving, clean_env, require_in_ci
from todos.models import Task


def readme_api_examples() -> str:
    """The shell block of the README's "API" section."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return str(block)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_readme_s_curl_examples_work_against_the_running_app(django_db_setup):
    for tool in ("curl", "jq"):
        if shutil.which(tool) is None:
            require_in_ci(f"the README's API examples need {tool}")
    owner = create_user("olivia", "owner-password-123")
    secret = services.create_token(user=owner, name="README", scope=Scope.READ_WRITE).secret
    script = "set -o errexit -o nounset -o pipefail\n" + readme_api_examples()
    with app_serving(db_url()) as server:
        result = subprocess.run(
            ["bash", "-c", script],
            env=clean_env(TODO=server.url, TOKEN=secret),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, (result.stdout, result.stderr, server.output)
    # The first command's answer (curl adds no newline between answers).
    lists, _end = json.JSONDecoder().raw_decode(result.stdout)
    assert [item["name"] for item in lists] == ["Inbox"]
    task = Task.objects.get(title="Buy milk")
    assert task.done and task.due_date == dt.date(2030, 1, 31)
    assert task.created_by == owner
