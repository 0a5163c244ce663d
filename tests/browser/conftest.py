"""Browser tests: the app under gunicorn (DEBUG off), driven by Debian's Chromium via Playwright.

How it fits together
--------------------
* ``app_url`` (session) waits for pytest-django to create the test database, then serves the
  app with gunicorn (``tests.support.live.app_serving``: collected static files, a free port,
  ``DATABASE_URL`` pointing at that test database).
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

import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.db import db_url
from tests.support.live import app_serving, in_ci, require_in_ci

from .helpers import Credentials, SameDocument, new_credentials, sign_up

try:
    import playwright  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    if not in_ci():
        # Skip collecting the modules (they import playwright); with CI=true let them error.
        collect_ignore_glob = ["test_*.py"]

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
# The app under gunicorn
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def app_url(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the app served by gunicorn against the pytest-django test database."""
    log = tmp_path_factory.mktemp("live-server") / "gunicorn.log"
    REPORT.server_log = log
    # Command-line settings win over the config file: three workers, every request logged.
    args = ["--workers", "3", "--access-logfile", "-", "--error-logfile", "-"]
    with app_serving(db_url(), args=args, log_path=log) as app:
        sys.stderr.write(f"\n[browser] gunicorn on {app.url}\n")
        yield app.url


# --------------------------------------------------------------------------------------------
# Playwright
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        require_in_ci(f"playwright is not installed ({exc})")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        require_in_ci(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
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
        require_in_ci(f"Chromium at {CHROMIUM} would not start: {exc}")
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
