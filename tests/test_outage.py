"""A database outage under a running gunicorn (issue 6, item 9).

gunicorn (two sync workers, DEBUG off, ``CONN_MAX_AGE`` > 0 with ``CONN_HEALTH_CHECKS``) reaches
MariaDB only through ``TcpProxy``, so a test can cut the database away and bring it back without
touching the real server. ``transactional_db``: rows are committed, so gunicorn sees them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.urls import reverse

from tests.support.http import HttpClient, session_cookies
from tests.support.server import GunicornServer
from tests.support.tcp_proxy import TcpProxy
from todos.models import Task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REQUESTS_DURING_CUT = 10
INSERT_TASK = b"INSERT INTO `todos_task`"
# The whole COM_QUERY packet (length 7, sequence 0, command 3): "READ COMMITTED" must not match.
COMMIT = b"\x07\x00\x00\x00\x03COMMIT"


@pytest.fixture(autouse=True)
def _database_back_after_each_test(proxy: TcpProxy) -> Iterator[None]:
    yield
    proxy.restore()


@pytest.fixture
def browser(proxied_server: GunicornServer, owner) -> HttpClient:
    client = proxied_server.client(session_cookies(owner))
    assert client.get("/").status == 200, "the server works before the cut"
    return client


def _not_a_traceback(body: str) -> bool:
    return "Traceback" not in body and "OperationalError" not in body and "SECRET" not in body


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

    print(  # the figures for the closing note (shown with -rP)
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
