"""Writes to calendar feeds, one statement each."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser

from .models import Feed, feed_token, new_seed, token_digest


def _new_address() -> dict[str, object]:
    seed = new_seed()
    return {"seed": seed, "digest": token_digest(feed_token(seed)), "etag": "", "modified_at": None}


def feed_of(*, user: AbstractBaseUser) -> Feed:
    """The user's feed, made the first time it is needed (of two requests racing to make it,
    the unique user column lets one win and the other reads it)."""
    feed, _created = Feed.objects.get_or_create(user_id=user.pk, defaults=_new_address())
    return feed


def reset_feed(*, user: AbstractBaseUser) -> Feed:
    """A new address for the user's feed; the old one answers 404 from now on."""
    feed, _created = Feed.objects.update_or_create(user_id=user.pk, defaults=_new_address())
    return feed


def feed_served(*, feed: Feed, etag: str, now: dt.datetime) -> dt.datetime:
    """The feed's Last-Modified for an answer with ``etag``: unchanged while the ETag is, else
    this second, and always later than the one before. Clients compare If-Modified-Since in
    whole seconds, so a change within the second of the last one is dated a second on (the
    second it was served must not match a client's copy from earlier in that second)."""
    if feed.etag == etag and feed.modified_at is not None:
        return feed.modified_at
    modified = now.replace(microsecond=0)
    if feed.modified_at is not None and modified <= feed.modified_at:
        modified = feed.modified_at + dt.timedelta(seconds=1)
    # Of requests racing past the check, the first UPDATE wins; the others' dates are the same
    # second, or a second on.
    Feed.objects.filter(pk=feed.pk, etag=feed.etag).update(etag=etag, modified_at=modified)
    feed.etag, feed.modified_at = etag, modified
    return modified
