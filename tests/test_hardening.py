"""Production hardening: HTTPS behind a proxy, headers and cookies, brute force, error pages."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from todos.models import Task

ROOT = Path(__file__).resolve().parent.parent
HTTPS_SETTINGS = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "HTTPS": True,
    "BEHIND_PROXY": True,
}


@pytest.fixture
def behind_tls_proxy(settings):
    for name, value in HTTPS_SETTINGS.items():
        setattr(settings, name, value)


def test_deploy_checks_pass_with_https_on():
    # Not inherited: the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE would fail --deploy (async.E001).
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_HTTPS": "true",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x7#Kq!v2Lm9@Pz4$Rt8&Wn3*Yb6^Hd1%Fg5(Jc0)Se-Ua=Io+Eh;Ty:Rw<Qp>Zm?",
        "DJANGO_ALLOWED_HOSTS": "todo.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_plain_http_keeps_working_without_https_on(owner_client):
    assert owner_client.get("/").status_code == 200


def test_https_on_redirects_plain_http_but_not_the_health_probes(behind_tls_proxy, client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_csrf_behind_the_proxy_accepts_same_origin_and_refuses_foreign_origins(
    behind_tls_proxy, owner, inbox
):
    # The proxy forwards the Host header and the scheme, as nginx or Traefik do.
    client = Client(
        enforce_csrf_checks=True, HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver"
    )
    client.force_login(owner)
    client.get("/")
    token = client.cookies["csrftoken"].value
    url = reverse("todos:create", args=[inbox.pk])
    data = {"title": "from the proxy", "csrfmiddlewaretoken": token}
    foreign = client.post(url, data, HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403
    same = client.post(url, data, HTTP_ORIGIN="https://testserver")
    assert same.status_code == 302
    assert list(Task.objects.values_list("title", flat=True)) == ["from the proxy"]


def test_security_headers_on_a_real_page(owner_client):
    response = owner_client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(client, owner):
    response = client.post(
        reverse("login"), {"username": "olivia", "password": "owner-password-123"}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_cookies_are_secure_behind_the_tls_proxy(behind_tls_proxy, client, owner):
    response = client.post(
        reverse("login"),
        {"username": "olivia", "password": "owner-password-123"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.cookies["sessionid"]["secure"]


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


# Error pages ------------------------------------------------------------------------------------


def test_unknown_urls_get_our_404_page(owner_client):
    response = owner_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing here, or it is not yours to see." in response.content.decode()


def test_a_crash_gets_our_500_page_without_a_traceback(owner, inbox):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with mock.patch("todos.views._tasks_page", side_effect=RuntimeError("secret detail")):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret detail" not in body and "Traceback" not in body


def test_a_database_outage_gets_a_friendly_503(owner, inbox):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    failure = OperationalError(2013, "Lost connection to MySQL server during query")
    with mock.patch("todos.views.TaskList.objects.for_user", side_effect=failure):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Temporarily unavailable" in body
    assert "Lost connection" not in body


def test_a_bad_host_is_a_400(client, db):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "evil.example" not in response.content.decode()
