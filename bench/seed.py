"""The bench's many users and its API token, made in one process (one ``manage.py`` per user
would start Django twenty times).

Run by the harness as ``python -m bench.seed`` with the server's environment and a JSON object
on stdin::

    {"users": ["bench200-01", ...], "tasks": 200, "password": "...", "token_for": "bench1k"}

Each user is made by ``seed_demo``, as the single users are; the token is made by the API's own
service (read and write). Prints one line, "BENCH_SEED {"token": "<secret>"}".
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_site.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from api.models import Scope
    from api.services import create_token

    spec: dict[str, Any] = json.load(sys.stdin)
    for username in spec["users"]:
        call_command(
            "seed_demo", user=username, tasks=spec["tasks"], password=spec["password"], verbosity=0
        )
    owner = get_user_model().objects.get(username=spec["token_for"])
    created = create_token(user=owner, name="bench", scope=Scope.READ_WRITE)
    print("BENCH_SEED " + json.dumps({"token": created.secret}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
