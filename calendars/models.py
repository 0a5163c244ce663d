"""Each user's secret calendar feed address, /calendar/<token>.ics."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from todo_site.tokens import keyed_digest


def new_seed() -> str:
    """256 random bits, from which a feed's token is derived."""
    return secrets.token_urlsafe(32)


def feed_token(seed: str) -> str:
    """The token in the feed's address: derived from the stored seed under a key from
    SECRET_KEY, so the account page can show the address again while the table alone gives no
    token (the address cannot be shown once and forgotten, as an API token is: a calendar app
    is set up with it whenever the user likes)."""
    return keyed_digest("calendars.feed.token", seed)


def token_digest(token: str) -> str:
    """What a request's token is looked up by (todo_site.tokens)."""
    return keyed_digest("calendars.feed", token)


class FeedQuerySet(models.QuerySet["Feed"]):
    def for_token(self, token: str) -> Feed | None:
        """The feed of that token, with its user and their preferences (one query), or None
        (an unknown or reset token, an inactive account)."""
        found = self.filter(digest=token_digest(token), user__is_active=True)
        return found.select_related("user", "user__preferences").first()


class Feed(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    seed = models.CharField(_("seed"), max_length=64, editable=False)
    # token_digest(feed_token(seed)): the unique index finds a request's feed.
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    # The ETag the feed last answered with, and since when it has: its Last-Modified (whole
    # seconds, as HTTP dates are; calendars.services.feed_served).
    etag = models.CharField(_("ETag"), max_length=64, blank=True, editable=False)
    modified_at = models.DateTimeField(_("modified at"), null=True, editable=False)

    objects = FeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["user_id"]

    def __str__(self) -> str:
        return f"{self.user}'s calendar feed"

    @property
    def token(self) -> str:
        return feed_token(self.seed)
