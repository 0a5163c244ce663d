"""A user's name shows on the rows of the tasks assigned to them, so a rename or a deletion
(which unassigns them) moves those lists' versions on once it commits (todos.services), and a
kept tasks page (todos.kept) is not shown again."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from . import services


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="todos.user_saved")
def user_saved(instance: Any, created: bool, update_fields: Any, **kwargs: Any) -> None:
    # A login saves only last_login; a new user has no assignments.
    if created or (update_fields is not None and "username" not in update_fields):
        return
    user_id = instance.pk
    transaction.on_commit(
        lambda: services.names_changed(list_ids=services.lists_assigning(user_id))
    )


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="todos.user_deleted")
def user_deleted(instance: Any, **kwargs: Any) -> None:
    # Read before the deletion unassigns the tasks.
    list_ids = services.lists_assigning(instance.pk)
    if list_ids:
        transaction.on_commit(lambda: services.names_changed(list_ids=list_ids))
