"""API tokens on the account page, in Chromium with JavaScript off and on: make one, see it once,
use it, revoke it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.support.http import HttpClient


def _lists(app_url: str, token: str) -> int:
    """The status of GET /api/v1/lists with the token."""
    headers = {"Authorization": f"Bearer {token}"}
    return HttpClient(app_url).get("/api/v1/lists", headers=headers).status


def test_a_token_is_made_shown_once_used_and_revoked(
    user_page: Page, app_url: str, axe_audit: Any, js_enabled: bool
):
    page = user_page
    page.get_by_role("link", name="Account").click()
    section = page.get_by_role("region", name="API tokens")
    expect(section).to_be_visible()
    section.get_by_role("textbox", name="Token name").fill("Phone")
    section.get_by_role("combobox", name="Access").select_option(label="Read and write")
    section.get_by_role("button", name="Create token").click()

    shown = page.get_by_label("New token")
    expect(shown).to_be_visible()
    token = shown.input_value()
    assert token.startswith("todo_pat_")
    if js_enabled:
        assert axe_audit(page, "account with a new token") == []
    tokens = page.get_by_role("list", name="Tokens")
    expect(tokens.get_by_role("listitem")).to_have_count(1)
    expect(tokens.get_by_role("listitem")).to_contain_text("Read and write")
    assert _lists(app_url, token) == 200

    page.goto("/accounts/")  # shown once: not on the page again
    expect(page.get_by_label("New token")).to_have_count(0)
    expect(page.get_by_role("list", name="Tokens")).to_contain_text("Phone")

    page.get_by_role("button", name="Revoke Phone").click()
    expect(page.get_by_text("Revoked the token “Phone”.")).to_be_visible()
    expect(page.get_by_role("list", name="Tokens")).to_have_count(0)
    assert _lists(app_url, token) == 401


def test_the_api_docs_work_from_our_own_files_under_the_site_s_csp(
    page: Page, app_url: str, js_enabled: bool
):
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/api/v1/docs")
    assert (
        response is not None and "default-src 'self'" in response.headers["content-security-policy"]
    )
    if js_enabled:
        expect(page.get_by_text("/api/v1/lists/{list_id}/tasks").first).to_be_visible()
    assert refused == []
    assert all(url.startswith(app_url) for url in requested), requested
