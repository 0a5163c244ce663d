"""Single sign-on in Chromium: the served app (gunicorn) and the browser both talk to a real
OpenID Connect provider on 127.0.0.1 (tests.support.oidc)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.oidc import OidcProvider

pytestmark = pytest.mark.parametrize("js_enabled", [True], ids=["js"])


def test_log_in_with_the_provider_makes_an_account_with_an_inbox(
    page: Page, app_url: str, oidc_provider: OidcProvider, axe_audit: Any
):
    from todos.models import TaskList

    oidc_provider.person.update(sub="b-1", preferred_username="grace", email="grace@example.com")
    page.goto("/accounts/login/")
    assert axe_audit(page, "login with sso") == []
    page.get_by_role("button", name="Log in with Test SSO").click()
    expect(page).to_have_url(f"{app_url}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert [tl.name for tl in TaskList.objects.filter(owner__username="grace")] == ["Inbox"]
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("region", name="Single sign-on")).to_contain_text("Test SSO")
