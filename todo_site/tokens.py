"""What is stored of a secret that is sent on every request (an API token, a calendar feed's
token): an HMAC-SHA256 under a key derived from SECRET_KEY."""

from __future__ import annotations

from django.utils.crypto import salted_hmac


def keyed_digest(purpose: str, secret: str) -> str:
    """The secret's HMAC under a key derived from SECRET_KEY and ``purpose`` (so one kind of
    secret's digest never matches another's). A secret of 256 random bits needs no slow password
    hash: this costs a request microseconds, not ~100 ms, and without the key a copy of the table
    says nothing."""
    return salted_hmac(purpose, secret, algorithm="sha256").hexdigest()
