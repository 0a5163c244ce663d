"""Keep the shared cache's sessions (accounts.sessions) in step with the database: after a
session or a user is saved or deleted and the transaction commits, the entries it touches are
replaced, never merely dropped (see accounts.sessions for why)."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import Preferences, Session
from .sessions import WITH_USER, cache_session, recache, revoke_cached, shared_cache


@receiver(post_save, sender=Session, dispatch_uid="accounts.session_saved")
def session_saved(instance: Session, **kwargs: Any) -> None:
    if shared_cache() is not None:
        session_key = instance.session_key
        transaction.on_commit(lambda: recache(session_key))


@receiver(post_delete, sender=Session, dispatch_uid="accounts.session_deleted")
def session_deleted(instance: Session, **kwargs: Any) -> None:
    if shared_cache() is not None:
        session_key = instance.session_key
        transaction.on_commit(lambda: revoke_cached(session_key))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.user_saved")
def user_saved(instance: Any, **kwargs: Any) -> None:
    """A new password, a deactivation, a new name: every session of the user carries the
    user as saved, so ``auth.get_user`` checks its auth hash and ``is_active`` against them."""
    if shared_cache() is not None:
        user_id = instance.pk
        transaction.on_commit(lambda: _recache_sessions_of(user_id))


@receiver(post_save, sender=Preferences, dispatch_uid="accounts.preferences_saved")
def preferences_saved(instance: Preferences, **kwargs: Any) -> None:
    """A new time zone reaches the user's sessions, which carry it (accounts.sessions)."""
    if shared_cache() is not None:
        user_id = instance.user_id
        transaction.on_commit(lambda: _recache_sessions_of(user_id))


def _recache_sessions_of(user_id: Any) -> None:
    live = Session.objects.filter(user_id=user_id, expire_date__gt=timezone.now())
    for session in live.select_related(*WITH_USER):
        cache_session(session)
