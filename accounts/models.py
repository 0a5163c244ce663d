from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AddressHitQuerySet(models.QuerySet["AddressHit"]):
    def since(self, start: dt.datetime) -> AddressHitQuerySet:
        return self.filter(created__gte=start)

    def before(self, start: dt.datetime) -> AddressHitQuerySet:
        return self.filter(created__lt=start)


class AddressHit(models.Model):
    """One counted request from one client address, for the per-address limits of
    todo_site.security. Kept in the database so every worker and replica sees the same count."""

    class Scope(models.TextChoices):
        LOGIN_FAILURE = "login", _("failed login")
        SIGNUP = "signup", _("sign-up")

    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    address = models.CharField(_("client address"), max_length=45)  # IPv6 at most
    created = models.DateTimeField(_("created"), default=timezone.now)

    objects = AddressHitQuerySet.as_manager()

    class Meta:
        verbose_name = _("address hit")
        verbose_name_plural = _("address hits")
        ordering = ["-created"]
        indexes = [
            # How many hits one address has in a scope since the window started.
            models.Index(fields=["scope", "address", "created"], name="addresshit_count_idx"),
            # Pruning a scope's hits that left the window.
            models.Index(fields=["scope", "created"], name="addresshit_prune_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} from {self.address} at {self.created:%Y-%m-%d %H:%M:%S}"
