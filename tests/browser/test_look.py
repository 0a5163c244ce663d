"""Accessibility (axe-core) and looks (screenshots at 375/1280 px, light, dark) of the main pages.

The audits run with JavaScript on (what most people get) and fail on any violation of impact
"serious" or "critical"; every count is printed and repeated in the run's summary. Screenshots go to
the folder printed at the end of the run.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from playwright.sync_api import Page, expect

from .helpers import add_task, log_out, new_credentials, seed_tasks, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("js_enabled", [True], ids=["js"])]


def _signed_up(page: Page, app_url: str) -> str:
    creds = new_credentials("sam")
    sign_up(page, creds)
    expect(page).to_have_url(f"{app_url}/")
    return creds.username


def _visit_main_pages(page: Page, app_url: str, visit: Any) -> None:
    """Walk login, sign-up, empty list, tasks and edit, calling ``visit(name)`` on each."""
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    visit("login")

    page.goto("/accounts/signup/")
    expect(page.get_by_role("button", name="Sign up")).to_be_visible()
    visit("sign-up")

    username = _signed_up(page, app_url)
    expect(page.get_by_role("textbox", name="New task")).to_be_visible()
    visit("empty-list")

    pks = seed_tasks(username)
    page.reload()
    expect(page.get_by_role("list", name="Tasks").get_by_role("listitem")).to_have_count(len(pks))
    visit("tasks")

    page.goto(f"/tasks/{pks['Renew passport']}/edit/")
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    visit("edit")

    log_out(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_pages_have_no_serious_or_critical_axe_violations(
    page: Page, app_url: str, axe_audit: Any, scheme: Literal["light", "dark"]
):
    page.emulate_media(color_scheme=scheme)
    found: dict[str, list[dict[str, Any]]] = {}
    _visit_main_pages(
        page, app_url, lambda name: found.update({name: axe_audit(page, f"{name} ({scheme})")})
    )

    # Error states too: they add alerts, aria-invalid and descriptions.
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("x")
    page.get_by_role("button", name="Sign up").click()
    found["sign-up with errors"] = axe_audit(page, f"sign-up with errors ({scheme})")

    _signed_up(page, app_url)
    add_task(page, "   ", wait=False)
    expect(page.get_by_role("alert")).to_be_visible()
    found["tasks with error"] = axe_audit(page, f"tasks with error ({scheme})")

    add_task(page, "Edit me in place")
    page.get_by_role("link", name="Edit Edit me in place", exact=True).click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    found["edit in place"] = axe_audit(page, f"edit in place ({scheme})")

    blocking = {name: v for name, v in found.items() if v}
    assert not blocking, "\n".join(
        f"{name}:\n  "
        + "\n  ".join(
            f"[{x['impact']}] {x['id']}: {x['help']} -> {[n['target'] for n in x['nodes'][:5]]}"
            for x in v
        )
        for name, v in blocking.items()
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots_of_the_main_pages(
    page: Page, app_url: str, screenshot: Any, width: int, scheme: Literal["light", "dark"]
):
    page.set_viewport_size({"width": width, "height": 800 if width > 500 else 740})
    page.emulate_media(color_scheme=scheme)
    shots = []

    def visit(name: str) -> None:
        # Nothing may stick out sideways: a horizontal scrollbar at 375 px is a layout bug.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
        shots.append(screenshot(page, f"{name}-{width}-{scheme}"))

    _visit_main_pages(page, app_url, visit)
    assert len(shots) == 5
    assert all(p.stat().st_size > 1000 for p in shots)


def test_no_request_leaves_the_origin_and_no_csp_violation(page: Page, app_url: str):
    """Every asset is served by the app; the page works under its CSP."""
    off_origin: list[str] = []
    csp: list[str] = []
    page.on(
        "request",
        lambda r: (
            off_origin.append(r.url) if not r.url.startswith((app_url, "data:", "blob:")) else None
        ),
    )
    page.on(
        "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
    )

    _visit_main_pages(page, app_url, lambda name: None)

    assert off_origin == []
    assert csp == []


PAGE_WEIGHT_BUDGET = 60 * 1024  # bytes on the wire, compressed, all assets included


def test_the_tasks_page_with_50_tasks_weighs_under_60_kb_compressed(
    page: Page, browser: Any, app_url: str
):
    """HTML, CSS, JS and icon of a 50-task page as sent (gzip), cache cold."""
    from todos import services
    from todos.models import Task, TaskList

    username = _signed_up(page, app_url)
    inbox = TaskList.objects.get(owner__username=username)
    Task.objects.bulk_create(
        Task(list=inbox, title=f"Task number {n} with a realistic length title", position=n)
        for n in range(50)
    )
    services.recount_lists(list_ids=[inbox.pk])
    # A new context: the same session, an empty cache, so every asset crosses the wire.
    cold = browser.new_context(base_url=app_url, storage_state=page.context.storage_state())
    try:
        fresh = cold.new_page()
        responses: list[Any] = []
        fresh.on("response", lambda response: responses.append(response))
        fresh.goto("/")
        expect(fresh.get_by_role("list", name="Tasks").get_by_role("listitem")).to_have_count(50)
        fresh.wait_for_load_state("networkidle")
        weights = {
            r.url.removeprefix(app_url): r.request.sizes()["responseBodySize"] for r in responses
        }
        encodings = {
            r.url.removeprefix(app_url): r.headers.get("content-encoding") for r in responses
        }
    finally:
        cold.close()
    total = sum(weights.values())
    print(f"\npage weight, 50 tasks, compressed: {total / 1024:.1f} KB {weights}")
    assert len(weights) >= 3 and all(size > 0 for size in weights.values()), weights
    text_assets = [url for url in encodings if url == "/" or url.endswith((".css", ".js"))]
    assert all(encodings[url] == "gzip" for url in text_assets), encodings
    assert total < PAGE_WEIGHT_BUDGET
