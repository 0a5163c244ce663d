from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.support.server import GunicornServer, database_url_for_tests, gunicorn_server
from tests.support.tcp_proxy import TcpProxy
from todos import services
from todos.models import Task, TaskList


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Unit tests render templates without running collectstatic first, so no manifest lookups.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def create_user(username: str, password: str) -> User:
    """A user with the Inbox every account starts with."""
    user = User.objects.create_user(username, password=password)
    services.create_inbox(owner=user)
    return user


@pytest.fixture
def owner(db: None) -> User:
    return create_user("olivia", "owner-password-123")


@pytest.fixture
def other_user(db: None) -> User:
    return create_user("mallory", "other-password-123")


@pytest.fixture
def inbox(owner: User) -> TaskList:
    return services.create_inbox(owner=owner)


@pytest.fixture
def other_inbox(other_user: User) -> TaskList:
    return services.create_inbox(owner=other_user)


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    def make(user: User, **kwargs: Any) -> Client:
        client = Client(**kwargs)
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
        position = Task.objects.in_list(task_list).next_position()
        return Task.objects.create(list=task_list, title=title, position=position, **fields)

    return make


@pytest.fixture(scope="module")
def proxy(django_db_setup: None) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the test database that a test can cut, hold and restore."""
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 3306)))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def proxied_server(proxy: TcpProxy) -> Iterator[GunicornServer]:
    """gunicorn serving the app against the test database through ``proxy``."""
    with gunicorn_server(database_url_for_tests(port=proxy.port), workers=2) as server:
        yield server
