"""Error pages, and a database outage under a running gunicorn.

The pages: our 404, a 500 without a traceback, a friendly 503 when the database fails. The
outage: gunicorn (two sync workers, DEBUG off, ``CONN_MAX_AGE`` > 0 with ``CONN_HEALTH_CHECKS``)
reaches MariaDB only through ``TcpProxy``, so a test can cut the database away and bring it back
without touching the real server; those tests commit their rows (``transaction=True``), so
gunicorn sees them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.support.http import HttpClient, session_cookies
from tests.support.live import AppProcess
from tests.support.tcp_proxy import TcpProxy
from todos.models import Task


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
