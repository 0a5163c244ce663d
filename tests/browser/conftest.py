"""Browser tests: the app under gunicorn (DEBUG off), driven by Debian's Chromium via Playwright.

How it fits together
--------------------
* ``app_url`` (session) waits for pytest-django to create the test database, collects static
  files into a temporary folder, and starts ``gunicorn todo_site.wsgi:application`` on a free port
  with ``DATABASE_URL`` pointing at that test database.
* Every browser test runs with ``transactional_db`` (pulled in by the ``context`` fixture): data is
  really committed, so gunicorn's own connections see it, and the tables are flushed after the test.
* ``js_enabled`` parametrises ``context``/``page``: each test runs with JavaScript off and on unless
  it parametrises ``js_enabled`` itself.
* Chromium comes from Debian (``/usr/bin/chromium``; ``playwright install`` cannot download here).
  Missing Chromium skips the browser tests, except with ``CI=true`` where it fails them.
* Screenshots go to one folder and axe counts are collected per page; both are printed in the
  terminal summary at the end of the run.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import database_url_for_tests, free_port

from .helpers import Credentials, SameDocument, new_credentials, sign_up

try:
    import playwright  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI", "").strip().lower() not in {"1", "true", "yes"}:
        # Skip collecting the modules (they import playwright); with CI=true let them error.
        collect_ignore_glob = ["test_*.py"]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Serious enough to fail the audit; "minor"/"moderate" are reported but tolerated.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
SERVER_START_TIMEOUT = 40.0


# --------------------------------------------------------------------------------------------
# Run-wide state shown in the terminal summary
# --------------------------------------------------------------------------------------------
@dataclass
class BrowserReport:
    screenshot_dir: Path | None = None
    screenshots: list[Path] = field(default_factory=list)
    # page name -> {"blocking": n, "all": n, "by_impact": {...}}
    axe: dict[str, dict[str, Any]] = field(default_factory=dict)
    server_log: Path | None = None


REPORT = BrowserReport()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not (REPORT.axe or REPORT.screenshots):
        return
    tr = terminalreporter
    tr.section("browser tests")
    if REPORT.axe:
        tr.write_line("axe-core audit (violations; blocking = serious + critical):")
        for name, counts in sorted(REPORT.axe.items()):
            impacts = ", ".join(f"{k}={v}" for k, v in sorted(counts["by_impact"].items()))
            tr.write_line(
                f"  {name:<28} blocking={counts['blocking']:<3} all={counts['all']:<3} "
                f"{('(' + impacts + ')') if impacts else ''}"
            )
    if REPORT.screenshots:
        tr.write_line(f"screenshots ({len(REPORT.screenshots)}): {REPORT.screenshot_dir}")
    if REPORT.server_log:
        tr.write_line(f"gunicorn log: {REPORT.server_log}")


# --------------------------------------------------------------------------------------------
# Chromium availability
# --------------------------------------------------------------------------------------------
def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    """Skip locally; with CI=true a missing browser is a failure, not a silent skip."""
    if _ci():
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------------------------
# The app under gunicorn
# --------------------------------------------------------------------------------------------


def _django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


try:  # resolved in the parent: the pre-exec hook below must not import or allocate much
    _LIBC: Any = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:  # not glibc Linux
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the gunicorn child before exec: get SIGTERM when pytest dies, even when it is killed
    without running fixture teardown (Linux only; elsewhere teardown alone stops gunicorn)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error: object = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"gunicorn exited with {proc.returncode} before serving; log {log}:\n"
                + log.read_text(errors="replace")[-4000:],
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:  # it answers: 404 before /healthz exists is fine
            if exc.code < 500:
                return
            last_error = exc
        except OSError as exc:
            last_error = exc
        time.sleep(0.2)
    pytest.fail(
        f"gunicorn did not answer on {url} within {SERVER_START_TIMEOUT}s ({last_error}); "
        f"log {log}:\n" + log.read_text(errors="replace")[-4000:],
        pytrace=False,
    )


@pytest.fixture(scope="session")
def app_url(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the app served by gunicorn against the pytest-django test database."""
    workdir = tmp_path_factory.mktemp("live-server")
    static_root = workdir / "static"
    port = free_port()
    database_url = database_url_for_tests()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "todo_site.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_LOG_LEVEL": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("DATABASE_URL_FILE", "DJANGO_SECRET_KEY_FILE", "DJANGO_DEBUG_FILE"):
        env.pop(name, None)

    # Hashed, compressed files as in the image, collected into this run's own DJANGO_STATIC_ROOT.
    collected = _django(env, "collectstatic", "--noinput", "-v", "0")
    if collected.returncode != 0:
        pytest.fail(f"collectstatic failed:\n{collected.stdout}\n{collected.stderr}", pytrace=False)

    log = workdir / "gunicorn.log"
    REPORT.server_log = log
    cmd = [sys.executable, "-m", "gunicorn"]
    if (REPO_ROOT / "gunicorn.conf.py").exists():
        cmd += ["--config", str(REPO_ROOT / "gunicorn.conf.py")]
    # Command-line settings win over the config file: pin what the tests rely on.
    cmd += [
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "3",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "todo_site.wsgi:application",
    ]
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, proc, log)
        sys.stderr.write(f"\n[browser] gunicorn on {url} (STATIC_ROOT={static_root})\n")
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


# --------------------------------------------------------------------------------------------
# Playwright
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        _unavailable(f"playwright is not installed ({exc})")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    # Playwright's sync API keeps an asyncio loop running in this thread for as long as it lives,
    # so Django's async-safety guard would refuse every ORM call made afterwards in this process
    # (test-database setup, transactional_db's flush, later non-browser tests). Nothing here is
    # really async: allow it while Playwright runs, as pytest-playwright's Django docs advise.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            yield pw
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    try:
        chromium = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        _unavailable(f"Chromium at {CHROMIUM} would not start: {exc}")
    yield chromium
    chromium.close()


@pytest.fixture(autouse=True)
def _watchdog(request: pytest.FixtureRequest) -> Iterator[None]:
    """Some Playwright calls (close, new_context, evaluate) have no timeout of their own; if the
    browser wedges, interrupt the run (with a message) instead of hanging CI until its limit."""
    limit = float(os.environ.get("BROWSER_TEST_TIMEOUT", "180"))

    def expire() -> None:
        sys.stderr.write(f"\n[browser] {request.node.nodeid} exceeded {limit:.0f}s: interrupting\n")
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(limit, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@pytest.fixture(params=[False, True], ids=["nojs", "js"])
def js_enabled(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def context_options() -> dict[str, Any]:
    """Override (or parametrise) in a test module to change viewport, colour scheme, ..."""
    return {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def context(
    browser: Any,
    app_url: str,
    transactional_db: None,
    js_enabled: bool,
    context_options: dict[str, Any],
) -> Iterator[Any]:
    ctx = browser.new_context(base_url=app_url, java_script_enabled=js_enabled, **context_options)
    ctx.set_default_timeout(10_000)
    ctx.set_default_navigation_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    # Closed with its context: a separate page.close() was seen to hang after a navigation.
    return context.new_page()


# --------------------------------------------------------------------------------------------
# Helpers: users, screenshots, axe
# --------------------------------------------------------------------------------------------
@pytest.fixture
def credentials() -> Credentials:
    return new_credentials()


@pytest.fixture
def user_page(page: Any, credentials: Credentials, app_url: str) -> Any:
    """A page whose user has just signed up through the UI (and is therefore logged in) on /."""
    sign_up(page, credentials)
    page.wait_for_url(f"{app_url}/")
    return page


@pytest.fixture
def same_document(page: Any, js_enabled: bool) -> SameDocument:
    """``with same_document(): ...`` fails if the action reloaded the page while JS was on."""
    return SameDocument(page, js_enabled)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("BROWSER_SCREENSHOT_DIR")
    path = (
        Path(configured) if configured else tmp_path_factory.mktemp("screenshots", numbered=False)
    )
    path.mkdir(parents=True, exist_ok=True)
    REPORT.screenshot_dir = path
    return path


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Any:
    """``screenshot(page, "tasks-375-dark")`` writes a full-page PNG and returns its path."""

    def take(page: Any, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        REPORT.screenshots.append(path)
        return path

    return take


def _format_violation(v: dict[str, Any]) -> str:
    targets = "; ".join(", ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:5])
    return f"[{v.get('impact')}] {v.get('id')}: {v.get('help')} -> {targets}"


@pytest.fixture(scope="session")
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def axe_audit(_axe: Any, js_enabled: bool) -> Any:
    """``axe_audit(page, "login")`` runs axe-core on the page as it is now.

    Records the counts for the summary, prints them, and returns the serious/critical violations
    (each a dict from axe: id, impact, help, nodes[].target ...).
    """

    def audit(page: Any, name: str) -> list[dict[str, Any]]:
        if not js_enabled:
            # axe.run() resolves through timers, which never fire when scripts are disabled:
            # it would hang, not fail. The DOM is the same, so audit with JavaScript on.
            pytest.fail("axe_audit needs a JavaScript-enabled context", pytrace=False)
        results = _axe.run(page)
        violations = results.response.get("violations", [])
        blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        by_impact: dict[str, int] = {}
        for v in violations:
            by_impact[str(v.get("impact"))] = by_impact.get(str(v.get("impact")), 0) + 1
        REPORT.axe[name] = {
            "blocking": len(blocking),
            "all": len(violations),
            "by_impact": by_impact,
        }
        print(f"axe {name}: {len(blocking)} serious/critical, {len(violations)} total")
        for v in violations:
            print("   ", _format_violation(v))
        return blocking

    return audit


def describe_violations(violations: list[dict[str, Any]]) -> str:
    return "\n".join(_format_violation(v) for v in violations)
