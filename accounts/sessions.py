"""Sessions in the database, each row loaded together with its user.

A logged-in request used to cost two queries before its view ran: the session row, then the
user. Here the session row names its user (accounts.models.Session.user), the store loads both
with one JOIN, and accounts.backends.SessionUserBackend hands that user to Django's own
``auth.get_user``, which still checks the session's auth hash as always. Sessions stay rows in
the database, so logging out (or an operator deleting rows) revokes them at once, on every
worker and replica.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, cast

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from .models import Session

# The user whose session this request (this thread or task) loaded, or None.
loaded_user: ContextVar[Any] = ContextVar("loaded_user", default=None)


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        loaded_user.set(None)  # a new request: nothing loaded yet

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def _get_session_from_db(self) -> Session | None:
        try:
            session = (
                Session.objects.select_related("user")
                .filter(session_key=self.session_key, expire_date__gt=timezone.now())
                .get()
            )
        except (Session.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None
        loaded_user.set(session.user)
        return session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast(Session, super().create_model_instance(data))
        user_id = data.get(SESSION_KEY)
        session.user_id = get_user_model()._meta.pk.to_python(user_id) if user_id else None
        return session
