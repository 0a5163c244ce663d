"""gunicorn's access log (todo_site/gunicorn_logging.py) through a real gunicorn."""

import uuid

import pytest

from calendars import services as calendar_services
from tests.conftest import create_user
from tests.support.db import db_url
from tests.support.live import app_serving

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _serve_and_log(env: dict[str, str], forwarded_for: str) -> tuple[str, list[str]]:
    """Ask a probe and a page (from `forwarded_for`, as the proxy would say): (marker, log)."""
    marker = f"logged={uuid.uuid4().hex}"
    with app_serving(db_url(), workers=1, env=env) as server:
        client = server.client()
        assert client.get("/readyz").status == 200
        page = client.get(f"/accounts/login/?{marker}", headers={"X-Forwarded-For": forwarded_for})
        assert page.status == 200
    return marker, server.output.splitlines()


def test_each_request_is_one_line_naming_the_client_the_proxy_reported(django_db_setup):
    marker, log = _serve_and_log(
        {"DJANGO_BEHIND_PROXY": "true"}, forwarded_for="198.51.100.1, 203.0.113.9"
    )
    lines = [line for line in log if marker in line]
    assert len(lines) == 1, log
    # The right-most entry is the one the proxy appended; the rest the client may have forged.
    assert lines[0].startswith("203.0.113.9 - - ["), lines[0]
    assert f'"GET /accounts/login/?{marker} HTTP/1.1" 200 ' in lines[0]


def test_health_probes_are_left_out_unless_asked_for(django_db_setup):
    _marker, log = _serve_and_log({"DJANGO_BEHIND_PROXY": "true"}, forwarded_for="203.0.113.9")
    assert not [line for line in log if "/readyz" in line or "/healthz" in line], log
    _marker, log = _serve_and_log(
        {"DJANGO_BEHIND_PROXY": "true", "GUNICORN_LOG_PROBES": "true"}, forwarded_for="203.0.113.9"
    )
    assert [line for line in log if '"GET /readyz HTTP/1.1" 200 ' in line], log


def test_without_the_proxy_the_line_names_the_peer_not_a_forged_header(django_db_setup):
    marker, log = _serve_and_log({"DJANGO_BEHIND_PROXY": "false"}, forwarded_for="203.0.113.9")
    [line] = [line for line in log if marker in line]
    assert line.startswith("127.0.0.1 - - ["), line


def test_a_calendar_feeds_token_is_left_out(django_db_setup):
    token = calendar_services.feed_of(user=create_user("olivia", "owner-password-123")).token
    with app_serving(db_url(), workers=1, env={"DJANGO_BEHIND_PROXY": "false"}) as server:
        assert server.client().get(f"/calendar/{token}.ics").status == 200
    assert token not in server.output
    assert '"GET /calendar/<token>.ics HTTP/1.1" 200 ' in server.output, server.output
