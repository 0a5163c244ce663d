from unittest import mock

import pytest
from django.db import OperationalError

from tests.support.db import db_url
from tests.support.live import app_serving
from todo_site import health


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django makes any database access in this test raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"ok\n"


def test_readyz_is_ready_when_migrated(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ready\n"


def test_readyz_is_503_while_a_migration_is_unapplied(client, db, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    with mock.patch.object(
        health.MigrationExecutor, "migration_plan", return_value=[("migration", False)]
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"unapplied migrations: 1\n"


def test_readyz_is_503_when_the_database_does_not_answer(client, db):
    with mock.patch.object(
        health.connection, "cursor", side_effect=OperationalError(2003, "refused")
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"database unavailable: OperationalError\n"


def test_health_endpoints_refuse_post(client, db):
    assert client.post("/healthz").status_code == 405


def test_probes_answer_whatever_the_host_header(client, db):
    # Probes skip ALLOWED_HOSTS: a narrowed host list must not make the container unhealthy.
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_head_like_get_without_a_body(client, db, path):
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]


def test_pages_answer_head_like_get_without_a_body(client, owner_client, db):
    assert client.head("/accounts/signup/").status_code == 200
    head = owner_client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(owner_client.get("/").content))


def test_head_on_a_post_only_action_is_still_a_405(owner_client, inbox):
    response = owner_client.head(f"/lists/{inbox.pk}/tasks/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_head_probes_through_gunicorn(django_db_setup):
    with app_serving(db_url(), workers=1) as server:
        for path in ("/healthz", "/readyz"):
            response = server.client().request("HEAD", path)
            assert response.status == 200, path
            assert response.body == b""
