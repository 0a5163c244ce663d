"""Sessions kept in a shared cache (CACHE_URL, Redis) as well as the database: a logged-in request
costs no query for its session and user, and nothing about sessions gets less safe — logging out,
a new password, a deactivation or a deleted account ends sessions at once, on every worker, and a
reader that loaded a session just before it ended cannot put it back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Session
from accounts.sessions import REVOKED, cache_entry, cache_key
from tests.support.db import db_url
from tests.support.http import session_cookies
from tests.support.live import app_serving, require_in_ci

# A database number of the tests' own on the Redis .ci/run starts: the fixture empties it.
REDIS_URL = "redis://127.0.0.1:6379/9"
LOGIN = reverse("account_login")
ACCOUNT_PAGE = reverse("account")
PASSWORD = "owner-password-123"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_cache(settings: Any) -> Iterator[Any]:
    """The settings CACHE_URL=redis://… turns on, under a key prefix of this test's own."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "todo_site.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        },
    }
    settings.SESSIONS_IN_SHARED_CACHE = True
    cache = caches["default"]
    try:
        cache.get("ping")
    except Exception:  # whatever the client raises, Redis is not there
        require_in_ci(f"Redis at {REDIS_URL} (.ci/run starts it)")
    yield cache
    cache.clear()


def _logged_in(user: User) -> Client:
    """A browser that logged in through the login form, as people do."""
    client = Client()
    response = client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def _queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_a_logged_in_page_reads_neither_session_nor_user_from_the_database(
    shared_cache, owner, inbox
):
    client = _logged_in(owner)
    queries = _queries(client, "/")
    # The lists with their counters, one page of tasks and the header's Today count.
    assert len(queries) == 3, queries
    assert not any("FROM `accounts_session`" in sql or "FROM `auth_user`" in sql for sql in queries)


@pytest.mark.parametrize("url", ["/", reverse("todos:today"), reverse("todos:upcoming")])
def test_a_kept_page_costs_one_query_the_lists(shared_cache, owner, inbox, make_task, url):
    """As the bench serves its page rows: the session and its user from the cache, the page as
    kept, under the versions of the lists its one query reads."""
    make_task(inbox, "Water the plants", due_date=timezone.localdate())
    client = _logged_in(owner)
    _queries(client, url)  # shows the login's message once: rendered, not kept
    _queries(client, url)  # rendered and kept
    queries = _queries(client, url)
    assert len(queries) == 1, queries
    assert "FROM `todos_tasklist`" in queries[0]


def test_it_caches_plain_values_and_never_the_password_hash(shared_cache, owner, inbox):
    client = _logged_in(owner)
    entry = shared_cache.get(cache_key(client.cookies["sessionid"].value))
    assert json.loads(json.dumps(entry)) == entry  # no model instance, nothing but plain values
    assert entry["user"] == {
        "id": owner.pk,
        "username": "olivia",
        "is_active": True,
        "is_staff": False,
        "is_superuser": False,
    }
    owner.refresh_from_db()
    assert owner.password not in json.dumps(entry)


def test_an_entry_another_release_left_under_its_own_prefix_is_never_read(
    shared_cache, owner, inbox
):
    client = _logged_in(owner)
    session_key = client.cookies["sessionid"].value
    # An earlier release cached sessions as (data, pickled user) under "todo.session.<key>".
    row = Session.objects.select_related("user").get(session_key=session_key)
    stale = User.objects.get(pk=owner.pk)
    stale.username = "mallory"
    shared_cache.set(f"todo.session.{session_key}", (row.get_decoded(), stale))
    assert '<span class="username">olivia</span>' in client.get("/").content.decode()


def test_a_new_secret_key_logs_out_cached_sessions_as_uncached_ones(
    shared_cache, settings, owner, inbox
):
    client = _logged_in(owner)
    assert client.get("/").status_code == 200  # from the cache
    settings.SECRET_KEY = "a-new-secret-key-that-nobody-had-before"
    assert client.get("/").status_code == 302


def test_the_admin_works_from_the_cached_user(shared_cache, owner, inbox):
    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    client = _logged_in(owner)
    assert client.get(reverse("admin:index")).status_code == 200
    page = client.get(reverse("admin:auth_user_change", args=[owner.pk]))
    assert page.status_code == 200  # every field of the user, the deferred ones loaded on use


def test_without_a_shared_cache_the_session_comes_from_the_database(owner, inbox):
    client = _logged_in(owner)
    queries = _queries(client, "/")
    assert len(queries) == 4, queries
    assert "FROM `accounts_session` LEFT OUTER JOIN `auth_user`" in queries[0], queries


def test_a_session_missing_from_the_cache_is_read_once_and_cached(shared_cache, owner, inbox):
    client = _logged_in(owner)
    shared_cache.clear()
    assert len(_queries(client, "/")) == 4
    assert len(_queries(client, "/")) == 3


def test_logging_out_ends_the_session_for_every_copy_of_its_cookie(shared_cache, owner, inbox):
    client = _logged_in(owner)
    stolen = Client()
    stolen.cookies["sessionid"] = client.cookies["sessionid"].value
    assert stolen.get("/").status_code == 200
    client.post(reverse("account_logout"))
    assert stolen.get("/").status_code == 302
    assert shared_cache.get(cache_key(client.cookies["sessionid"].value)) in (None, REVOKED)


def test_a_reader_that_loaded_the_session_before_the_logout_cannot_put_it_back(
    shared_cache, owner, inbox
):
    client = _logged_in(owner)
    session_key = client.cookies["sessionid"].value
    shared_cache.delete(cache_key(session_key))
    # A request in another worker misses the cache and reads the row...
    row = Session.objects.select_related("user").get(session_key=session_key)
    # ...the user logs out meanwhile...
    client.post(reverse("account_logout"))
    # ...and that request then fills the cache, as SessionStore.load does: refused.
    assert shared_cache.add(cache_key(session_key), cache_entry(row)) is False
    stolen = Client()
    stolen.cookies["sessionid"] = session_key
    assert stolen.get("/").status_code == 302


def _two_browsers(user: User) -> tuple[Client, Client]:
    first, second = _logged_in(user), _logged_in(user)
    assert first.get("/").status_code == second.get("/").status_code == 200
    return first, second


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(shared_cache, owner, inbox):
    here, elsewhere = _two_browsers(owner)
    new = "a-brand-new-passphrase-7"
    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


@pytest.mark.parametrize(
    "end",
    [
        pytest.param(lambda user: User.objects.get(pk=user.pk).delete(), id="account-deleted"),
        pytest.param(
            lambda user: Session.objects.filter(user=user).delete(), id="sessions-deleted"
        ),
    ],
)
def test_ending_an_account_or_its_sessions_logs_out_every_browser(
    shared_cache, owner, inbox, end: Callable[[User], Any]
):
    browsers = _two_browsers(owner)
    end(owner)
    assert [browser.get("/").status_code for browser in browsers] == [302, 302]


def test_a_deactivated_user_is_logged_out_everywhere(shared_cache, owner, inbox):
    browsers = _two_browsers(owner)
    owner.is_active = False
    owner.save()
    assert [browser.get("/").status_code for browser in browsers] == [302, 302]


def test_a_renamed_user_sees_the_new_name_at_once(shared_cache, owner, inbox):
    (browser, _other) = _two_browsers(owner)
    owner.username = "olivia-renamed"
    owner.save()
    assert '<span class="username">olivia-renamed</span>' in browser.get("/").content.decode()


def test_without_the_cache_a_logged_in_user_is_still_served_from_the_database(
    shared_cache, settings, owner, inbox
):
    client = _logged_in(owner)
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "todo_site.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    assert len(_queries(client, "/")) == 4


@pytest.mark.slow
def test_a_logout_reaches_every_worker(shared_cache, owner, inbox):
    with app_serving(db_url(), workers=3, env={"CACHE_URL": REDIS_URL}) as server:
        cookies = session_cookies(owner)
        # Several requests per worker, so every worker has the session cached.
        assert {server.client(cookies).get("/").status for _ in range(15)} == {200}
        assert server.client(cookies).post(reverse("account_logout")).status == 302
        assert {server.client(cookies).get("/").status for _ in range(15)} == {302}
        assert "Traceback" not in server.output


def test_the_users_time_zone_comes_with_the_cached_session(shared_cache, owner, inbox):
    client = _logged_in(owner)
    account_services.set_time_zone(user=owner, time_zone="Pacific/Auckland")
    entry = shared_cache.get(cache_key(client.cookies["sessionid"].value))
    assert entry["time_zone"] == "Pacific/Auckland"  # replaced when the choice was saved
    with CaptureQueriesContext(connection) as queries:
        page = client.get(ACCOUNT_PAGE).content.decode()
    assert '<option value="Pacific/Auckland" selected>' in page
    assert not any("FROM `accounts_preferences`" in query["sql"] for query in queries)
