"""The harness itself: gunicorn with DEBUG off serves the app and its static files to Chromium."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_anonymous_root_redirects_to_login(page, app_url):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


@pytest.mark.parametrize("js_enabled", [True], ids=["js"])
def test_static_files_are_served_by_the_app(page, app_url):
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto("/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert failed == []
