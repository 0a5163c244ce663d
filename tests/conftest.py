from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Before the imports below: plain asserts in the shared helpers explain their failures too.
pytest.register_assert_rewrite("tests.support")

from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from tests.support.api import Api
from tests.support.db import database_address, db_url
from tests.support.hostile import post_form
from tests.support.live import AppProcess, app_serving
from tests.support.smtp import SmtpSink
from tests.support.tcp_proxy import TcpProxy
from todos import services
from todos.models import Role, Task, TaskList


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Unit tests render templates without running collectstatic first, so no manifest lookups.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Each test's rolled-back writes can take a list back to a version it had in another test;
    # in production a version only moves on.
    caches["pages"].clear()
    # allauth's rate limits count in "default": kept in memory, they would outlive each test's
    # rolled-back transaction (a database cache's rows roll back with it).
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


def create_user(username: str, password: str) -> User:
    """A user with the Inbox every account starts with."""
    user = User(username=username)
    user.set_password(password)
    return account_services.create_account(user=user)


@pytest.fixture
def behind_tls_proxy(settings: Any) -> None:
    """The settings DJANGO_HTTPS=true turns on, for a site behind a TLS-terminating proxy."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.HTTPS = True
    settings.BEHIND_PROXY = True


@pytest.fixture
def relay(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server the app sends to, as to a relay over the network."""
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        yield sink


@pytest.fixture
def as_owner(owner: User) -> Api:
    """The owner's read-and-write API token, as a JSON client."""
    return Api(owner)


@pytest.fixture
def as_editor(editor: User) -> Api:
    return Api(editor)


@pytest.fixture
def owner(db: None) -> User:
    return create_user("olivia", "owner-password-123")


@pytest.fixture
def other_user(db: None) -> User:
    return create_user("mallory", "other-password-123")


@pytest.fixture
def editor(db: None) -> User:
    return create_user("erin", "editor-password-123")


@pytest.fixture
def viewer(db: None) -> User:
    return create_user("victor", "viewer-password-123")


@pytest.fixture
def shared(inbox: TaskList, editor: User, viewer: User) -> TaskList:
    """The owner's Inbox shared with an editor (erin) and a viewer (victor)."""
    services.share_list(task_list=inbox, username="erin", role=Role.EDITOR, by=None)
    services.share_list(task_list=inbox, username="victor", role=Role.VIEWER, by=None)
    return inbox


@pytest.fixture
def inbox(owner: User) -> TaskList:
    return services.create_inbox(owner=owner)


@pytest.fixture
def other_inbox(other_user: User) -> TaskList:
    return services.create_inbox(owner=other_user)


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def owner_client(owner: User, client_for: Callable[[User], Client]) -> Client:
    return client_for(owner)


@pytest.fixture
def make_task(db: None) -> Callable[..., Task]:
    def make(task_list: TaskList, title: str = "Buy milk", **fields: Any) -> Task:
        if fields.get("done"):
            fields.setdefault("completed_at", timezone.now())
        fields.setdefault("position", Task.objects.in_list(task_list).tally()["next_position"])
        task = Task.objects.create(list=task_list, title=title, **fields)
        services.recount_lists(list_ids=[task_list.pk])  # made directly, as test data
        return task

    return make


@pytest.fixture
def world(
    owner: User,
    other_user: User,
    inbox: TaskList,
    other_inbox: TaskList,
    make_task: Callable[..., Task],
) -> dict[str, Any]:
    """The owner's lists and tasks (one open, one done) and the other user's, all stored."""
    return {
        "list": inbox,
        "task": make_task(inbox, "Owner's secret", notes="private", priority="high"),
        "done": make_task(inbox, "Owner's done task", done=True),
        "work": TaskList.objects.create(owner=owner, name="Work"),
        "other_task": make_task(other_inbox, "Mallory's own"),
    }


@pytest.fixture
def owner_post(owner_client: Client) -> Callable[[str, dict[str, Any]], Any]:
    """POST a form as the owner, hostile values included (``tests.support.hostile``)."""

    def post(url: str, fields: dict[str, Any]) -> Any:
        # Any exception in the view fails the example (the test client re-raises it).
        return post_form(owner_client, url, fields)

    return post


@pytest.fixture(scope="module")
def proxy(django_db_setup: None) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the test database that a test can cut, hold and restore."""
    proxy = TcpProxy(database_address())
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def proxied_server(proxy: TcpProxy) -> Iterator[AppProcess]:
    """gunicorn serving the app against the test database through ``proxy``."""
    with app_serving(db_url(port=proxy.port), workers=2) as server:
        yield server
