"""``python -m bench``: the tasks pages under load, side by side with a bare-WSGI ceiling.

One run, on this machine:
  1. snapshots the app into a temporary directory (what the Docker build copies) and runs
     ``collectstatic`` there, as the image build does;
  2. drops and creates its own database, migrates it and seeds users with 10, 1,000 and
     10,000 tasks (``seed_demo``), 20 more with 200 each, and an API token (bench/seed.py);
  3. starts the app exactly as the container does (``gunicorn -c gunicorn.conf.py``,
     DEBUG off) and a bare WSGI "hello" app (bench/hello.py) under the same config file;
  4. logs each user in through the real login form and counts SQL queries per request
     (in-process, through the whole middleware stack, with the real session cookie);
  5. loads every scenario with wrk (default 16 connections, 10 s each), the ceiling first and
     last, and samples gunicorn worker RSS before and after;
  6. times cold starts through docker/entrypoint.sh (migrations applied, and an empty database);
  7. prints a table and writes it as Markdown and JSON into bench/results/.
"""

# This harness starts its own subprocesses (manage.py, gunicorn, wrk, git) from fixed argv lists.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import db
from tests.support.http import HttpClient
from tests.support.live import GUNICORN, WSGI_APP, AppProcess, clean_env, manage
from todo_site.database import CHARSET

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_APP_DIR = BENCH_DIR.parent
# The shared live-app layer, copied into the snapshot beside the harness.
SUPPORT_DIR = DEFAULT_APP_DIR / "tests" / "support"
RESULTS_DIR = BENCH_DIR / "results"
LUA_SCRIPT = BENCH_DIR / "report.lua"
DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/todo_bench"
# The Redis the tests use, in a database number of its own.
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/15"
PASSWORD = "bench-password-4-load"  # noqa: S105 - a throwaway account in a throwaway database
USERS = {"bench10": 10, "bench1k": 1_000, "bench10k": 10_000}
# The Today and Upcoming rows' user: 1,000 tasks over DAYS_LISTS lists of their own.
DAYS_USER = "benchdays"
DAYS_LISTS = 5
# The many-users rows: each request the next of these, each with a full first page and more.
MANY_USERS = [f"bench200-{number:02}" for number in range(1, 21)]
MANY_TASKS = 200
# Counted (one INCR a request, as in production) but never reached by the API rows.
API_RATE_LIMIT = "1000000000"
# What the Docker build leaves out of the image (.dockerignore), plus the harness's own output.
SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "*.py[cod]",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "staticfiles",
    "node_modules",
    "*.log",
    "tests",
    "docs",
    "results",
    "test-artifacts",
    ".env",
)


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    user: str  # "" for the hello app
    method: str
    path: str  # "{list}" is replaced by the user's list id
    description: str
    mode: str = "get"  # report.lua's MODE
    expected: int = 200
    encoding: str = "-"
    token: bool = False  # the API's Bearer token instead of the session cookie
    conditional: bool = False  # sends If-None-Match with the ETag the URL answers just before

    @property
    def many(self) -> bool:
        """Every request as the next of MANY_USERS (report.lua's users-* modes)."""
        return self.mode.startswith("users-")


def _write(name: str, path: str, description: str) -> Scenario:
    """A POST as the 1,000-task user, answered by the redirect-after-POST (report.lua's mode)."""
    mode = name.removesuffix("-1k")
    return Scenario(name, "bench1k", "POST", path, description, mode=mode, expected=302)


def _api(name: str, method: str, path: str, description: str, **kwargs: Any) -> Scenario:
    """A request to the JSON API as the 1,000-task user, with their personal access token."""
    return Scenario(name, "bench1k", method, path, description, token=True, **kwargs)


API_TASKS = "/api/v1/lists/{list}/tasks"
GZIP = "gzip, deflate, br"  # what browsers send
SCENARIOS = [
    Scenario("hello", "", "GET", "/", "bare WSGI app, same gunicorn config (the ceiling)"),
    Scenario(
        "healthz", "", "GET", "/healthz", "answered by the first middleware (the probes' path)"
    ),
    Scenario("floor-anon", "", "GET", "/floor/anonymous/", "every middleware, anonymous, no query"),
    Scenario("floor-login", "bench1k", "GET", "/floor/logged-in/", "+ the logged-in user"),
    Scenario(
        "floor-queries", "bench1k", "GET", "/floor/page-queries/", "+ the page's other queries"
    ),
    Scenario("tasks-10", "bench10", "GET", "/", "tasks page, 10 tasks"),
    Scenario("tasks-1k", "bench1k", "GET", "/", "tasks page, 1,000 tasks (first page of 50)"),
    Scenario(
        "tasks-1k-unkept",
        "bench1k",
        "GET",
        "/floor/unkept/",
        "same, rendered as when no kept page matches (after a write)",
    ),
    Scenario("tasks-1k-gzip", "bench1k", "GET", "/", "same, gzip as browsers ask", encoding=GZIP),
    Scenario("tasks-10k", "bench10k", "GET", "/", "tasks page, 10,000 tasks"),
    Scenario(
        "today-1k", DAYS_USER, "GET", "/today/", "Today page, 1,000 tasks in 5 lists (first 50)"
    ),
    Scenario(
        "upcoming-1k",
        DAYS_USER,
        "GET",
        "/upcoming/",
        "Upcoming page, 1,000 tasks in 5 lists (first 50)",
    ),
    Scenario("active-1k", "bench1k", "GET", "/?filter=active", "Active filter, 1,000 tasks"),
    Scenario("search-1k", "bench1k", "GET", "/?q=milk", "search ?q=milk, 1,000 tasks"),
    _api("api-tasks-1k", "GET", API_TASKS + "?limit=50", "API: a list's tasks, 50 of 1,000"),
    _api(
        "api-tasks-1k-304",
        "GET",
        API_TASKS + "?limit=50",
        "same, answered 304 (If-None-Match)",
        conditional=True,
        expected=304,
    ),
    Scenario(
        "floor-post",
        "bench1k",
        "POST",
        "/floor/post/",
        "a POST: every middleware, the CSRF check, the logged-in user, a redirect; no query",
        mode="post",
        expected=302,
    ),
    Scenario(
        "floor-write",
        "bench1k",
        "POST",
        "/floor/write/{list}/",
        "+ the transaction of every write: BEGIN, lock the list, UPDATE it, COMMIT",
        mode="post",
        expected=302,
    ),
    _write("add-1k", "/lists/{list}/tasks/", "add a task (POST, 302)"),
    _write("toggle-1k", "/tasks/{task}/toggle/", "toggle a task (POST, 302)"),
    _api("api-add-1k", "POST", API_TASKS, "API: add a task (201)", mode="api-post", expected=201),
    _api(
        "api-complete-1k",
        "POST",
        "/api/v1/tasks/{task}/complete",
        "API: complete an open task (and reopen it on the next pass)",
        mode="api-complete",
    ),
    Scenario(
        "users20-read",
        MANY_USERS[0],
        "GET",
        "/",
        "20 users of 200 tasks, each request the next user: their tasks page",
        mode="users-read",
    ),
    Scenario(
        "users20-mixed",
        MANY_USERS[0],
        "GET",
        "/",
        "same, 8 pages, 1 add, 1 toggle in 10 (the POSTs answered 302, not followed)",
        mode="users-mixed",
    ),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the database -----------------------------------------------------------------------------


def database_settings(url: str) -> dict[str, Any]:
    import environ

    config: dict[str, Any] = environ.Env.db_url_config(url)
    return config


def mysql_connect(url: str, *, database: bool = True) -> Any:
    import MySQLdb

    config = database_settings(url)
    kwargs: dict[str, Any] = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": int(config.get("PORT") or 3306),
        "user": config.get("USER") or "root",
        "password": config.get("PASSWORD") or "",
        "charset": CHARSET,
    }
    if database:
        kwargs["database"] = config["NAME"]
    return MySQLdb.connect(**kwargs)


def recreate_database(url: str) -> None:
    name = database_settings(url)["NAME"]
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    connection = mysql_connect(url, database=False)
    try:
        db.recreate_database(connection.cursor(), name)
    finally:
        connection.close()


def drop_database(url: str) -> None:
    connection = mysql_connect(url, database=False)
    try:
        db.drop_database(connection.cursor(), database_settings(url)["NAME"])
    finally:
        connection.close()


def user_ids(url: str, username: str, *, open_only: bool = False) -> tuple[int, list[int]]:
    """The user's first list id and the ids of its first 200 tasks (for the toggle scenario),
    or of its first 200 open ones that do not repeat."""
    connection = mysql_connect(url)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT l.id FROM todos_tasklist l JOIN auth_user u ON u.id = l.owner_id "
            "WHERE u.username = %s ORDER BY l.created_at, l.id LIMIT 1",
            [username],
        )
        (list_id,) = cursor.fetchone()
        cursor.execute(
            # Completing an open repeating task moves it on, and it stays open.
            "SELECT id FROM todos_task WHERE list_id = %s AND NOT done AND repeat_rule = '' "
            "ORDER BY position, id LIMIT 200"
            if open_only
            # Without naming repeat_rule, which an older tree (--app-dir) may not have.
            else "SELECT id FROM todos_task WHERE list_id = %s ORDER BY position, id LIMIT 200",
            [list_id],
        )
        return list_id, [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


# --- the app: snapshot, manage.py, gunicorn ---------------------------------------------------


def snapshot(app_dir: Path, into: Path) -> Path:
    """What `COPY . .` puts in the image, then `collectstatic` as the Dockerfile runs it."""
    target = into / "app"
    shutil.copytree(app_dir, target, ignore=SNAPSHOT_IGNORE)
    # The harness itself (hello app, query counter, the live-app layer) runs from the snapshot too.
    if not (target / "bench").is_dir():
        shutil.copytree(BENCH_DIR, target / "bench", ignore=SNAPSHOT_IGNORE)
    shutil.copytree(SUPPORT_DIR, target / "tests" / "support", ignore=SNAPSHOT_IGNORE)
    (target / "tests" / "__init__.py").touch()
    return target


@dataclasses.dataclass
class Env:
    app: Path
    values: dict[str, str]
    token: str = ""  # the 1,000-task user's API token

    def manage(self, *args: str, quiet: bool = True) -> str:
        result = manage(*args, env=self.values, cwd=self.app, timeout=1800)
        if result.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        if not quiet:
            log(result.stdout.strip())
        return result.stdout


def worker_pids(app: AppProcess) -> list[int]:
    pid = app.process.pid
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return sorted(int(child) for child in children.split())
    return []


def worker_rss_kib(app: AppProcess) -> dict[int, int]:
    rss = {}
    for pid in worker_pids(app):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[pid] = int(line.split()[1])
    return rss


def gunicorn(
    env: Env, name: str, wsgi_app: str, extra_args: list[str], ready_path: str, workdir: Path
) -> AppProcess:
    """The container's command, ``gunicorn -c gunicorn.conf.py``, on a free port."""
    return AppProcess(
        (*GUNICORN, *extra_args, wsgi_app),
        env=env.values,
        ready_path=ready_path,
        cwd=env.app,
        log_path=workdir / f"gunicorn-{name}.log",
    )


# --- logging in -------------------------------------------------------------------------------


@dataclasses.dataclass
class Session:
    username: str
    sessionid: str
    csrftoken: str
    list_id: int
    task_ids: list[int]

    @property
    def cookie_header(self) -> str:
        return f"csrftoken={self.csrftoken}; sessionid={self.sessionid}"


def login(base: str, username: str) -> tuple[str, str]:
    """The real login form: GET it, POST the credentials, keep the session cookie."""
    client = HttpClient(base)
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    if response.status != 302 or response.headers["location"].startswith("/accounts/login"):
        raise SystemExit(f"logging in as {username} failed ({response.status})")
    return client.cookies["sessionid"], client.cookies["csrftoken"]


# --- wrk ----------------------------------------------------------------------------------------


def run_wrk(
    url: str,
    *,
    connections: int,
    threads: int,
    duration: float,
    mode: str = "get",
    expected: int = 200,
    cookie: str = "-",
    csrf: str = "-",
    encoding: str = "-",
    task_ids: str = "",
    add_path: str = "",
    headers: str = "",
    users_file: str = "",
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """wrk for ``duration`` seconds, or until ``stop`` is set (wrk reports on SIGINT)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(duration, 1):g}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        mode,
        str(expected),
        cookie,
        csrf,
        encoding,
        task_ids,
        add_path,
        headers,
        users_file,
        str(threads),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if stop is not None:
        while process.poll() is None and not stop.wait(0.1):
            pass
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate()
    for line in stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
            data["socket_errors"] = sum(
                data["errors"][key] for key in ("connect", "read", "write", "timeout")
            )
            return data
    raise SystemExit(f"wrk printed no result:\n{stdout}\n{stderr}")


# --- cold start -------------------------------------------------------------------------------


def time_cold_start(env: Env, workdir: Path, label: str, extra_args: list[str]) -> dict[str, float]:
    """Seconds from starting docker/entrypoint.sh (database already up) to the first 200 of
    /readyz, with the moments the entrypoint reaches gunicorn and a worker boots."""
    command = [
        str(env.app / "docker" / "entrypoint.sh"),
        "gunicorn",
        "--config",
        "gunicorn.conf.py",
        *extra_args,
        WSGI_APP,
    ]
    app = AppProcess(
        command,
        env=env.values,
        ready_path="/readyz",
        cwd=env.app,
        log_path=workdir / f"cold-{label}.log",
        timeout=120,
        poll=0.02,
    )
    try:
        marks = {"ready_s": app.start().wait_ready()}
    finally:
        app.stop()
    for at, line in app.lines:
        if "entrypoint: starting" in line:
            marks.setdefault("entrypoint_done_s", at)
        elif "Booting worker" in line:
            marks.setdefault("first_worker_s", at)
    return marks


# --- reporting --------------------------------------------------------------------------------


def git_description(app_dir: Path) -> str:
    def git(*args: str) -> str:
        command = ["git", "-C", str(app_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.1f}"


def render_markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"Run {meta['started']} · commit {meta['commit']} · {meta['cpus']} CPUs · "
        f"gunicorn {meta['gunicorn_workers']} {meta['worker_class']} workers"
        f"{' ' + ' '.join(meta['gunicorn_args']) if meta['gunicorn_args'] else ''} · "
        f"`wrk -t{meta['threads']} -c{meta['connections']} -d{meta['duration']:g}s` per row · "
        f"load average at start {meta['loadavg']}, at the end {meta['loadavg_end']}",
        "",
        "| scenario | req/s | p50 ms | p99 ms | non-2xx* | errors | ceiling req/s "
        "| ratio to ceiling | queries/request |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["rows"]:
        queries = queries_cell(report["queries"], row["scenario"])
        lines.append(
            f"| {row['scenario']} | {row['rps']:,.0f} | {ms(row['latency_us']['p50'])} "
            f"| {ms(row['latency_us']['p99'])} | {row['unexpected_status']} "
            f"| {row['socket_errors']} | {row['ceiling_rps']:,.0f} | {row['ratio']:.3f} "
            f"| {queries} |"
        )
    ceiling = report["ceiling"]
    lines += [
        "",
        f"The hello row is the mean of {len(ceiling['runs'])} runs of the ceiling "
        f"({ceiling['min']:,.0f} to {ceiling['max']:,.0f} req/s), one before the first row and one "
        "after every row; each row's ratio is to the mean of the two ceiling runs beside it. "
        "*non-2xx: responses other than the expected status (200 for pages and the API's "
        "reads and completions; the 302 redirect-after-POST for add and toggle, and in the mixed "
        "rows anything but a 302 to the login page; 201 for the API's add; 304 for the "
        "conditional GET). errors: wrk socket errors (connect, read, write, timeout).",
    ]
    rss = report.get("rss")
    if rss:
        lines += [
            "",
            f"Gunicorn worker RSS: {rss['before_mean_mib']:.1f} MiB mean over "
            f"{len(rss['before_kib'])} workers before the load, {rss['after_mean_mib']:.1f} MiB "
            f"after ({rss['growth_pct']:+.1f} %); {rss['recycled']} of the workers were replaced "
            "meanwhile (gunicorn max_requests).",
        ]
    if report.get("soak"):
        soak = report["soak"]
        lines += [
            "",
            f"Soak: {soak['seconds']:g} s of mixed reads and writes (7 page GETs, 1 add, "
            f"2 toggles in 10) at {soak['connections']} connections: {soak['requests']:,} "
            f"requests, {soak['rps']:,.0f} req/s, p99 {ms(soak['latency_us']['p99'])} ms, "
            f"{soak['unexpected_status']} unexpected statuses, {soak['socket_errors']} socket "
            f"errors; worker RSS {soak['before_mean_mib']:.1f} → {soak['after_mean_mib']:.1f} MiB "
            f"mean ({soak['growth_pct']:+.1f} %), {soak['recycled']} workers recycled.",
        ]
    if report.get("cold_start"):
        lines += [
            "",
            "| cold start through docker/entrypoint.sh | runs | first 200 of /readyz, s (median) "
            "| entrypoint done → exec gunicorn, s | first worker booted, s |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for label, runs in report["cold_start"].items():
            lines.append(
                f"| {label} | {len(runs)} | {statistics.median(r['ready_s'] for r in runs):.2f} "
                f"| {statistics.median(r.get('entrypoint_done_s', 0) for r in runs):.2f} "
                f"| {statistics.median(r.get('first_worker_s', 0) for r in runs):.2f} |"
            )
    lines += ["", "SQL per request (warm, in-process, real session cookie):", ""]
    for name, info in report["queries"].items():
        lines.append(f"- **{name}** (status {info['status']}): {info['count']} queries")
        for sql in info["sql"]:
            lines.append(f"  - `{sql if len(sql) <= 160 else sql[:157] + '...'}`")
        for plan in info.get("explain", []):
            lines.append(
                f"  - EXPLAIN: key `{plan['key']}`, type {plan['type']}, rows {plan['rows']}"
                f"{', ' + plan['extra'] if plan['extra'] else ''} — `{plan['sql'][:80]}...`"
            )
    return "\n".join(lines) + "\n"


def queries_cell(queries: dict[str, Any], scenario: str) -> str:
    """A row's queries per request, or its parts' ("page/add/tick") for a mixed row."""
    if scenario in queries:
        return str(queries[scenario]["count"])
    parts = [info["count"] for name, info in queries.items() if name.startswith(scenario + ":")]
    return "/".join(map(str, parts))


def print_table(report: dict[str, Any]) -> None:
    header = (
        f"{'scenario':<15}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}"
        f"{'ratio':>8}{'queries':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in report["rows"]:
        queries = queries_cell(report["queries"], row["scenario"])
        print(
            f"{row['scenario']:<15}{row['rps']:>9,.0f}{ms(row['latency_us']['p50']):>9}"
            f"{ms(row['latency_us']['p99']):>9}{row['unexpected_status']:>9}"
            f"{row['socket_errors']:>8}{row['ratio']:>8.3f}{queries!s:>9}"
        )


# --- the run ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    add_run_arguments(parser)
    parser.add_argument(
        "--only", help="comma-separated scenario names to run (the hello rows always run)"
    )
    parser.add_argument(
        "--soak", type=float, default=0, help="seconds of mixed reads/writes for errors and RSS"
    )
    parser.add_argument(
        "--soak-connections", type=int, default=32, help="connections during the soak (32)"
    )
    parser.add_argument("--cold-start-runs", type=int, default=3, help="per case (0 to skip)")
    return parser.parse_args(argv)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of every bench run: the load, the database and cache, the servers."""
    parser.add_argument("--duration", type=float, default=10, help="seconds per row (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--warmup", type=float, default=1, help="unrecorded seconds per row (1)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the database to drop and create (BENCH_DATABASE_URL; default %(default)s)",
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL),
        help="CACHE_URL of both servers, as the Compose stack has one ('' for none; "
        "BENCH_CACHE_URL; default %(default)s)",
    )
    parser.add_argument(
        "--app-dir", type=Path, default=DEFAULT_APP_DIR, help="the tree to snapshot and serve"
    )
    parser.add_argument("--label", default="", help="added to the result file names")
    parser.add_argument("--web-concurrency", type=int, help="WEB_CONCURRENCY for both servers")
    parser.add_argument(
        "--gunicorn-arg",
        action="append",
        default=[],
        help="extra gunicorn argument for both servers, e.g. --gunicorn-arg=--threads=4",
    )
    parser.add_argument(
        "--env", action="append", default=[], help="extra NAME=VALUE for both servers"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and database")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    started = dt.datetime.now(dt.UTC)
    load_at_start = load_average()
    scenarios = selected_scenarios(args.only)
    env = prepare(args, workdir, scenarios)
    report = Load(args, env, workdir).run(scenarios)
    if args.cold_start_runs:
        report["cold_start"] = cold_starts(args, env, workdir)
    report["meta"] = run_meta(args, started, load_at_start, report.pop("workers"))
    write_report(report, started, args.label)
    if args.keep:
        log(f"kept {workdir} and the database")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        drop_database(args.database_url)
    return 0


def selected_scenarios(only: str | None) -> list[Scenario]:
    """Every scenario but the ceiling (which always runs), or those named in ``--only``."""
    wanted = set(only.split(",")) if only else None
    return [s for s in SCENARIOS[1:] if wanted is None or s.name in wanted]


def prepare(args: argparse.Namespace, workdir: Path, scenarios: list[Scenario]) -> Env:
    """Snapshot and collectstatic as the image build does; a fresh, migrated, seeded database."""
    log(f"snapshot of {args.app_dir} in {workdir}")
    app = snapshot(args.app_dir.resolve(), workdir)
    values = clean_env(
        DJANGO_SETTINGS_MODULE="bench.settings",  # the app's, plus the floor rows' routes
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=args.database_url,
    )
    if args.cache_url:
        values["CACHE_URL"] = args.cache_url
    if args.web_concurrency:
        values["WEB_CONCURRENCY"] = str(args.web_concurrency)
    values["DJANGO_API_RATE_LIMIT"] = API_RATE_LIMIT
    for item in args.env:
        key, _, value = item.partition("=")
        values[key] = value
    env = Env(app, values)

    log("collectstatic (as the image build does)")
    env.manage("collectstatic", "--noinput")
    log(f"fresh database {database_settings(args.database_url)['NAME']}; migrate; seed")
    recreate_database(args.database_url)
    env.manage("migrate", "--noinput")
    # The 1,000-task user always: the API token, the soak and the many users' seeding use it.
    needed = {"bench1k", *(scenario.user for scenario in scenarios)}
    for username, count in USERS.items():
        if username in needed:
            env.manage(
                "seed_demo", "--user", username, "--tasks", str(count), "--password", PASSWORD
            )
    if DAYS_USER in needed:
        for number in range(1, DAYS_LISTS + 1):
            env.manage(
                *("seed_demo", "--user", DAYS_USER, "--tasks", str(1_000 // DAYS_LISTS)),
                *("--list", f"List {number}", "--seed", str(number), "--password", PASSWORD),
            )
    # Only rows that need them: an older tree (--app-dir) may have no API to make a token with.
    if any(scenario.many or scenario.token for scenario in scenarios):
        env.token = seed_many(env)
    return env


def run_seed(env: Env, spec: dict[str, Any], what: str) -> dict[str, Any]:
    """``python -m bench.seed`` in the snapshot with ``spec``; returns what it reports."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.seed"],
        cwd=env.app,
        env=env.values,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_SEED "):
            report: dict[str, Any] = json.loads(line.removeprefix("BENCH_SEED "))
            return report
    raise SystemExit(f"seeding {what} failed:\n{result.stdout}{result.stderr}")


def seed_many(env: Env) -> str:
    """MANY_USERS with MANY_TASKS each, in one process; returns the 1,000-task user's API token."""
    spec = {"users": MANY_USERS, "tasks": MANY_TASKS, "password": PASSWORD, "token_for": "bench1k"}
    token: str = run_seed(env, spec, "the many users")["token"]
    return token


class Load:
    """The load part of a run: both servers up, every user logged in, wrk row by row."""

    def __init__(self, args: argparse.Namespace, env: Env, workdir: Path) -> None:
        self.args = args
        self.env = env
        self.workdir = workdir
        self.wrk_options: dict[str, Any] = {
            "connections": args.connections,
            "threads": args.threads,
        }
        self.base = ""
        self.sessions: dict[str, Session] = {}

    def run(self, scenarios: list[Scenario]) -> dict[str, Any]:
        args, env, workdir = self.args, self.env, self.workdir
        with (
            gunicorn(
                env, "hello", "bench.hello:application", args.gunicorn_arg, "/", workdir
            ) as hello,
            gunicorn(env, "app", WSGI_APP, args.gunicorn_arg, "/healthz", workdir) as server,
        ):
            self.base = server.url
            self.log_in(scenarios)
            log("SQL queries per request")
            queries = count_queries(env, scenarios, self.sessions, self.url_for, self.request_ids)
            for name, info in queries.items():
                log(f"  {name}: {info['count']} queries (status {info['status']})")

            log("load (the ceiling before and after every row)")
            # Warm every app worker before sampling its memory.
            run_wrk(server.url + "/healthz", duration=2, **self.wrk_options)
            rss_before = worker_rss_kib(server)
            hellos, rows = self.rows_beside_the_ceiling(scenarios, hello.url + "/")
            rss = rss_summary(rss_before, worker_rss_kib(server))
            soak = self.soak(server) if args.soak else None
            workers = len(worker_pids(server))
        return summarise(hellos, rows) | {
            "queries": queries,
            "rss": rss,
            "soak": soak,
            "workers": workers,
        }

    def log_in(self, scenarios: list[Scenario]) -> None:
        """Every user a row sends requests as (the soak's, the 1,000-task user, too)."""
        users = {"bench1k", *(scenario.user for scenario in scenarios if scenario.user)}
        if any(scenario.many for scenario in scenarios):
            users.update(MANY_USERS)
        for username in sorted(users):
            sessionid, csrftoken = login(self.base, username)
            list_id, task_ids = user_ids(self.args.database_url, username)
            self.sessions[username] = Session(username, sessionid, csrftoken, list_id, task_ids)

    def url_for(self, scenario: Scenario) -> str:
        if not scenario.user:
            return self.base + scenario.path
        session = self.sessions[scenario.user]
        path = scenario.path.replace("{list}", str(session.list_id))
        if "{task}" in path:
            path = path.replace("{task}", str(session.task_ids[0]))
        return self.base + path

    def request_ids(self, scenario: Scenario) -> list[int]:
        """The tasks a row's writes go through: completing needs open ones, as they are now."""
        session = self.sessions[scenario.user]
        if scenario.mode == "api-complete":
            return user_ids(self.args.database_url, scenario.user, open_only=True)[1]
        return session.task_ids

    def measure(
        self,
        scenario: Scenario,
        url: str | None = None,
        *,
        duration: float | None = None,
        warmup: float | None = None,
        stop: threading.Event | None = None,
    ) -> dict[str, Any]:
        """One row under wrk: ``duration`` and ``warmup`` seconds, by default the run's; or
        until ``stop`` is set."""
        options: dict[str, Any] = dict(self.wrk_options)
        url = url or self.url_for(scenario)
        if scenario.token:
            headers = {"Authorization": f"Bearer {self.env.token}"}
            if scenario.conditional:
                path = url.removeprefix(self.base)
                etag = HttpClient(self.base).get(path, headers=headers).headers["etag"]
                headers["If-None-Match"] = etag
            options["headers"] = "\n".join(f"{name}: {value}" for name, value in headers.items())
            options["task_ids"] = ",".join(map(str, self.request_ids(scenario)))
        elif scenario.many:
            options["users_file"] = str(self.users_file())
        elif scenario.user:
            session = self.sessions[scenario.user]
            options |= {
                "cookie": session.cookie_header,
                "csrf": session.csrftoken,
                "task_ids": ",".join(map(str, session.task_ids)),
            }
        options |= {"mode": scenario.mode, "expected": scenario.expected}
        options["encoding"] = scenario.encoding
        warmup = self.args.warmup if warmup is None else warmup
        if warmup:
            run_wrk(url, duration=warmup, **options)
        result = run_wrk(url, duration=duration or self.args.duration, stop=stop, **options)
        log(
            f"  {scenario.name:<15} {result['rps']:>8,.0f} req/s  "
            f"p50 {ms(result['latency_us']['p50'])} ms  p99 {ms(result['latency_us']['p99'])} "
            f"ms  bad {result['unexpected_status']}  errors {result['socket_errors']}"
        )
        return {"scenario": scenario.name, "description": scenario.description} | result

    def users_file(self) -> Path:
        """report.lua's USERS_FILE: each of MANY_USERS's cookie, CSRF token, list and tasks."""
        path = self.workdir / "users.tsv"
        lines = []
        for username in MANY_USERS:
            session = self.sessions[username]
            ids = ",".join(map(str, session.task_ids))
            lines.append(f"{session.cookie_header}\t{session.csrftoken}\t{session.list_id}\t{ids}")
        path.write_text("\n".join(lines) + "\n")
        return path

    def rows_beside_the_ceiling(
        self, scenarios: list[Scenario], hello_url: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Each row with the ceiling measured just before and just after it."""
        hello_scenario = SCENARIOS[0]
        hellos = [self.measure(hello_scenario, hello_url)]
        rows = []
        for scenario in scenarios:
            row = self.measure(scenario)
            hellos.append(self.measure(hello_scenario, hello_url))
            row["ceiling_rps"] = (hellos[-2]["rps"] + hellos[-1]["rps"]) / 2
            rows.append(row)
        return hellos, rows

    def soak(self, server: AppProcess) -> dict[str, Any]:
        """Mixed reads and writes (7 page GETs, 1 add, 2 toggles in 10) on the 1,000-task user."""
        before = worker_rss_kib(server)
        session = self.sessions["bench1k"]
        result = run_wrk(
            server.url + "/",
            duration=self.args.soak,
            connections=self.args.soak_connections,
            threads=self.args.threads,
            mode="mixed",
            cookie=session.cookie_header,
            csrf=session.csrftoken,
            task_ids=",".join(map(str, session.task_ids)),
            add_path=f"/lists/{session.list_id}/tasks/",
        )
        return {
            "seconds": self.args.soak,
            "connections": self.args.soak_connections,
            "rps": result["rps"],
            "requests": result["requests"],
            "unexpected_status": result["unexpected_status"],
            "socket_errors": result["socket_errors"],
            "latency_us": result["latency_us"],
        } | rss_summary(before, worker_rss_kib(server))


def summarise(hellos: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The hello row is the mean of every ceiling run; each row's ratio is to its own ceiling."""
    ceiling = statistics.mean(run["rps"] for run in hellos)
    hello_row = hellos[0] | {
        "scenario": "hello",
        "rps": ceiling,
        "ceiling_rps": ceiling,
        "latency_us": {
            key: statistics.median(run["latency_us"][key] for run in hellos)
            for key in ("p50", "p90", "p99")
        },
        "unexpected_status": sum(run["unexpected_status"] for run in hellos),
        "socket_errors": sum(run["socket_errors"] for run in hellos),
    }
    for row in [hello_row, *rows]:
        row["ratio"] = row["rps"] / row["ceiling_rps"]
    return {
        "rows": [hello_row, *rows],
        "ceiling": {
            "runs": [run["rps"] for run in hellos],
            "mean": ceiling,
            "min": min(run["rps"] for run in hellos),
            "max": max(run["rps"] for run in hellos),
        },
    }


def cold_starts(args: argparse.Namespace, env: Env, workdir: Path) -> dict[str, Any]:
    log("cold starts through docker/entrypoint.sh")
    cold: dict[str, list[dict[str, float]]] = {"migrations applied": [], "empty database": []}
    for _run in range(args.cold_start_runs):
        cold["migrations applied"].append(
            time_cold_start(env, workdir, "applied", args.gunicorn_arg)
        )
    empty_url = args.database_url.rstrip("/") + "_cold"
    empty_env = Env(env.app, env.values | {"DATABASE_URL": empty_url})
    for _run in range(args.cold_start_runs):
        recreate_database(empty_url)
        cold["empty database"].append(
            time_cold_start(empty_env, workdir, "empty", args.gunicorn_arg)
        )
    if not args.keep:
        drop_database(empty_url)
    for label, runs in cold.items():
        log(f"  {label}: {[round(run['ready_s'], 2) for run in runs]} s")
    return cold


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_meta(
    args: argparse.Namespace, started: dt.datetime, load_at_start: str, workers: int
) -> dict[str, Any]:
    return {
        "started": started.isoformat(timespec="seconds"),
        "commit": git_description(args.app_dir),
        "app_dir": str(args.app_dir),
        "cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "gunicorn_workers": workers,
        "worker_class": worker_class(args.gunicorn_arg),
        "gunicorn_args": args.gunicorn_arg,
        "env": args.env,
        "threads": args.threads,
        "connections": args.connections,
        "duration": args.duration,
        "loadavg": load_at_start,
        "loadavg_end": load_average(),
    }


def write_report(report: dict[str, Any], started: dt.datetime, label: str) -> None:
    markdown = render_markdown(report)
    print()
    print_table(report)
    save_report(report, markdown, started, label)


def save_report(report: dict[str, Any], markdown: str, started: dt.datetime, label: str) -> None:
    """The report as Markdown and JSON in RESULTS_DIR, time-stamped and as the latest."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ") + (f"-{label}" if label else "")
    for name in (stamp, "latest" + (f"-{label}" if label else "")):
        (RESULTS_DIR / f"{name}.md").write_text(markdown)
        (RESULTS_DIR / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(markdown)
    log(f"written to {RESULTS_DIR}/{stamp}.md and .json")


def worker_class(gunicorn_args: list[str]) -> str:
    for index, arg in enumerate(gunicorn_args):
        if arg.startswith(("--worker-class=", "-k=")):
            return arg.split("=", 1)[1]
        if arg in ("--worker-class", "-k") and index + 1 < len(gunicorn_args):
            return gunicorn_args[index + 1]
    return "gunicorn.conf.py's"


def rss_summary(before: dict[int, int], after: dict[int, int]) -> dict[str, Any]:
    before_mean = statistics.mean(before.values()) / 1024 if before else 0.0
    after_mean = statistics.mean(after.values()) / 1024 if after else 0.0
    return {
        "before_kib": before,
        "after_kib": after,
        "before_mean_mib": before_mean,
        "after_mean_mib": after_mean,
        "growth_pct": (after_mean / before_mean - 1) * 100 if before_mean else 0.0,
        "recycled": len(set(before) - set(after)),
    }


def count_queries(
    env: Env,
    scenarios: list[Scenario],
    sessions: dict[str, Session],
    url_for: Callable[[Scenario], str],
    request_ids: Callable[[Scenario], list[int]],
) -> dict[str, Any]:
    specs: list[dict[str, Any]] = []
    for scenario in scenarios:
        url = urllib.parse.urlsplit(url_for(scenario))
        path = url.path + (f"?{url.query}" if url.query else "")
        if not scenario.user:
            specs.append({"name": scenario.name, "method": "GET", "path": path, "cookies": {}})
            continue
        if scenario.token:
            spec = {
                "name": scenario.name,
                "method": scenario.method,
                "path": path,
                "cookies": {},
                "headers": {"Authorization": f"Bearer {env.token}"},
                "conditional": scenario.conditional,
            }
            if scenario.mode == "api-post":
                spec["json"] = {"title": "Benchmark task"}
            if scenario.mode == "api-complete":
                # Reopened first, so that the counted request completes it.
                task = f"/api/v1/tasks/{request_ids(scenario)[0]}"
                spec["paths"] = [f"{task}/reopen", f"{task}/complete"]
            specs.append(spec)
            continue
        session = sessions[scenario.user]
        form: dict[str, Any] = {
            "method": "POST",
            "cookies": {"sessionid": session.sessionid, "csrftoken": session.csrftoken},
            "data": {"csrfmiddlewaretoken": session.csrftoken},
        }
        if scenario.mode == "users-mixed":
            # The row's three requests, each counted on its own ("page/add/tick" in the table).
            specs += [
                form | {"name": f"{scenario.name}:page", "method": "GET", "path": path},
                form
                | {
                    "name": f"{scenario.name}:add",
                    "path": f"/lists/{session.list_id}/tasks/",
                    "data": form["data"] | {"title": "Benchmark task"},
                },
                form
                | {
                    "name": f"{scenario.name}:tick",
                    "path": f"/tasks/{session.task_ids[0]}/toggle/",
                },
            ]
            continue
        data = dict(form["data"])
        if scenario.mode == "add":
            data["title"] = "Benchmark task"
        specs.append(
            form | {"name": scenario.name, "method": scenario.method, "path": path, "data": data}
        )
    result = subprocess.run(
        [sys.executable, "-m", "bench.queries"],
        cwd=env.app,
        env=env.values,
        input=json.dumps(specs),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"counting queries failed:\n{result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_QUERIES "):
            counted: dict[str, Any] = json.loads(line.removeprefix("BENCH_QUERIES "))
            return counted
    raise SystemExit(f"counting queries printed no result:\n{result.stdout}")
