"""Error handling and request limits: no request, however malformed, gets a 5xx, every error
status has our own page with the site's security headers, and request bodies are capped.

Then a database outage under a running gunicorn: gunicorn (two sync workers, DEBUG off,
``CONN_MAX_AGE`` > 0 with ``CONN_HEALTH_CHECKS``) reaches MariaDB only through ``TcpProxy``, so a
test can cut the database away and bring it back without touching the real server; those tests
commit their rows (``transaction=True``), so gunicorn sees them.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from allauth.account.views import LoginView
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.db import db_url
from tests.support.http import HttpClient, session_cookies
from tests.support.live import AppProcess, app_serving
from tests.support.tcp_proxy import TcpProxy
from todo_site import errors
from todos.models import Task, TaskList

LOGIN = reverse("account_login")
SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")
CSRF_TOKEN = "a" * 32  # an unmasked secret: valid both as the cookie and as the form field
FORM = "application/x-www-form-urlencoded"


def _post_as_is(client: Client, url: str, body: bytes, content_type: str) -> Any:
    """POST ``body`` byte for byte (Client.post would re-encode it to the named charset)."""
    return client.generic("POST", url, body, content_type=content_type)


def _csrf_client(**kwargs: Any) -> Client:
    """A client that, like a browser, passes the CSRF check (so the view reads the body)."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False, **kwargs)
    client.cookies["csrftoken"] = CSRF_TOKEN
    return client


def _assert_own_page(response: Any, status: int) -> None:
    assert response.status_code == status
    for header in SECURITY_HEADERS:
        assert header in response, f"{status} page without {header}"
    assert "Back to your tasks" in response.content.decode()


# Charsets ---------------------------------------------------------------------------------------


LOGIN_BODY = f"csrfmiddlewaretoken={CSRF_TOKEN}&login=olivia&password=x".encode()


@pytest.mark.parametrize("charset", ["latin-1", "iso-8859-1", "utf-16", "cp1252", "ascii"])
@pytest.mark.parametrize("url", [LOGIN, reverse("account_signup"), "/admin/login/"])
def test_a_form_post_in_another_charset_is_a_400_not_a_500(db, charset, url):
    response = _post_as_is(_csrf_client(), url, LOGIN_BODY, f"{FORM}; charset={charset}")
    _assert_own_page(response, 400)


@pytest.mark.parametrize("charset", ["bogus", "\u00e4", '"utf-8"', ""])
def test_an_unknown_charset_is_ignored_and_the_body_read_as_utf_8(owner, charset):
    response = _post_as_is(_csrf_client(), LOGIN, LOGIN_BODY, f"{FORM}; charset={charset}")
    assert response.status_code == 200
    assert (
        "The username and/or password you specified are not correct." in response.content.decode()
    )


def test_a_logged_in_post_in_latin_1_is_a_400(owner, inbox):
    client = _csrf_client()
    client.force_login(owner)
    body = f"csrfmiddlewaretoken={CSRF_TOKEN}&title=caf\xe9".encode("latin-1")
    url = reverse("todos:create", args=[inbox.pk])
    response = _post_as_is(client, url, body, f"{FORM}; charset=latin-1")
    _assert_own_page(response, 400)
    assert not inbox.tasks.exists()


# Our own pages, with security headers ------------------------------------------------------------


def test_a_foreign_host_gets_our_400_with_the_security_headers(db):
    _assert_own_page(Client().get("/", HTTP_HOST="evil.example"), 400)


def test_a_foreign_host_behind_the_tls_proxy_gets_them_too(db, settings):
    settings.HTTPS = True
    settings.SECURE_SSL_REDIRECT = True
    _assert_own_page(Client().get("/", HTTP_HOST="evil.example"), 400)


def test_a_failed_csrf_check_gets_our_403(db):
    response = Client(enforce_csrf_checks=True).post(LOGIN, {"login": "olivia"})
    _assert_own_page(response, 403)


def test_an_unknown_address_gets_our_404(db):
    _assert_own_page(Client().get("/no/such/page/"), 404)


def test_a_refused_method_gets_our_405_with_allow(owner_client, inbox):
    response = owner_client.get(reverse("todos:create", args=[inbox.pk]))
    _assert_own_page(response, 405)
    assert response["Allow"] == "POST"


def test_a_crash_gets_our_500_and_a_database_outage_our_503(db):
    client = Client(raise_request_exception=False)
    with mock.patch.object(LoginView, "get", side_effect=RuntimeError("boom")):
        _assert_own_page(client.get(LOGIN), 500)
    with mock.patch.object(LoginView, "get", side_effect=OperationalError(2013, "gone")):
        response = client.get(LOGIN)
    _assert_own_page(response, 503)
    assert response["Retry-After"] == "30"


@pytest.mark.parametrize(
    "handler",
    [errors.bad_request, errors.permission_denied, errors.csrf_failure, errors.page_not_found],
)
def test_handlers_read_neither_the_database_nor_the_body(handler):
    # No `db` fixture: any database access raises. So does reading this request's POST, as it
    # does again for the request that failed.
    request = RequestFactory().generic(
        "POST", LOGIN, b"a=\xe9", content_type=f"{FORM}; charset=latin-1"
    )
    assert handler(request).status_code in (400, 403, 404)


# Request bodies -----------------------------------------------------------------------------------


def test_a_body_over_the_cap_is_a_413_before_anything_reads_it(db, settings):
    body = b"username=" + b"x" * settings.MAX_REQUEST_BODY
    response = Client().post(LOGIN, body, content_type=FORM)
    _assert_own_page(response, 413)
    assert (
        Client().post(LOGIN, body[: settings.MAX_REQUEST_BODY], content_type=FORM).status_code
        == 200
    )


def test_the_cap_is_a_setting(db, settings):
    settings.MAX_REQUEST_BODY = 100
    assert Client().post(LOGIN, {"login": "x" * 100}).status_code == 413


@pytest.mark.parametrize("length", ["-5", "abc", "1e3", " 12", "\u00b2", "\u0661\u0662"])
def test_a_content_length_that_is_not_a_number_is_a_400(db, length):
    response = Client().generic(
        "POST", LOGIN, b"username=x", content_type=FORM, CONTENT_LENGTH=length
    )
    _assert_own_page(response, 400)


def test_a_chunked_body_of_unknown_length_is_a_411(db):
    response = Client().generic("POST", LOGIN, b"", HTTP_TRANSFER_ENCODING="chunked")
    _assert_own_page(response, 411)


def test_a_file_upload_is_a_415_and_plain_multipart_fields_still_work(owner):
    upload = SimpleUploadedFile("big.bin", b"\0" * 1000)
    response = Client().post(LOGIN, {"login": "olivia", "file": upload})
    _assert_own_page(response, 415)
    fields_only = Client().post(LOGIN, {"login": "olivia", "password": "owner-password-123"})
    assert fields_only.status_code == 302


def test_paths_that_take_files_are_a_setting(owner, settings):
    settings.FILE_UPLOAD_PATHS = [LOGIN]
    upload = SimpleUploadedFile("small.txt", b"hello")
    response = Client().post(LOGIN, {"login": "olivia", "file": upload})
    assert response.status_code == 200


def _raw_request(server: AppProcess, head: bytes, body_chunks: Iterator[bytes]) -> bytes:
    """Send a request as raw bytes, stop sending when the server answers or hangs up."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port)) as sock:
        sock.settimeout(30)
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except OSError:  # the server answered early and closed: what we want
            pass
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.fixture(scope="module")
def server(django_db_setup: None) -> Iterator[AppProcess]:
    with app_serving(db_url(), workers=2) as server:
        yield server


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_100_mb_multipart_post_is_refused_without_being_read(server):
    size = 100 * 1024 * 1024
    head = (
        f"POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {size}\r\n\r\n"
    ).encode()
    part = b'--xyz\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'
    # A few MB at most: the answer comes after the headers, not after 100 MB.
    answer = _raw_request(server, head, iter([part, *([b"\0" * 65536] * 64)]))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"Content-Security-Policy" in answer


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_chunked_post_through_gunicorn_is_a_411(server):
    head = (
        f"POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 32 + [b"0\r\n\r\n"]
    answer = _raw_request(server, head, iter(chunks))
    assert answer.startswith(b"HTTP/1.1 411 "), answer[:200]


# Property: random bodies to every route ----------------------------------------------------------


def _routes() -> list[str]:
    """Every route of the URL conf as a path template: "{list_id}", "{task_id}" where our views
    take an id (filled with the owner's objects), 1 for any other parameter (the admin's)."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).replace("^", "").replace("$", "")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.append(route)

    walk(get_resolver().url_patterns, "")
    paths = set()
    for route in found:
        path = re.sub(r"<int:(list_id|task_id)>", r"{\1}", route.replace("\\Z", ""))
        path = re.sub(r"\(\?P<\w+>([\w|]+?)(\|[^)]*)?\)", r"\1", path)  # (?P<x>auth|...) -> auth
        path = re.sub(r"<[^>]+>|\(\?P<\w+>[^)]*\)", "1", path)
        paths.add("/" + path)
    return sorted(paths)


ROUTES = _routes()
# Half the examples go to the site's own routes, not the admin's many.
SITE_ROUTES = [route for route in ROUTES if not route.startswith("/admin/")]
CONTENT_TYPES = [
    FORM,
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    "application/json",
    "application/octet-stream",
    "",
    "\x00",
]
CHARSETS = ["", "utf-8", "latin-1", "utf-16", "utf-32", "bogus", "ascii", "cp500", "\u00e9"]


@st.composite
def hostile_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if charset := draw(st.sampled_from(CHARSETS)):
        content_type += f"; charset={charset}"
    body = draw(st.binary(max_size=500))
    if draw(st.booleans()):  # get past the CSRF check, so the view reads the rest
        body = f"csrfmiddlewaretoken={CSRF_TOKEN}&".encode() + body
    return content_type, body


@pytest.fixture
def users(owner: User, admin_user: User) -> list[User | None]:
    return [None, owner, admin_user]


def _hostile_client(user: User | None) -> Client:
    """A fresh client (an earlier example may have logged out) that passes the CSRF check by
    header when the body carries no token, so most requests reach the view."""
    client = _csrf_client(HTTP_X_CSRFTOKEN=CSRF_TOKEN)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def ids(inbox: TaskList, make_task: Callable[..., Task]) -> dict[str, int]:
    return {"list_id": inbox.pk, "task_id": make_task(inbox).pk}


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.one_of(st.sampled_from(SITE_ROUTES), st.sampled_from(ROUTES)),
    method=st.sampled_from(["POST", "POST", "POST", "PUT", "PATCH", "DELETE"]),
    who=st.integers(0, 2),
    request=hostile_bodies(),
)
def test_random_bodies_to_every_route_never_get_a_5xx(users, ids, route, method, who, request):
    """Anonymous, the owner and a superuser post random bytes under random content types and
    charsets (with or without a valid CSRF token in the body) to every route: never a 5xx."""
    content_type, body = request
    client = _hostile_client(users[who])
    response = client.generic(method, route.format(**ids), body, content_type=content_type)
    assert response.status_code < 500, (route, content_type, body)


def test_the_property_test_covers_every_route():
    expected = {
        "/accounts/login/",
        "/admin/login/",
        "/lists/{list_id}/tasks/",
        "/tasks/{task_id}/edit/",
    }
    assert expected <= set(ROUTES)
    assert len(ROUTES) > 30


# A database outage under a running gunicorn ----------------------------------------------------


def test_unknown_urls_get_our_404_page(owner_client):
    response = owner_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing here, or it is not yours to see." in response.content.decode()


def test_a_crash_gets_our_500_page_without_a_traceback(owner, inbox):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with mock.patch("todos.views.tasks_page", side_effect=RuntimeError("secret detail")):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret detail" not in body and "Traceback" not in body


def test_a_database_outage_gets_a_friendly_503(owner, inbox):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    failure = OperationalError(2013, "Lost connection to MySQL server during query")
    with mock.patch("todos.views.TaskList.objects.visible_to", side_effect=failure):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Temporarily unavailable" in body
    assert "Lost connection" not in body


# A real outage under gunicorn -----------------------------------------------------------------


REQUESTS_DURING_CUT = 10
INSERT_TASK = b"INSERT INTO `todos_task`"
# The whole COM_QUERY packet (length 7, sequence 0, command 3): "READ COMMITTED" must not match.
COMMIT = b"\x07\x00\x00\x00\x03COMMIT"


@pytest.fixture
def browser(proxied_server: AppProcess, proxy: TcpProxy, owner) -> Iterator[HttpClient]:
    """The owner's browser on the proxied server; the database is back after each test."""
    client = proxied_server.client(session_cookies(owner))
    assert client.get("/").status == 200, "the server works before the cut"
    yield client
    proxy.restore()


def _not_a_traceback(body: str) -> bool:
    return "Traceback" not in body and "OperationalError" not in body and "SECRET" not in body


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_during_the_cut_and_the_next_request_after_it_succeeds(
    browser, proxy, inbox, make_task
):
    task = make_task(inbox, "Survives the outage")
    pages = ["/", inbox.get_absolute_url(), reverse("todos:edit", args=[task.pk])]
    assert browser.get("/readyz").status == 200

    proxy.cut()
    statuses = []
    for number in range(REQUESTS_DURING_CUT):
        response = browser.get(pages[number % len(pages)])
        statuses.append(response.status)
        assert _not_a_traceback(response.text)
    adding = browser.post(reverse("todos:create", args=[inbox.pk]), {"title": "During the cut"})
    statuses.append(adding.status)
    readiness = browser.get("/readyz")
    liveness = browser.get("/healthz")

    proxy.restore()
    restored_at = time.monotonic()
    first = browser.get("/")
    recovery = time.monotonic() - restored_at
    after = [browser.get(pages[number % len(pages)]).status for number in range(6)]

    print(  # the outage's figures (shown with -rP)
        f"outage: {statuses.count(503)} of {len(statuses)} requests answered 503 during the cut; "
        f"first request after restore {first.status} in {recovery * 1000:.0f} ms; "
        f"proxy refused {proxy.connections_refused} connection attempts"
    )
    assert statuses == [503] * len(statuses), f"statuses during the cut: {statuses}"
    assert readiness.status == 503
    assert readiness.text.startswith("database unavailable")
    assert liveness.status == 200, "liveness must not depend on the database"
    assert first.status == 200, "the very next request after the restore succeeds"
    assert "Survives the outage" in first.text
    assert after == [200] * len(after), "every worker reconnected without a restart"
    assert browser.get("/readyz").status == 200
    assert not Task.objects.filter(title="During the cut").exists()


@pytest.mark.parametrize(
    ("pattern", "after_reply", "stored"),
    [
        # The INSERT never reaches the server: nothing stored, the user is told it failed.
        (INSERT_TASK, False, 0),
        # The INSERT ran but the COMMIT never came: the server rolls the transaction back.
        (INSERT_TASK, True, 0),
        # The COMMIT ran but its answer was lost: stored once, and nothing retried it.
        (COMMIT, True, 1),
    ],
    ids=["before-insert", "after-insert", "after-commit"],
)
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_write_in_flight_at_the_cut_is_stored_once_or_reported_failed_never_twice(
    browser, proxy, inbox, pattern, after_reply, stored
):
    fired = proxy.cut_when(pattern, after_reply=after_reply)
    response = browser.post(reverse("todos:create", args=[inbox.pk]), {"title": "In flight"})
    assert fired.is_set(), "the cut happened while the write was in flight"
    assert response.status == 503, f"the user is told it failed, got {response.status}"
    assert _not_a_traceback(response.text)

    proxy.restore()
    page = browser.get(inbox.get_absolute_url())
    assert page.status == 200
    assert Task.objects.filter(title="In flight").count() == stored

    # The user tries again: exactly one more task, and the list works as before.
    retry = browser.post(reverse("todos:create", args=[inbox.pk]), {"title": "In flight"})
    assert retry.status == 302
    assert Task.objects.filter(title="In flight").count() == stored + 1
