"""Accounts: sign-up, log-in (and its brute-force lock-out), log-out, password change, and the
per-address limits on both."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.models import AddressHit
from tests.support.db import db_url, row_changes, stored_rows, unchanged
from tests.support.hostile import (
    PROFILE,
    check_response,
    hostile_next,
    hostile_value,
    maybe,
    post_form,
    rolled_back,
)
from tests.support.http import Response
from tests.support.live import app_serving
from todos.models import TaskList

SIGNUP = reverse("account_signup")
LOGIN = reverse("account_login")
ADMIN_LOGIN = reverse("admin:login")


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
    assert [tl.name for tl in TaskList.objects.owned_by(user)] == ["Inbox"]
    assert client.get("/").status_code == 200


def test_signup_rejects_weak_and_mismatched_passwords(client, db):
    weak = client.post(SIGNUP, {"username": "u1", "password1": "password", "password2": "password"})
    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    mismatch = client.post(
        SIGNUP, {"username": "u2", "password1": "a-long-passphrase-42", "password2": "other-42-xyz"}
    )
    assert "You must type the same password each time." in mismatch.content.decode()
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
    page = client.get(reverse("account_login")).content.decode()
    assert ">Username</label>" in page and ">Password</label>" in page
    assert ">Log in</button>" in page
    response = client.post(
        reverse("account_login"), {"login": "olivia", "password": "owner-password-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused(client, owner):
    response = client.post(reverse("account_login"), {"login": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert "The username and/or password you specified are not correct." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_every_page_of_a_logged_in_user_has_a_log_out_button(owner_client, inbox, make_task):
    task = make_task(inbox)
    for url in ("/", reverse("todos:edit", args=[task.pk]), reverse("account_change_password")):
        assert ">Log out</button>" in owner_client.get(url).content.decode()


def test_logout_by_post_ends_the_session(owner_client):
    response = owner_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert owner_client.get("/").status_code == 302


def test_password_change_keeps_this_session(owner_client, owner):
    response = owner_client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "owner-password-123",
            "password1": "a-brand-new-passphrase-7",
            "password2": "a-brand-new-passphrase-7",
        },
    )
    assert response["Location"] == reverse("account_change_password")
    owner.refresh_from_db()
    assert owner.check_password("a-brand-new-passphrase-7")
    assert owner_client.get("/").status_code == 200


def test_the_old_password_change_address_redirects(owner_client):
    response = owner_client.get("/accounts/password_change/")
    assert response.status_code == 301
    assert response["Location"] == reverse("account_change_password")


def test_logged_in_users_visiting_signup_go_to_their_tasks(owner_client):
    assert owner_client.get(SIGNUP)["Location"] == "/"


# E-mail addresses, closed sign-up, logging in by address ----------------------------------------


def _signup_with_email(client: Client, username: str, email: str) -> Any:
    return client.post(
        SIGNUP,
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_signup_takes_an_optional_email_and_sends_a_verification_mail(client, db, mailoutbox):
    assert ">Email</label>" in client.get(SIGNUP).content.decode()
    assert _signup_with_email(client, "newbie", "Newbie@Example.com").status_code == 302
    address = EmailAddress.objects.get(user__username="newbie")
    assert (address.email, address.verified, address.primary) == ("newbie@example.com", False, True)
    (mail,) = mailoutbox
    assert mail.to == ["newbie@example.com"]
    assert "/accounts/confirm-email/" in mail.body
    ((html, mimetype),) = mail.alternatives
    assert mimetype == "text/html"
    assert "/accounts/confirm-email/" in str(html)
    # Without an address nobody is mailed, and the account works all the same.
    assert _signup(Client(), "quiet").status_code == 302
    assert len(mailoutbox) == 1


def test_an_operator_can_require_an_email_address(settings, client, db):
    settings.ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
    assert _signup(client, "newbie").status_code == 400
    assert not User.objects.exists()


def test_an_address_taken_by_another_account_is_refused(client, owner):
    EmailAddress.objects.create(user=owner, email="olivia@example.com", verified=True, primary=True)
    response = _signup_with_email(client, "newbie", "OLIVIA@example.com")
    assert response.status_code == 400
    assert not User.objects.filter(username="newbie").exists()


def test_closed_sign_up_creates_no_account(settings, client, db):
    settings.SIGNUP_OPEN = False
    page = client.get(SIGNUP).content.decode()
    assert "<h1>Sign-up closed</h1>" in page
    assert "New here?" not in client.get(LOGIN).content.decode()
    _signup(client, "newbie")
    assert not User.objects.exists()


def test_login_page_links_forgot_password(client, db):
    page = client.get(LOGIN).content.decode()
    assert f'<a href="{reverse("account_reset_password")}">Forgot password?</a>' in page


def test_an_existing_account_logs_in_by_username_or_by_its_email_address(db):
    # As accounts made before e-mail addresses were managed: no EmailAddress row.
    user = User.objects.create_user("walter", email="walter@example.com", password=PASSWORD)
    for login in ("walter", "WALTER@example.com"):
        client = Client()
        response = client.post(LOGIN, {"login": login, "password": PASSWORD})
        assert response.status_code == 302, login
        assert client.session["_auth_user_id"] == str(user.pk)


def test_failed_logins_by_email_address_lock_out_too(settings, client, owner):
    owner.email = "olivia@example.com"
    owner.save(update_fields=["email"])
    wrong = {"login": "olivia@example.com", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, wrong).status_code == 200
    assert client.post(LOGIN, wrong).status_code == 429
    right = {"login": "olivia@example.com", "password": "owner-password-123"}
    assert client.post(LOGIN, right).status_code == 429


# Usernames: one account per name as the database compares names ---------------------------------

PASSWORD = "a-long-passphrase-42"


def _signup(client: Client, username: str) -> Any:
    return client.post(SIGNUP, {"username": username, "password1": PASSWORD, "password2": PASSWORD})


@pytest.mark.parametrize(
    ("existing", "variant"),
    [("josé", "JOSE"), ("jose", "José"), ("Strasse", "straße"), ("olivia", "OLİVİA")],
)
def test_a_name_the_database_compares_equal_to_a_taken_one_is_refused(db, existing, variant):
    User.objects.create_user(existing, password=PASSWORD)
    response = _signup(Client(), variant)
    assert response.status_code == 400
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_usernames_are_stored_nfkc_normalised(client, db):
    assert _signup(client, "\ufb01ona").status_code == 302  # the "fi" ligature
    assert User.objects.get().username == "fiona"


def test_any_spelling_the_database_compares_equal_logs_into_the_one_account(client, owner):
    response = client.post(LOGIN, {"login": "OLIVIA", "password": "owner-password-123"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


# Per-address limits -----------------------------------------------------------------------------


def _credentials(url: str, username: str, password: str) -> dict[str, str]:
    """The login form's fields: allauth's box is "login", the admin's is "username"."""
    return {"username" if url == ADMIN_LOGIN else "login": username, "password": password}


def _fail_login(client: Client, url: str, username: str) -> Any:
    return client.post(url, _credentials(url, username, "wrong"))


def test_one_address_spraying_passwords_over_many_accounts_is_stopped(settings, db):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit < settings.AXES_FAILURE_LIMIT * 5  # more accounts than axes would ever lock
    client = Client()
    # Site and admin logins share the count; each username fails once, so axes never locks.
    for attempt in range(limit):
        url = LOGIN if attempt % 2 else ADMIN_LOGIN
        assert _fail_login(client, url, f"user{attempt}").status_code == 200
    refused = client.post(LOGIN, {"login": "olivia", "password": "owner-password-123"})
    assert refused.status_code == 429
    assert "Too many failed logins from your address." in refused.content.decode()
    assert "Content-Security-Policy" in refused
    assert int(refused["Retry-After"]) == settings.LOGIN_ADDRESS_FAILURE_WINDOW.total_seconds()
    assert _fail_login(client, ADMIN_LOGIN, "someone").status_code == 429
    # Other addresses are not affected.
    assert _fail_login(Client(REMOTE_ADDR="10.1.2.3"), LOGIN, "user0").status_code == 200


def test_successful_logins_do_not_count_and_the_window_passes(settings, owner):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    right = {"login": "olivia", "password": "owner-password-123"}
    for _ in range(3):
        assert Client().post(LOGIN, right).status_code == 302
    client = Client()
    assert _fail_login(client, LOGIN, "a").status_code == 200
    assert _fail_login(client, LOGIN, "b").status_code == 200
    assert client.post(LOGIN, right).status_code == 429
    assert AddressHit.objects.count() == 2  # refused requests take their hit back
    AddressHit.objects.update(created=timezone.now() - settings.LOGIN_ADDRESS_FAILURE_WINDOW)
    assert client.post(LOGIN, right).status_code == 302


def test_a_team_of_fifty_behind_one_address_signs_up_within_the_hour(db):
    for member in range(50):
        if member % 10 == 0:  # a few typos on the way: refused, and they cost no account
            mistyped = {"username": f"teammate{member}", "password1": PASSWORD, "password2": "x"}
            assert Client().post(SIGNUP, mistyped).status_code == 400
        assert _signup(Client(), f"teammate{member}").status_code == 302
    assert User.objects.count() == 50


def test_accounts_made_from_one_address_are_capped(settings, db):
    limit = settings.SIGNUP_ADDRESS_LIMIT
    for attempt in range(limit):
        assert _signup(Client(), f"newcomer{attempt}").status_code == 302
    refused = _signup(Client(), "one-more")
    assert refused.status_code == 429
    assert "Too many sign-ups from your address." in refused.content.decode()
    assert User.objects.count() == limit
    assert _signup(Client(REMOTE_ADDR="10.1.2.3"), "one-more").status_code == 302


def test_refused_sign_ups_are_limited_per_address(settings, db):
    settings.SIGNUP_ADDRESS_FAILURE_LIMIT = 3
    User.objects.create_user("taken", password=PASSWORD)
    for _ in range(3):
        assert _signup(Client(), "taken").status_code == 400
    refused = _signup(Client(), "taken")
    assert refused.status_code == 429
    assert "Too many refused sign-ups from your address." in refused.content.decode()
    assert _signup(Client(), "fresh").status_code == 429  # no more answers from this address
    assert _signup(Client(REMOTE_ADDR="10.1.2.3"), "taken").status_code == 400
    assert list(User.objects.values_list("username", flat=True)) == ["taken"]


@pytest.mark.parametrize(
    ("forwarded", "counted_as"),
    [("10.0.0.9, " + "f" * 300, "127.0.0.1"), ("2001:DB8:0:0::1", "2001:db8::1")],
)
def test_behind_the_proxy_the_counted_address_is_a_canonical_ip(
    settings, db, forwarded, counted_as
):
    settings.HTTPS = True
    settings.BEHIND_PROXY = True
    response = Client().post(
        LOGIN,
        {"login": "olivia", "password": "wrong"},
        secure=True,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 200
    assert AddressHit.objects.get().address == counted_as


def test_an_admin_lifts_an_address_limit_by_deleting_its_hits(admin_client, settings):
    settings.SIGNUP_ADDRESS_LIMIT = 1
    assert _signup(Client(), "first").status_code == 302
    assert _signup(Client(), "second").status_code == 429
    changelist = reverse("admin:accounts_addresshit_changelist")
    assert "127.0.0.1" in admin_client.get(changelist).content.decode()
    hits = [str(pk) for pk in AddressHit.objects.values_list("pk", flat=True)]
    data = {"action": "delete_selected", "_selected_action": hits, "post": "yes"}
    assert admin_client.post(changelist, data).status_code == 302
    assert _signup(Client(), "second").status_code == 302


# Against gunicorn: real concurrency, counts shared across workers ---------------------------------

ROUNDS = 5
RACERS = 4


def _at_once(calls: Sequence[Callable[[], Response]]) -> list[Response]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Response]) -> Response:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_parallel_sign_ups_for_one_name_make_one_account_and_no_500(django_db_setup):
    env = {"DJANGO_SIGNUP_ADDRESS_FAILURE_LIMIT": str(ROUNDS * RACERS)}
    with app_serving(db_url(), workers=RACERS, env=env) as server:
        for round_ in range(ROUNDS):
            # Spellings the database compares equal: one name.
            names = [f"racer{round_}", f"RACER{round_}", f"Rácer{round_}", f"racer{round_}"]
            data = {"password1": PASSWORD, "password2": PASSWORD}
            calls = [
                functools.partial(server.client().post, SIGNUP, {"username": name, **data})
                for name in names
            ]
            responses = _at_once(calls)
            statuses = sorted(response.status for response in responses)
            assert statuses == [302] + [400] * (RACERS - 1), (round_, statuses, server.output)
            for response in responses:
                if response.status == 400:
                    assert "A user with that username already exists." in response.text
        assert User.objects.count() == ROUNDS
        assert TaskList.objects.count() == ROUNDS
        assert "Traceback" not in server.output


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_login_limit_holds_across_workers_and_parallel_requests(django_db_setup):
    limit = 6
    env = {"DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT": str(limit)}
    with app_serving(db_url(), workers=4, env=env) as server:
        wrong = [{"login": f"user{n}", "password": "wrong"} for n in range(3 * limit)]
        calls = [functools.partial(server.client().post, LOGIN, data) for data in wrong]
        statuses = [response.status for response in _at_once(calls)]
        admitted = statuses.count(200)
        # Racing requests never get past the limit between them; refused ones count nothing.
        assert set(statuses) <= {200, 429}, statuses
        assert 1 <= admitted <= limit, statuses
        assert AddressHit.objects.count() == admitted
        # Then one at a time, whichever worker answers: failures up to the limit, then 429.
        for data in wrong[: limit - admitted]:
            assert server.client().post(LOGIN, data).status == 200
        assert server.client().post(LOGIN, wrong[0]).status == 429
        assert AddressHit.objects.count() == limit


def test_sign_up_requires_12_characters_and_no_common_password(client, db):
    short = client.post(
        reverse("account_signup"),
        {"username": "newbie", "password1": "Xq7#short1", "password2": "Xq7#short1"},
    )
    assert "at least 12 characters" in short.content.decode()
    common = client.post(
        reverse("account_signup"),
        {"username": "newbie", "password1": "password1234", "password2": "password1234"},
    )
    assert "This password is too common." in common.content.decode()


def test_logout_by_get_only_asks(owner_client):
    page = owner_client.get(reverse("account_logout"))
    assert ">Log out</button>" in page.content.decode()
    assert owner_client.get("/").status_code == 200


# Brute force ------------------------------------------------------------------------------------


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_repeated_failures_lock_the_account_for_that_address_only(
    settings, client, admin_user, login_url
):
    credentials = _credentials(login_url, admin_user.username, "wrong")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(login_url, credentials).status_code == 200
    locked = client.post(login_url, credentials)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # The right password does not help while locked...
    right = _credentials(login_url, admin_user.username, "password")
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
            {"login": "olivia", "password": password},
            HTTP_X_FORWARDED_PROTO="https",
            HTTP_X_FORWARDED_FOR=f"192.0.2.1, {client_address}",  # the right-most is the proxy's
        ).status_code

    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in_via_proxy("wrong", "198.51.100.7")
    assert log_in_via_proxy("owner-password-123", "198.51.100.7") == 429
    assert log_in_via_proxy("owner-password-123", "203.0.113.9") == 302


@pytest.mark.parametrize(
    ("failed_as", "then_as"),
    [("admin", "ADMIN@example.com"), ("admin@example.com", "Admin")],
)
@pytest.mark.parametrize("login_url", [LOGIN, ADMIN_LOGIN])
def test_failures_lock_the_account_whichever_of_its_names_is_typed(
    settings, client, admin_user, login_url, failed_as, then_as
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail_login(client, login_url, failed_as)
    # Locked on both login pages, by the other name too...
    for url in (LOGIN, ADMIN_LOGIN):
        assert client.post(url, _credentials(url, then_as, "password")).status_code == 429
    # ...from this address only.
    right = _credentials(login_url, then_as, "password")
    assert Client(REMOTE_ADDR="10.9.8.7").post(login_url, right).status_code == 302


NEW_PASSWORD = "a-brand-new-passphrase-7"
# The forms that ask a logged-in user for their current password, filled with ``password``.
CURRENT_PASSWORD_FORMS: dict[str, Callable[[str], dict[str, str]]] = {
    "account_change_password": lambda password: {
        "oldpassword": password,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    },
    "account_delete": lambda password: {"password": password},
    "account_reauthenticate": lambda password: {"password": password},  # "Confirm Access"
}


@pytest.mark.parametrize("url_name", CURRENT_PASSWORD_FORMS)
def test_wrong_current_passwords_lock_the_account_like_failed_logins(
    settings, owner, client_for, url_name
):
    client, url, fields = client_for(owner), reverse(url_name), CURRENT_PASSWORD_FORMS[url_name]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, fields("wrong")).status_code in (200, 400)
    locked = client.post(url, fields("wrong"))
    assert locked.status_code == 429
    assert "Too many failed logins: this account is locked" in locked.content.decode()
    # Locked: the right password neither deletes the account nor logs in, from this address.
    kept = client.post(reverse("account_delete"), {"password": "owner-password-123"})
    assert kept.status_code == 429
    assert "Too many failed logins: this account is locked" in kept.content.decode()
    assert User.objects.get(pk=owner.pk).check_password("owner-password-123")
    right = {"login": "olivia", "password": "owner-password-123"}
    assert Client().post(LOGIN, right).status_code == 429
    assert Client(REMOTE_ADDR="10.9.8.7").post(LOGIN, right).status_code == 302


@pytest.mark.parametrize("url_name", CURRENT_PASSWORD_FORMS)
def test_wrong_current_passwords_count_towards_the_address_limit(
    settings, owner, client_for, url_name
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    client, url, fields = client_for(owner), reverse(url_name), CURRENT_PASSWORD_FORMS[url_name]
    assert client.post(url, fields("wrong")).status_code in (200, 400)
    assert _fail_login(Client(), LOGIN, "someone").status_code == 200
    refused = client.post(url, fields("owner-password-123"))
    assert refused.status_code == 429
    assert "Too many failed logins from your address." in refused.content.decode()
    assert _fail_login(Client(), LOGIN, "someone").status_code == 429


def test_the_right_current_password_is_no_failure(settings, owner, client_for):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1
    client = client_for(owner)
    fields = CURRENT_PASSWORD_FORMS["account_change_password"]("owner-password-123")
    assert client.post(reverse("account_change_password"), fields).status_code == 302
    assert not AddressHit.objects.exists()
    assert _fail_login(Client(), LOGIN, "someone").status_code == 200


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
        response = post_form(Client(), reverse("account_signup"), fields)
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
        url = reverse("account_login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
        response = post_form(Client(), url, {"login": username, "password": password})
        check_response(response)
        # A failed login is 200 with the form; a lock-out (django-axes) is 429; nothing stored.
        assert response.status_code in (200, 429)
        assert unchanged(row_changes(before, stored_rows()))


def test_a_long_login_username_is_a_form_error_not_a_500(db, world):
    # django-axes records the submitted username; the column holds 255 characters.
    response = Client(raise_request_exception=False).post(
        reverse("account_login"), {"login": "x" * 256, "password": "whatever"}
    )
    assert response.status_code == 200
