"""SITE_ADDRESS: the proxy's address decides whether Django hardens itself for HTTPS."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from todo_site.settings import _site_address

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("", (None, False)),
        (":80", (None, False)),
        ("http://localhost:8000", ("localhost", False)),
        ("https://localhost", ("localhost", True)),
        ("todo.example.com", ("todo.example.com", True)),
        ("todo.example.com:8443", ("todo.example.com", True)),
        ("todo.example.com:80", ("todo.example.com", False)),
    ],
)
def test_it_reads_the_address_as_caddy_does(address, expected):
    assert _site_address(address) == expected


def _settings_with(**env: str) -> dict[str, object]:
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'HTTPS': s.HTTPS, 'BEHIND_PROXY': s.BEHIND_PROXY, 'ALLOWED_HOSTS': s.ALLOWED_HOSTS,"
        "'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE}))"
    )
    inherited = {k: v for k, v in os.environ.items() if k not in {"DJANGO_HTTPS", "SITE_ADDRESS"}}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "todo_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_an_https_site_address_turns_on_https_hardening_and_allows_its_host():
    loaded = _settings_with(SITE_ADDRESS="todo.example.com", DJANGO_DEBUG="true")
    assert loaded["HTTPS"] is True
    assert loaded["BEHIND_PROXY"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert "todo.example.com" in loaded["ALLOWED_HOSTS"]  # type: ignore[operator]


def test_no_site_address_keeps_plain_http_and_django_https_still_overrides():
    assert _settings_with(DJANGO_DEBUG="true")["HTTPS"] is False
    overridden = _settings_with(
        SITE_ADDRESS="https://localhost", DJANGO_HTTPS="false", DJANGO_DEBUG="true"
    )
    assert overridden["HTTPS"] is False
