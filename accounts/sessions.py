"""Sessions in the database, each row loaded together with its user, and with a shared cache
(CACHE_URL) kept there too, so that a logged-in request costs no query before its view runs.

The session row names its user (accounts.models.Session.user): the store loads both with one
JOIN, and accounts.backends.SessionUserBackend hands that user to Django's own
``auth.get_user``, which still checks the session's auth hash and ``is_active`` as always.

With a shared cache (``SESSIONS_IN_SHARED_CACHE``), each session is also cached under its key
as plain values: its data, ``USER_FIELDS`` of its user and the session auth hash (never the
password hash, never a pickled model). The request's user is built from them without a query;
its other fields (e-mail, names, password) are deferred, loaded if a view uses them. The user's
time zone (accounts.models.Preferences) comes with them, from the same JOIN or the same entry.

The key's prefix names the layout of an entry (``ENTRY_LAYOUT`` and ``USER_FIELDS``) and the
secret key, not the build: during a rolling update, old and new replicas that cache the same
layout share entries, and so each other's logouts at once, while a release with another layout
keeps to its own prefix and never reads an entry it does not understand (a logout on one side
reaches the other side's copies only when they expire, within ``CACHE_SECONDS``: a layout
changes rarely, and only such an update has that window).

The database stays the truth, and the cache is kept from ever outliving it by one rule: a reader
that found nothing cached fills the entry with ``add`` (only if still absent), while every writer
replaces it with ``set`` after its transaction commits — the new data or user, or ``REVOKED``
when the session is deleted. So a reader that loaded a row just before a logout can never put
the logged-out session back, and a password change, a deactivation or an account deletion
reaches every one of the user's sessions on every worker and replica at once. The writers are
accounts.signals, on every save and delete of a session or a user, so the admin,
``clearsessions`` and cascades are covered as well as the store. Changes made behind the ORM's
back (SQL by hand) are seen within ``CACHE_SECONDS``, the longest an entry lives. A cache that
does not answer is skipped by readers (the database serves), while a writer's failure is an
error: a logout must not quietly leave its session cached. Without CACHE_URL sessions are read
from the database only: the ``default`` cache is then the database itself.
"""

from __future__ import annotations

import contextlib
import functools
from contextvars import ContextVar
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import SuspiciousOperation
from django.db import router
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Preferences, Session, time_zone_of

# The user whose session this request (this thread or task) loaded, or None.
loaded_user: ContextVar[Any] = ContextVar("loaded_user", default=None)

# What a request reads of its user: the id, the name every page shows, the flags that
# auth.get_user, login_required and the admin check.
USER_FIELDS = ("id", "username", "is_active", "is_staff", "is_superuser")
# What a session row is loaded with: its user, and their preferences (the time zone).
WITH_USER = ("user", "user__preferences")
# Moves on whenever cache_entry() changes the shape of an entry (USER_FIELDS count by themselves).
ENTRY_LAYOUT = 3
# The longest a cached session lives before it is read from the database again, and how long
# a deleted session's REVOKED marker outlives any reader that loaded the row before the delete.
CACHE_SECONDS = 300
REVOKED = "revoked"


def shared_cache() -> BaseCache | None:
    """The cache sessions are kept in, or None when there is no cache every worker shares."""
    return caches[settings.SESSION_CACHE_ALIAS] if settings.SESSIONS_IN_SHARED_CACHE else None


def cache_key(session_key: str) -> str:
    return _key_prefix(ENTRY_LAYOUT, USER_FIELDS, settings.SECRET_KEY) + session_key


@functools.cache
def _key_prefix(layout: int, user_fields: tuple[str, ...], secret: str) -> str:
    """The entries' prefix: their layout, and the secret key that made their auth hashes, so that
    a new key (which logs everybody out) never meets a hash made with the old one."""
    digest = salted_hmac("accounts.sessions", " ".join(user_fields), secret=secret).hexdigest()
    return f"todo.session.{layout}.{digest[:12]}."


def cache_entry(session: Session) -> dict[str, Any]:
    """What the cache keeps of a session row loaded with its user: plain values only."""
    user = session.user
    return {
        "data": SessionStore().decode(session.session_data),
        "user": None if user is None else {field: getattr(user, field) for field in USER_FIELDS},
        "auth_hash": None if user is None else user.get_session_auth_hash(),
        "time_zone": None if user is None else time_zone_of(user),
    }


def user_from(entry: dict[str, Any]) -> Any:
    """The user of a cached entry, without a query: its other fields are loaded on first use."""
    fields = entry["user"]
    if fields is None:
        return None
    model = get_user_model()
    # from_db takes the values in the order of the model's columns.
    names = [field.attname for field in model._meta.concrete_fields if field.attname in fields]
    user = model.from_db(router.db_for_read(model), names, [fields[name] for name in names])
    cached_hash = entry["auth_hash"]
    # Unsaved: it only answers time_zone_of() without a query.
    user.preferences = Preferences(user=user, time_zone=entry["time_zone"])

    def session_auth_hash() -> str:
        # The cached hash stands for the password hash until this request loads or changes it.
        if "password" in user.get_deferred_fields():
            return cast(str, cached_hash)
        return cast(str, model.get_session_auth_hash(user))

    # What auth.get_user compares the session's hash with, on every request.
    user.get_session_auth_hash = session_auth_hash  # type: ignore[method-assign]
    return user


def cache_seconds(expire_date: datetime) -> int:
    left = int((expire_date - timezone.now()).total_seconds())
    return max(0, min(left, CACHE_SECONDS))


def cache_session(session: Session) -> None:
    """Replace a session's cache entry with this row (a writer: see the module docstring)."""
    if cache := shared_cache():
        seconds = cache_seconds(session.expire_date)
        cache.set(cache_key(session.session_key), cache_entry(session), seconds)


def revoke_cached(session_key: str) -> None:
    """Mark a deleted session in the cache, so that no reader can put it back."""
    if cache := shared_cache():
        cache.set(cache_key(session_key), REVOKED, CACHE_SECONDS)


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def _get_session_from_db(self) -> Session | None:
        try:
            session = (
                Session.objects.select_related(*WITH_USER)
                .filter(session_key=self.session_key, expire_date__gt=timezone.now())
                .get()
            )
        except (Session.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None
        loaded_user.set(session.user)
        return session

    def load(self) -> dict[str, Any]:
        loaded_user.set(None)  # whatever an earlier request in this thread loaded
        cache = shared_cache()
        if cache is None or not self.session_key:
            return super().load()
        key = cache_key(self.session_key)
        try:
            entry = cache.get(key)
        except Exception:  # the cache is a copy: without it, read the database
            entry = None
        if entry == REVOKED:
            self._session_key = None
            return {}
        if entry is not None:
            loaded_user.set(user_from(entry))
            return cast(dict[str, Any], entry["data"])
        session = self._get_session_from_db()
        if session is None:
            return {}
        entry = cache_entry(session)
        with contextlib.suppress(Exception):  # the next request reads the database again
            cache.add(key, entry, cache_seconds(session.expire_date))
        return cast(dict[str, Any], entry["data"])

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast(Session, super().create_model_instance(data))
        user_id = data.get(SESSION_KEY)
        session.user_id = get_user_model()._meta.pk.to_python(user_id) if user_id else None
        return session


def recache(session_key: str) -> None:
    """The session as committed, with its user, replaces its cache entry (or REVOKED, if it is
    gone)."""
    session = Session.objects.select_related(*WITH_USER).filter(session_key=session_key).first()
    if session is None:
        revoke_cached(session_key)
    else:
        cache_session(session)
