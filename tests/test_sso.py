"""Single sign-on against a real OpenID Connect provider (tests.support.oidc) on 127.0.0.1: the
app discovers it, sends the browser there, and redeems the code on its own connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.support.oidc import OidcProvider
from todo_site import sso
from todos.models import TaskList

LOGIN = reverse("account_login")
SSO_LOGIN = reverse("openid_connect_login", kwargs={"provider_id": sso.PROVIDER_ID})
PERSON = {"sub": "u-4711", "email": "ada@example.com", "preferred_username": "ada", "name": "Ada"}


@pytest.fixture
def provider(settings: Any, db: None) -> Iterator[OidcProvider]:
    with OidcProvider(person=dict(PERSON)) as running:
        settings.OIDC_PROVIDER_NAME = "Test SSO"
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": sso.openid_connect(
                name="Test SSO",
                server_url=running.issuer,
                client_id=running.client_id,
                secret=running.client_secret,
            )
        }
        yield running


def sso_round_trip(client: Client) -> Any:
    """What a browser does: post the button, follow the provider's redirect back."""
    start = client.post(SSO_LOGIN)
    assert start.status_code == 302, start
    back = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_the_login_page_offers_the_provider(client, provider):
    page = client.get(LOGIN).content.decode()
    assert f'action="{SSO_LOGIN}"' in page
    assert ">Log in with Test SSO</button>" in page


def test_no_provider_no_button(client, db):
    assert "Log in with" not in client.get(LOGIN).content.decode()


def test_a_first_sso_login_makes_an_account_with_an_inbox(client, provider):
    response = sso_round_trip(client)
    assert response["Location"] == "/"
    account = SocialAccount.objects.get(uid="u-4711")
    assert account.user.username == "ada"
    assert [tl.name for tl in TaskList.objects.owned_by(account.user)] == ["Inbox"]
    assert not account.user.has_usable_password()
    assert client.get("/").status_code == 200
    # The next login finds the same account.
    again = Client()
    assert sso_round_trip(again)["Location"] == "/"
    assert User.objects.count() == 1
    assert again.session["_auth_user_id"] == str(account.user.pk)


def test_sso_makes_accounts_while_public_sign_up_is_closed(settings, client, provider):
    settings.SIGNUP_OPEN = False
    assert sso_round_trip(client)["Location"] == "/"
    assert User.objects.filter(username="ada").exists()


def test_a_taken_username_does_not_capture_the_existing_account(client, provider, owner):
    provider.person["preferred_username"] = owner.username
    provider.person["email"] = "someone-else@example.com"
    sso_round_trip(client)
    account = SocialAccount.objects.get(uid="u-4711")
    assert account.user != owner
    assert User.objects.filter(pk=owner.pk, socialaccount__isnull=True).exists()


def test_a_wrong_client_secret_logs_nobody_in(settings, client, provider):
    provider.client_secret = "rotated"
    response = sso_round_trip(client)
    assert response.status_code == 401  # allauth's "login failure" page
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
