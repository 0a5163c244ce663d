"""Password reset and e-mail verification: what the pages say, what is mailed, what expires."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.test import Client
from django.urls import reverse

from accounts.models import Session

RESET = reverse("account_reset_password")
LOGIN = reverse("account_login")
NEW_PASSWORD = "a-brand-new-passphrase-7"
LINK = re.compile(r"http://testserver(/\S+)")


@pytest.fixture
def owner_address(owner: User) -> EmailAddress:
    return EmailAddress.objects.create(
        user=owner, email="olivia@example.com", verified=True, primary=True
    )


def _link(mail: Any) -> str:
    (path,) = LINK.findall(mail.body)
    return str(path)


def test_the_reset_page_never_tells_whether_an_account_exists(client, owner_address, mailoutbox):
    page = client.get(RESET).content.decode()
    assert ">Email</label>" in page and ">Send reset link</button>" in page
    known = client.post(RESET, {"email": "OLIVIA@example.com"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.com"}, follow=True)
    assert (
        known.redirect_chain
        == unknown.redirect_chain
        == [(reverse("account_reset_password_done"), 302)]
    )
    assert known.content == unknown.content
    assert "If the address belongs to an account" in known.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["olivia@example.com"]
    assert mail.alternatives[0][1] == "text/html"


def test_a_reset_sets_the_password_and_ends_every_session_of_that_account(
    client, owner, owner_address, client_for, other_user, mailoutbox
):
    browsers = [client_for(owner), client_for(owner)]
    bystander = client_for(other_user)
    client.post(RESET, {"email": "olivia@example.com"})
    form = client.get(_link(mailoutbox[0]), follow=True)
    page = form.content.decode()
    for label in ("New password", "New password confirmation"):
        assert f">{label}</label>" in page
    assert ">Set password</button>" in page
    done = client.post(
        form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done["Location"] == reverse("account_reset_password_from_key_done")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert not Session.objects.filter(user=owner).exists()
    for browser in browsers:
        assert browser.get("/").status_code == 302
    assert bystander.get("/").status_code == 200


def test_reset_links_expire(settings, client, owner_address, mailoutbox):
    client.post(RESET, {"email": "olivia@example.com"})
    # The generator's clock (naive local time, as Django keeps it), past the timeout.
    later = PasswordResetTokenGenerator()._now() + dt.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 1
    )
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        page = client.get(_link(mailoutbox[0]), follow=True).content.decode()
    assert "<h1>Link expired</h1>" in page
    assert "New password" not in page


def test_reset_requests_are_limited_per_address(settings, owner_address, mailoutbox):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 2
    for _ in range(2):
        assert Client().post(RESET, {"email": "olivia@example.com"}).status_code == 302
    refused = Client().post(RESET, {"email": "olivia@example.com"})
    assert refused.status_code == 429
    assert "Too many password reset requests from your address." in refused.content.decode()
    assert len(mailoutbox) == 2


def test_mandatory_verification_holds_the_login_until_the_address_is_confirmed(
    settings, client, db, mailoutbox
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    password = "a-long-passphrase-42"
    fields = {"username": "newbie", "email": "newbie@example.com"}
    signup = client.post(
        reverse("account_signup"), {**fields, "password1": password, "password2": password}
    )
    assert signup["Location"] == reverse("account_email_verification_sent")
    assert client.get("/").status_code == 302  # not logged in
    held = Client().post(LOGIN, {"login": "newbie", "password": password})
    assert held["Location"] == reverse("account_email_verification_sent")
    confirm = _link(mailoutbox[-1])
    assert ">Confirm</button>" in client.get(confirm).content.decode()
    client.post(confirm)
    assert EmailAddress.objects.get(email="newbie@example.com").verified
    assert Client().post(LOGIN, {"login": "newbie", "password": password})["Location"] == "/"
