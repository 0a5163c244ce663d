"""The account page and what it leads to: sessions, account deletion, two-factor authentication
(enrolment through the pages, the code step of a login, its lockout), and the operator's reset."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Session
from tests.conftest import create_user
from tests.support.db import db_url
from tests.support.http import HttpClient
from tests.support.live import app_serving
from tests.support.locks import waits_for_the_list_first
from todos.models import Task, TaskList

ACCOUNT = reverse("account")
LOGIN = reverse("account_login")
MFA = reverse("mfa_authenticate")
PASSWORD = "owner-password-123"


def totp_code(secret: str) -> str:
    return str(format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time()))))


def _with_two_factor(user: User) -> dict[str, Any]:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).get_unused_codes()
    return {"secret": secret, "recovery_codes": codes}


@pytest.fixture
def two_factor(owner: User) -> dict[str, Any]:
    """The owner with an authenticator app and recovery codes."""
    return _with_two_factor(owner)


def _log_in_with_password(client: Client) -> Any:
    return client.post(LOGIN, {"login": "olivia", "password": PASSWORD})


def test_the_header_links_the_account_page_with_its_sections(owner_client):
    assert f'<a href="{ACCOUNT}">Account</a>' in owner_client.get("/").content.decode()
    page = owner_client.get(ACCOUNT).content.decode()
    for title in ("Email", "Password", "Two-factor authentication", "Sessions"):
        assert f">{title}</h2>" in page
    for url in ("account_email", "account_change_password", "mfa_index", "account_delete"):
        assert f'href="{reverse(url)}"' in page
    assert ">Log out other sessions</button>" in page


def test_log_out_other_sessions_keeps_this_one(owner, client_for, other_user):
    here, elsewhere, bystander = client_for(owner), client_for(owner), client_for(other_user)
    response = here.post(reverse("account_end_other_sessions"), follow=True)
    assert "Logged out 1 other session." in response.content.decode()
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert bystander.get("/").status_code == 200
    assert Session.objects.filter(user=owner).count() == 1


def test_deleting_the_account_asks_the_password_and_deletes_the_lists(owner_client, owner, inbox):
    url = reverse("account_delete")
    wrong = owner_client.post(url, {"password": "not-it"})
    assert wrong.status_code == 400
    assert "That is not your password." in wrong.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()
    response = owner_client.post(url, {"password": PASSWORD})
    assert response["Location"] == LOGIN
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not TaskList.objects.filter(owner_id=owner.pk).exists()
    assert owner_client.get("/").status_code == 302


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["the owner", "the assignee", "the owner, in the admin"])
def test_deleting_an_account_waits_for_the_lists_it_writes_before_locking_a_task(
    shared, owner, editor, make_task, admin_client, who
):
    """The deletion removes the owner's tasks, or unassigns the assignee's: like every write
    of tasks, it locks their list first."""
    tasks = [make_task(shared, "Assigned", assignee=editor).pk, make_task(shared, "Other").pk]
    deleting = {
        "the owner": lambda: account_services.delete_account(user=owner),
        "the assignee": lambda: account_services.delete_account(user=editor),
        "the owner, in the admin": lambda: admin_client.post(
            reverse("admin:auth_user_delete", args=[owner.pk]), {"post": "yes"}
        ),
    }[who]
    gone = (editor if who == "the assignee" else owner).pk
    waits_for_the_list_first(deleting, shared.pk, tasks)
    assert not User.objects.filter(pk=gone).exists()
    assert not Task.objects.filter(assignee_id=gone).exists()


def test_turning_on_two_factor_asks_the_password_again_then_a_code(owner_client, owner):
    client = owner_client
    activate = reverse("mfa_activate_totp")
    asked = client.get(activate)
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(activate)
    assert "<svg" in page.content.decode()  # the QR code, inline (no data: URL under the CSP)
    secret = page.context["form"].secret
    response = client.post(activate, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()
    assert "On: logging in asks for a code" in client.get(ACCOUNT).content.decode()


def test_with_two_factor_a_login_asks_for_the_code(two_factor, client, owner):
    response = _log_in_with_password(client)
    assert response["Location"] == MFA
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get(MFA).content.decode()
    assert ">Code</label>" in page and ">Log in</button>" in page
    assert client.post(MFA, {"code": totp_code(two_factor["secret"])})["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once(two_factor, owner):
    code = two_factor["recovery_codes"][0]
    first = Client()
    _log_in_with_password(first)
    assert first.post(MFA, {"code": code})["Location"] == "/"
    second = Client()
    _log_in_with_password(second)
    assert second.post(MFA, {"code": code}).status_code == 200  # the form again, with its error
    assert second.get("/").status_code == 302


def test_wrong_codes_lock_out_like_wrong_passwords(settings, two_factor, owner):
    client = Client()
    _log_in_with_password(client)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(MFA, {"code": "000000"}).status_code == 200
    assert client.post(MFA, {"code": "000000"}).status_code == 429
    # Locked: neither the right code nor the right password gets in from this address.
    assert client.post(MFA, {"code": totp_code(two_factor["secret"])}).status_code == 429
    assert _log_in_with_password(Client()).status_code == 429
    # Elsewhere the account still logs in.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _log_in_with_password(other)["Location"] == MFA


def test_wrong_codes_lock_the_account_whichever_of_its_names_logs_in(settings, two_factor, owner):
    owner.email = "olivia@example.com"
    owner.save(update_fields=["email"])
    client = Client()
    _log_in_with_password(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(MFA, {"code": "000000"})
    by_address = {"login": "OLIVIA@example.com", "password": PASSWORD}
    assert Client().post(LOGIN, by_address).status_code == 429


def test_the_admin_login_refuses_an_account_with_two_factor(two_factor, owner):
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    response = Client().post(reverse("admin:login"), {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 200
    assert "This account uses two-factor authentication" in response.content.decode()


def test_an_operator_resets_two_factor_in_the_admin(admin_client, two_factor, owner):
    changelist = reverse("admin:auth_user_changelist")
    data = {"action": "reset_two_factor", "_selected_action": [str(owner.pk)]}
    response = admin_client.post(changelist, data, follow=True)
    assert "Two-factor authentication is off for 1 account(s)" in response.content.decode()
    assert not Authenticator.objects.filter(user=owner).exists()
    assert _log_in_with_password(Client())["Location"] == "/"


# Against gunicorn: a code is used once, whichever worker it reaches ------------------------------

REPLAYS = 6
# gunicorn's access log, with the pid of the worker that answered each request.
WORKER_LOG = ("--access-logformat", "%(p)s %(m)s %(U)s %(s)s")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_accepts_a_two_factor_code_once_across_workers(settings, django_db_setup):
    # The live app checks passwords with the production hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = create_user("olivia", PASSWORD)
    secret = _with_two_factor(user)["secret"]
    # Replayed codes count as failed logins: keep the lockouts out of this test's way.
    env = {"DJANGO_LOGIN_FAILURE_LIMIT": "100", "DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT": "100"}
    with app_serving(db_url(), workers=2, args=WORKER_LOG, env=env) as server:
        browsers = [HttpClient(server.url) for _ in range(REPLAYS)]
        for browser in browsers:
            assert browser.post(LOGIN, {"login": "olivia", "password": PASSWORD}).status == 302
        if time.time() % 30 > 25:  # the code must stay the current one while it is sent
            time.sleep(30 - time.time() % 30)
        code = totp_code(secret)
        barrier = threading.Barrier(REPLAYS)

        def send(browser: HttpClient) -> int:
            barrier.wait(timeout=30)
            return browser.post(MFA, {"code": code}).status

        with ThreadPoolExecutor(REPLAYS) as pool:
            statuses = sorted(pool.map(send, browsers))
        workers = set(re.findall(rf"^<(\d+)> POST {MFA} ", server.output, re.MULTILINE))
    assert len(workers) == 2, server.output  # both workers were asked
    # One login; every replay gets the form again, with its error.
    assert statuses == [200] * (REPLAYS - 1) + [302], server.output
