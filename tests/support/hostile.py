"""Hostile form input for the property-based tests beside each feature (hypothesis).

Random Unicode (4-byte emoji, RTL and zero-width marks, NUL bytes, 10,000-character strings,
invalid UTF-8 bytes, malformed dates and numbers, hostile ``next`` URLs) for every form. Whatever
comes in, the answer is a success or a validation error, never a 500, and stored rows change only
by a successful action, and only the rows that action is about.

Every example runs inside a savepoint that is rolled back (``rolled_back()``), so each starts
from the same data. Profiles: ``hostile`` (default, 50 examples a form) and ``hostile-deep``
(1,000), chosen with ``HYPOTHESIS_PROFILE=hostile-deep``; ``--hypothesis-show-statistics``
prints the examples run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "hostile",
    max_examples=50,
    deadline=None,  # a shared 2-core machine: never fail on time
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("hostile-deep", parent=settings.get_profile("hostile"), max_examples=1000)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))
if not PROFILE.max_examples:  # an unknown profile name in the environment
    PROFILE = settings.get_profile("hostile")

# Strategies -----------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u200f\u202eevil\u202c",  # RTL mark and override
    "\u200b\u2060\ufeff",  # zero-width space, word joiner, BOM
    "🦄",
    "👩‍👩‍👧‍👦",  # a ZWJ sequence
    "e\u0301" * 50,  # combining marks
    "\r\n\t\x0b\x0c\x1c\x85\u2028",
    "<script>alert(1)</script>",
    "' OR 1=1 -- ",
    "%s %(x)s {0} {{ x }} {% x %}",
    "\\",
    "Straße",
    "ﬁ",
    "\U0010ffff",
    "\U0001d54f" * 200,  # mathematical double-struck X, 4 bytes
    "x" * 201,
]
NASTY_DATES = [
    "2024-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-13-01",
    "2024-1-1",
    "\uff12\uff10\uff12\uff14-\uff10\uff11-\uff10\uff11",  # full-width digits
    "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661",  # Arabic-Indic digits
    "2024-01-01T00:00:00",
    "2024/01/01",
    "31.12.2024",
    "-1",
    "1e9",
    "NaN",
]
NASTY_NUMBERS = ["-1", "0", "1e3", "0x10", "٣", "²", " 1 ", "NaN", "1.5", str(2**64), str(-(2**70))]
NASTY_NEXT = [
    "//evil.example/",
    "https://evil.example/",
    "http:\\\\evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "/%0d%0aSet-Cookie:x=1",
    "/lists/1/?filter=active",
    "///evil.example",
]

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
long_text = st.builds(
    lambda seed, size: (seed * size)[:size],
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8),
    st.integers(9_990, 10_010),
)
hostile_text = st.one_of(st.sampled_from(NASTY), any_text, long_text)
# What reaches Django may not even be UTF-8: raw bytes are sent percent-encoded.
hostile_value = st.one_of(hostile_text, st.binary(max_size=200))
hostile_date = st.one_of(
    st.sampled_from(NASTY_DATES), st.dates().map(lambda day: day.isoformat()), hostile_value
)
hostile_number = st.one_of(
    st.sampled_from(NASTY_NUMBERS), st.integers(-(2**70), 2**70).map(str), hostile_value
)
hostile_next = st.one_of(st.sampled_from(NASTY_NEXT), hostile_value)
maybe = st.one_of  # readability: maybe(st.none(), x) -> field left out


def form_body(fields: dict[str, str | bytes | None]) -> str:
    return urlencode({name: value for name, value in fields.items() if value is not None})


def post_form(client: Client, url: str, fields: dict[str, Any]) -> Any:
    return client.post(url, form_body(fields), content_type="application/x-www-form-urlencoded")


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint and undo everything it stored."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _assert_local_redirect(response: Any) -> None:
    location = response["Location"]
    parts = urlsplit(location)
    # On this site: no other host, and nothing a browser would read as one ("//x", "/\\x").
    assert parts.scheme in ("", "http") and parts.netloc in ("", "testserver"), location
    assert not location.startswith(("//", "/\\", "\\")), location


def check_response(response: Any) -> None:
    assert response.status_code < 500, response.status_code
    if response.status_code in (301, 302, 303):
        _assert_local_redirect(response)
