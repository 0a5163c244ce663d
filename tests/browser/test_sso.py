"""Single sign-on in Chromium: a second app server (gunicorn) configured for a real OpenID
Connect provider on 127.0.0.1 (tests.support.oidc); the browser and the app both talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.db import db_url
from tests.support.live import app_serving
from tests.support.oidc import OidcProvider

pytestmark = pytest.mark.parametrize("js_enabled", [True], ids=["js"])


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[OidcProvider]:
    with OidcProvider() as provider:
        yield provider


@pytest.fixture(scope="module")
def sso_app_url(django_db_setup: None, oidc_provider: OidcProvider) -> Iterator[str]:
    """The app with "Log in with Test SSO" (the other browser tests run without a provider)."""
    with app_serving(db_url(), env=oidc_provider.app_env()) as app:
        yield app.url


def test_log_in_with_the_provider_makes_an_account_with_an_inbox(
    page: Page, sso_app_url: str, oidc_provider: OidcProvider, axe_audit: Any
):
    from todos.models import TaskList

    oidc_provider.person.update(sub="b-1", preferred_username="grace", email="grace@example.com")
    page.goto(f"{sso_app_url}/accounts/login/")
    assert axe_audit(page, "login with sso") == []
    page.get_by_role("button", name="Log in with Test SSO").click()
    expect(page).to_have_url(f"{sso_app_url}/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert [tl.name for tl in TaskList.objects.filter(owner__username="grace")] == ["Inbox"]
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("region", name="Single sign-on")).to_contain_text("Test SSO")
    page.get_by_role("link", name="Connected accounts").click()
    assert axe_audit(page, "connected accounts") == []
