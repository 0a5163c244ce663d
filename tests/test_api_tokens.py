"""Personal access tokens: how they are stored, what they may do, when they stop working, and
the account page that makes and revokes them."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import services
from api.models import LAST_USED_EVERY, TOKEN_PREFIX, Scope, Token, token_digest
from todos.models import Task, TaskList

ACCOUNT = reverse("account")
LISTS = "/api/v1/lists"
NEW_PASSWORD = "a-brand-new-passphrase-7"


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def make_token(
    user: User, scope: Scope = Scope.READ_WRITE, expires_at: dt.datetime | None = None
) -> str:
    return services.create_token(
        user=user, name="script", scope=scope, expires_at=expires_at
    ).secret


def test_it_stores_only_a_keyed_hash_of_a_recognisable_token(owner):
    created = services.create_token(user=owner, name="phone", scope=Scope.READ)
    secret = created.secret
    assert secret.startswith(TOKEN_PREFIX) and len(secret) > len(TOKEN_PREFIX) + 40
    stored = Token.objects.values().get(pk=created.token.pk)
    assert secret not in str(stored)
    assert stored["digest"] == token_digest(secret) != hashlib.sha256(secret.encode()).hexdigest()
    assert services.create_token(user=owner, name="phone", scope=Scope.READ).secret != secret


def test_the_key_of_the_hash_comes_from_the_secret_key(owner, settings):
    digest = token_digest("todo_pat_example")
    settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789"
    assert token_digest("todo_pat_example") != digest


def test_a_token_reads_and_writes_as_its_user(owner, inbox):
    client = bearer(make_token(owner))
    (listed,) = client.get(LISTS).json()
    assert listed["id"] == inbox.pk and listed["name"] == "Inbox"
    created = client.post(
        f"{LISTS}/{inbox.pk}/tasks", {"title": "From a script"}, content_type="application/json"
    )
    assert created.status_code == 201
    assert Task.objects.get(pk=created.json()["id"]).created_by == owner


@pytest.mark.parametrize(
    "header",
    ["Bearer todo_pat_not-a-real-token", "Bearer not-even-the-prefix", "Bearer "],
)
def test_an_unknown_token_is_a_401_even_with_a_session(owner, owner_client, header):
    response = owner_client.get(LISTS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["type"] == "urn:todo:problem:invalid_token"


def test_an_expired_token_stops_working(owner, inbox):
    secret = make_token(owner, expires_at=timezone.now() + dt.timedelta(hours=1))
    assert bearer(secret).get(LISTS).status_code == 200
    Token.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(secret).get(LISTS).status_code == 401


def test_a_read_only_token_reads_but_never_writes(owner, inbox):
    client = bearer(make_token(owner, Scope.READ))
    assert client.get(LISTS).status_code == 200
    response = client.post(
        f"{LISTS}/{inbox.pk}/tasks", {"title": "Planted"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:todo:problem:read_only_token"
    assert not Task.objects.exists()


def test_a_revoked_token_stops_working(owner, inbox):
    secret = make_token(owner)
    services.revoke_token(token=Token.objects.get())
    assert bearer(secret).get(LISTS).status_code == 401


def test_a_deactivated_account_s_tokens_stop_working(owner, inbox):
    secret = make_token(owner)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert bearer(secret).get(LISTS).status_code == 401


def test_the_last_use_is_written_at_most_once_a_minute(owner, inbox, django_assert_num_queries):
    client = bearer(make_token(owner))
    client.get(LISTS)
    first = Token.objects.get().last_used_at
    assert first is not None
    # The token with its user, the rate count (without CACHE_URL), then the lists: no write of
    # the token.
    with django_assert_num_queries(3):
        client.get(LISTS)
    assert Token.objects.get().last_used_at == first
    Token.objects.update(last_used_at=first - LAST_USED_EVERY)
    client.get(LISTS)
    used = Token.objects.get().last_used_at
    assert used is not None and used > first


def test_tokens_never_log_in_to_the_pages_or_the_admin(owner, inbox):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client = bearer(make_token(owner))
    for url in ("/", reverse("account"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]


def test_changing_the_password_revokes_every_token(owner, owner_client, other_user):
    mine, theirs = make_token(owner), make_token(other_user)
    owner_client.post(
        reverse("account_change_password"),
        {"oldpassword": "owner-password-123", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert bearer(mine).get(LISTS).status_code == 401
    assert bearer(theirs).get(LISTS).status_code == 200


def test_resetting_the_password_revokes_every_token(client, owner, mailoutbox):
    EmailAddress.objects.create(user=owner, email="olivia@example.com", verified=True, primary=True)
    secret = make_token(owner)
    client.post(reverse("account_reset_password"), {"email": "olivia@example.com"})
    (path,) = re.findall(r"http://testserver(/\S+)", mailoutbox[0].body)
    form = client.get(path, follow=True)
    client.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert bearer(secret).get(LISTS).status_code == 401


def test_deleting_the_account_deletes_its_tokens(owner, owner_client):
    secret = make_token(owner)
    owner_client.post(reverse("account_delete"), {"password": "owner-password-123"})
    assert not Token.objects.exists()
    assert bearer(secret).get(LISTS).status_code == 401


# --- the account page ---------------------------------------------------------------------------


def _new_token(page: str) -> str:
    (secret,) = re.findall(r'<textarea id="new-token"[^>]*>([^<]*)</textarea>', page)
    return secret


def test_the_account_page_makes_a_token_and_shows_it_once(owner, owner_client, inbox):
    page = owner_client.get(ACCOUNT).content.decode()
    for text in (">API tokens</h2>", ">Token name</label>", ">Access</label>", ">Create token<"):
        assert text in page
    assert ">Read only</option>" in page and ">Read and write</option>" in page
    response = owner_client.post(
        reverse("account_create_token"), {"name": "Phone", "scope": Scope.READ}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = _new_token(page)
    assert '<label for="new-token">New token</label>' in page
    assert 'aria-label="Tokens"' in page and ">Revoke Phone</button>" in page
    token = Token.objects.get()
    assert (token.user, token.name, token.scope, token.expires_at) == (owner, "Phone", "read", None)
    assert bearer(secret).get(LISTS).status_code == 200
    assert secret not in owner_client.get(ACCOUNT).content.decode()


def test_a_token_can_expire_on_a_day_after_today(owner_client):
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    url = reverse("account_create_token")
    past = owner_client.post(url, {"name": "Old", "scope": "read", "expires_on": "2001-01-01"})
    assert past.status_code == 400
    assert "Choose a day after today." in past.content.decode()
    assert (
        owner_client.post(
            url, {"name": "CI", "scope": "read_write", "expires_on": tomorrow.isoformat()}
        ).status_code
        == 200
    )
    expires_at = Token.objects.get().expires_at
    assert expires_at == dt.datetime.combine(tomorrow, dt.time(), tzinfo=dt.UTC)


def test_a_token_needs_a_name_and_a_known_access(owner_client):
    url = reverse("account_create_token")
    assert owner_client.post(url, {"name": "", "scope": "read"}).status_code == 400
    assert owner_client.post(url, {"name": "x", "scope": "admin"}).status_code == 400
    assert not Token.objects.exists()


def test_revoking_on_the_account_page(owner, owner_client, other_user):
    secret = make_token(owner)
    token = Token.objects.get()
    theirs = services.create_token(user=other_user, name="theirs", scope=Scope.READ).token
    stranger = owner_client.post(reverse("account_revoke_token", args=[theirs.pk]))
    assert stranger.status_code == 404
    response = owner_client.post(reverse("account_revoke_token", args=[token.pk]), follow=True)
    assert "Revoked the token “script”." in response.content.decode()
    assert 'aria-label="Tokens"' not in response.content.decode()
    assert bearer(secret).get(LISTS).status_code == 401
    assert Token.objects.get(pk=theirs.pk).revoked_at is None
    assert TaskList.objects.exists()


def test_an_operator_sees_and_revokes_tokens_in_the_admin(admin_client, owner):
    secret = make_token(owner)
    url = reverse("admin:api_token_changelist")
    page = admin_client.get(url).content.decode()
    assert "script" in page and "olivia" in page and secret not in page
    token = Token.objects.get()
    admin_client.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    assert bearer(secret).get(LISTS).status_code == 401
    assert admin_client.get(reverse("admin:api_token_change", args=[token.pk])).status_code == 200


def test_a_password_set_in_the_admin_revokes_the_tokens_too(admin_client, owner):
    secret = make_token(owner)
    url = reverse("admin:auth_user_password_change", args=[owner.pk])
    response = admin_client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert bearer(secret).get(LISTS).status_code == 401


def test_manage_py_changepassword_revokes_the_tokens_too(owner, other_user):
    mine, theirs = make_token(owner), make_token(other_user)
    with mock.patch.object(changepassword.Command, "_get_pass", return_value=NEW_PASSWORD):
        call_command("changepassword", owner.get_username(), stdout=io.StringIO())
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert bearer(mine).get(LISTS).status_code == 401
    assert bearer(theirs).get(LISTS).status_code == 200
    assert Token.objects.of(owner).unrevoked().count() == 0


def test_any_password_saved_revokes_the_tokens(owner):
    secret = make_token(owner)
    owner.set_password(NEW_PASSWORD)
    assert bearer(secret).get(LISTS).status_code == 200  # not saved yet
    owner.save()
    assert bearer(secret).get(LISTS).status_code == 401


def test_a_password_login_turned_off_in_the_admin_revokes_the_tokens(admin_client, owner):
    secret = make_token(owner)
    url = reverse("admin:auth_user_password_change", args=[owner.pk])
    response = admin_client.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert not owner.has_usable_password()
    assert bearer(secret).get(LISTS).status_code == 401


def test_a_stored_hash_upgraded_at_login_keeps_the_tokens(owner, settings):
    secret = make_token(owner)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert owner.check_password("owner-password-123")  # rehashed and saved with PBKDF2
    owner.refresh_from_db()
    assert owner.password.startswith("pbkdf2_sha256$")
    assert bearer(secret).get(LISTS).status_code == 200
