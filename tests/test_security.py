"""The project's security plumbing: HTTPS behind a proxy, CSRF, headers, cookies, hosts."""

from django.test import Client
from django.urls import reverse

from todos.models import Task


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
        reverse("account_login"), {"login": "olivia", "password": "owner-password-123"}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_cookies_are_secure_behind_the_tls_proxy(behind_tls_proxy, client, owner):
    response = client.post(
        reverse("account_login"),
        {"login": "olivia", "password": "owner-password-123"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.cookies["sessionid"]["secure"]


def test_a_bad_host_is_a_400(client, db):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "evil.example" not in response.content.decode()


# What a shared cache may keep --------------------------------------------------------------------


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_it_keeps_logged_in_pages_out_of_shared_caches(owner_client, inbox):
    url = reverse("todos:list", args=[inbox.pk])
    rendered, kept = owner_client.get(url), owner_client.get(url)
    fragment = owner_client.get(url, headers={"X-Fragment": "1"})
    account = owner_client.get(reverse("account"))
    for response in (rendered, kept, fragment, account):
        assert response.status_code == 200
        assert "Cookie" in response["Vary"]
        assert "private" in _cache_control(response), response.headers


def test_it_keeps_responses_that_set_or_end_a_session_private(client, owner):
    login_form = client.get(reverse("account_login"))  # sets the CSRF cookie
    logged_in = client.post(
        reverse("account_login"), {"login": "olivia", "password": "owner-password-123"}
    )
    logged_out = client.post(reverse("account_logout"))
    for response in (login_form, logged_in, logged_out):
        assert response.cookies, response.headers
        assert "private" in _cache_control(response), response.headers


def test_static_files_stay_publicly_cacheable_for_a_logged_in_user(owner_client):
    response = owner_client.get("/static/todos/app.js")
    assert response.status_code == 200
    assert "public" in _cache_control(response)
    assert "private" not in _cache_control(response)
