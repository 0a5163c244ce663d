"""The flows that go through mail, in Chromium against gunicorn, with a real SMTP server in
between: each mail's link is followed as a person would."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.smtp import SmtpSink, the_link

from .helpers import Credentials, log_in, log_out, new_credentials

pytestmark = pytest.mark.parametrize("js_enabled", [True], ids=["js"])


def _sign_up_with_email(page: Page, creds: Credentials, address: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(creds.username)
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_label("Password", exact=True).fill(creds.password)
    page.get_by_label("Password confirmation", exact=True).fill(creds.password)
    page.get_by_role("button", name="Sign up").click()


def _address() -> str:
    return f"someone-{secrets.token_hex(4)}@example.com"


def test_password_reset_by_mail_sets_a_new_password_and_ends_other_sessions(
    page: Page, browser: Any, app_url: str, smtp_sink: SmtpSink, axe_audit: Any
):
    creds, address = new_credentials(), _address()
    _sign_up_with_email(page, creds, address)
    expect(page).to_have_url(f"{app_url}/")
    smtp_sink.wait_for(to=address)  # the verification mail; not needed here
    # A second browser stays logged in meanwhile.
    other = browser.new_context(base_url=app_url)
    other_page = other.new_page()
    log_in(other_page, creds)
    expect(other_page.get_by_role("button", name="Log out")).to_be_visible()
    log_out(page)

    page.get_by_role("link", name="Forgot password?").click()
    assert axe_audit(page, "password reset") == []
    page.get_by_label("Email", exact=True).fill(address.upper())
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("If the address belongs to an account")).to_be_visible()
    assert axe_audit(page, "password reset sent") == []

    link = the_link(smtp_sink.wait_for(to=address), "/accounts/password/reset/key/")
    page.goto(link)
    assert axe_audit(page, "set password") == []
    new_password = f"{creds.password}-new"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password confirmation", exact=True).fill(new_password)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()

    # The link works once; the other browser is logged out; the new password logs in.
    page.goto(link)
    expect(page.get_by_role("heading", name="Link expired")).to_be_visible()
    other_page.goto("/")
    expect(other_page).to_have_url(re.compile(r"/accounts/login/"))
    other.close()
    log_in(page, Credentials(creds.username, new_password))
    expect(page).to_have_url(f"{app_url}/")


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(
    page: Page, smtp_sink: SmtpSink
):
    address = _address()
    page.goto("/accounts/password/reset/")
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("If the address belongs to an account")).to_be_visible()
    with pytest.raises(AssertionError, match="no mail"):
        smtp_sink.wait_for(to=address, timeout=2)


def test_the_verification_mail_confirms_the_address(
    page: Page, app_url: str, smtp_sink: SmtpSink, axe_audit: Any
):
    from allauth.account.models import EmailAddress

    creds, address = new_credentials(), _address()
    _sign_up_with_email(page, creds, address)
    expect(page).to_have_url(f"{app_url}/")
    assert not EmailAddress.objects.get(email=address).verified

    page.goto(the_link(smtp_sink.wait_for(to=address), "/accounts/confirm-email/"))
    assert axe_audit(page, "confirm email") == []
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"You have confirmed {address}")).to_be_visible()
    assert EmailAddress.objects.get(email=address).verified
