"""SQL queries per request, counted in-process through the full middleware stack.

Run by the harness as ``python -m bench.queries`` with the server's environment (same settings,
same database) and a JSON list of requests on stdin::

    [{"name": "tasks-1k", "method": "GET", "path": "/", "cookies": {...}, "data": {...}}, ...]

Each request is sent twice with django.test.Client carrying the real session cookie (so session
and user lookups are counted as in production); the second, warm, run is reported. The API's
requests carry ``headers`` (its Bearer token) and a ``json`` body instead; ``conditional`` sends
the ETag of the first answer back (If-None-Match), and ``paths`` gives each run its own. Prints one
line, "BENCH_QUERIES {name: {"status": int, "count": int, "sql": [str, ...], "explain": [...]}}".
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
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    requests: list[dict[str, Any]] = json.load(sys.stdin)
    results: dict[str, Any] = {}
    for spec in requests:
        client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        for key, value in spec.get("cookies", {}).items():
            client.cookies[key] = value
        headers = {"X-CSRFToken": spec["cookies"].get("csrftoken", ""), **spec.get("headers", {})}
        for path in spec.get("paths") or [spec["path"]] * 2:
            with CaptureQueriesContext(connection) as captured:
                if spec["method"] == "GET":
                    response = client.get(path, headers=headers)
                elif "json" in spec:
                    body = json.dumps(spec["json"])
                    response = client.post(
                        path, body, content_type="application/json", headers=headers
                    )
                else:
                    response = client.post(path, spec.get("data", {}), headers=headers)
            if spec.get("conditional") and "ETag" in response:
                headers["If-None-Match"] = response["ETag"]
        sql = [query["sql"] for query in captured.captured_queries]
        results[spec["name"]] = {
            "status": response.status_code,
            "count": len(sql),
            "sql": sql,
            "explain": [plan_of(connection, query) for query in sql if _reads_tasks(query)],
        }
    # Django's own logging also goes to stdout: the result is the one marked line.
    print("BENCH_QUERIES " + json.dumps(results))
    return 0


def _reads_tasks(sql: str) -> bool:
    return sql.startswith("SELECT") and "FROM `todos_task`" in sql


def plan_of(connection: Any, sql: str) -> dict[str, Any]:
    """Which index one captured query uses and how many rows it reads."""
    from tests.support.db import explain

    row = explain(sql, connection)
    return {
        "sql": sql,
        "type": row.get("type"),
        "key": row.get("key"),
        "rows": row.get("rows"),
        "extra": row.get("extra") or "",
    }


if __name__ == "__main__":
    raise SystemExit(main())
