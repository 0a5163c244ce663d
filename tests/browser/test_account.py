"""The account page and two-factor authentication, in Chromium: enrol with an authenticator app,
then log in with a code and with a recovery code; axe audits every page on the way."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.test_account_page import totp_code

from .helpers import log_in, log_out

pytestmark = pytest.mark.parametrize("js_enabled", [True], ids=["js"])


def test_two_factor_enrolment_and_login(user_page: Page, credentials, app_url: str, axe_audit: Any):
    page = user_page
    page.get_by_role("link", name="Account").click()
    for section in ("Email", "Password", "Two-factor authentication", "Sessions"):
        expect(page.get_by_role("region", name=section)).to_be_visible()
    assert axe_audit(page, "account") == []

    page.get_by_role("link", name="Set up two-factor authentication").click()
    assert axe_audit(page, "two-factor") == []
    page.get_by_role("link", name="Activate").click()
    # allauth asks for the password again before changing how the account logs in.
    assert axe_audit(page, "reauthenticate") == []
    page.get_by_label("Password", exact=True).fill(credentials.password)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    assert axe_audit(page, "activate two-factor") == []
    secret = page.locator("code").inner_text()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    # Recovery codes are made with the app and shown once.
    codes = page.get_by_label("Unused codes")
    expect(codes).to_be_visible()
    assert axe_audit(page, "recovery codes") == []
    recovery_code = codes.input_value().split()[0]

    log_out(page)
    log_in(page, credentials)
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    assert axe_audit(page, "two-factor login") == []
    page.get_by_label("Code", exact=True).fill(totp_code(secret))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{app_url}/")

    log_out(page)
    log_in(page, credentials)
    page.get_by_label("Code", exact=True).fill(recovery_code)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{app_url}/")


def test_email_page_and_deleting_the_account(
    user_page: Page, credentials, app_url: str, axe_audit: Any
):
    page = user_page
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Change e-mail address").click()
    assert axe_audit(page, "email addresses") == []

    page.get_by_role("link", name="Account").click()
    page.get_by_role("region", name="Delete account").get_by_role("link").click()
    assert axe_audit(page, "delete account") == []
    page.get_by_label("Password", exact=True).fill(credentials.password)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account and its lists are deleted.")).to_be_visible()
    log_in(page, credentials)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
