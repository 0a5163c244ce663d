"""Accounts: sign-up, log-in (and its brute-force lock-out), log-out, password change."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.db import row_changes, stored_rows, unchanged
from tests.support.hostile import (
    PROFILE,
    check_response,
    hostile_next,
    hostile_value,
    maybe,
    post_form,
    rolled_back,
)
from todos.models import TaskList

SIGNUP = reverse("signup")


def test_signup_creates_the_user_with_an_inbox_and_logs_them_in(client, db):
    page = client.get(SIGNUP).content.decode()
    for label in ("Username", "Password", "Password confirmation"):
        assert f">{label}</label>" in page
    assert ">Sign up</button>" in page
    response = client.post(
        SIGNUP,
        {
            "username": "newbie",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="newbie")
    assert [tl.name for tl in TaskList.objects.for_user(user)] == ["Inbox"]
    assert client.get("/").status_code == 200


def test_signup_rejects_weak_and_mismatched_passwords(client, db):
    weak = client.post(SIGNUP, {"username": "u1", "password1": "password", "password2": "password"})
    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    mismatch = client.post(
        SIGNUP, {"username": "u2", "password1": "a-long-passphrase-42", "password2": "other-42-xyz"}
    )
    assert "The two password fields didn" in mismatch.content.decode()
    assert not User.objects.exists()


def test_signup_refuses_a_taken_username(client, owner):
    response = client.post(
        SIGNUP,
        {
            "username": owner.username,
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert "A user with that username already exists." in response.content.decode()


def test_login_page_and_login(client, owner):
    page = client.get(reverse("login")).content.decode()
    assert ">Username</label>" in page and ">Password</label>" in page
    assert ">Log in</button>" in page
    response = client.post(
        reverse("login"), {"username": "olivia", "password": "owner-password-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused(client, owner):
    response = client.post(reverse("login"), {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_every_page_of_a_logged_in_user_has_a_log_out_button(owner_client, inbox, make_task):
    task = make_task(inbox)
    for url in ("/", reverse("todos:edit", args=[task.pk]), reverse("password_change")):
        assert ">Log out</button>" in owner_client.get(url).content.decode()


def test_logout_by_post_ends_the_session(owner_client):
    response = owner_client.post(reverse("logout"))
    assert response.status_code == 302
    assert owner_client.get("/").status_code == 302


def test_password_change(owner_client, owner):
    response = owner_client.post(
        reverse("password_change"),
        {
            "old_password": "owner-password-123",
            "new_password1": "a-brand-new-passphrase-7",
            "new_password2": "a-brand-new-passphrase-7",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    owner.refresh_from_db()
    assert owner.check_password("a-brand-new-passphrase-7")


def test_logged_in_users_visiting_signup_go_to_their_tasks(owner_client):
    assert owner_client.get(SIGNUP)["Location"] == "/"


def test_sign_up_requires_12_characters_and_no_common_password(client, db):
    short = client.post(
        reverse("signup"),
        {"username": "newbie", "password1": "Xq7#short1", "password2": "Xq7#short1"},
    )
    assert "at least 12 characters" in short.content.decode()
    common = client.post(
        reverse("signup"),
        {"username": "newbie", "password1": "password1234", "password2": "password1234"},
    )
    assert "This password is too common." in common.content.decode()


def test_logout_refuses_get(owner_client):
    assert owner_client.get(reverse("logout")).status_code == 405


# Brute force ------------------------------------------------------------------------------------


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_repeated_failures_lock_the_account_for_that_address_only(
    settings, client, admin_user, login_url
):
    credentials = {"username": admin_user.username, "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(login_url, credentials).status_code == 200
    locked = client.post(login_url, credentials)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # The right password does not help while locked...
    right = {"username": admin_user.username, "password": "password"}
    assert client.post(login_url, right).status_code == 429
    # ...but the same account from another address still logs in.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert other.post(login_url, right).status_code == 302


def test_behind_the_proxy_lockout_follows_the_forwarded_client_address(
    behind_tls_proxy, settings, client, owner
):
    def log_in_via_proxy(password: str, client_address: str) -> int:
        return client.post(
            "/accounts/login/",
            {"username": "olivia", "password": password},
            HTTP_X_FORWARDED_PROTO="https",
            HTTP_X_FORWARDED_FOR=f"192.0.2.1, {client_address}",  # the right-most is the proxy's
        ).status_code

    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in_via_proxy("wrong", "198.51.100.7")
    assert log_in_via_proxy("owner-password-123", "198.51.100.7") == 429
    assert log_in_via_proxy("owner-password-123", "203.0.113.9") == 302


# Hostile input ----------------------------------------------------------------------------------


@settings(PROFILE)
@given(
    username=st.one_of(
        hostile_value,
        st.sampled_from(["olivia", "OLIVIA", "\uff4f\uff4c\uff49\uff56\uff49\uff41", "olívia"]),
    ),
    password=maybe(hostile_value, st.just("a perfectly fine passphrase 42")),
    confirm=st.booleans(),
)
def test_sign_up(db, world, username, password, confirm):
    fields = {
        "username": username,
        "password1": password,
        "password2": password if confirm else "x",
    }
    with rolled_back():
        before = stored_rows()
        response = post_form(Client(), reverse("signup"), fields)
        check_response(response)
        changes = row_changes(before, stored_rows())
        if response.status_code == 302:
            (new_user,) = changes["user"]["added"]
            (new_list,) = changes["list"]["added"]
            assert TaskList.objects.get(pk=new_list).owner_id == new_user
            changes["user"]["added"].clear()
            changes["list"]["added"].clear()
        else:
            assert response.status_code == 400
        assert unchanged(changes), changes


@settings(PROFILE)
@given(
    username=st.one_of(hostile_value, st.sampled_from(["olivia", "mallory"])),
    password=hostile_value,
    next_url=maybe(st.none(), hostile_next),
)
@example(username="x" * 256, password="x", next_url="//evil.example/")
def test_log_in(db, world, username, password, next_url):
    with rolled_back():
        before = stored_rows()
        url = reverse("login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
        response = post_form(Client(), url, {"username": username, "password": password})
        check_response(response)
        # A failed login is 200 with the form; a lock-out (django-axes) is 429; nothing stored.
        assert response.status_code in (200, 429)
        assert unchanged(row_changes(before, stored_rows()))


def test_a_long_login_username_is_a_form_error_not_a_500(db, world):
    # django-axes records the submitted username; the column holds 255 characters.
    response = Client(raise_request_exception=False).post(
        reverse("login"), {"username": "x" * 256, "password": "whatever"}
    )
    assert response.status_code == 200
