"""``{% load cached_url %}`` replaces ``{% url %}`` with one that remembers its reversals.

Django's ``reverse()`` costs about 12 µs (three language lookups, the namespace walk, the pattern
check), and the tasks page reverses a dozen URLs that are the same on every view. A URL is a pure
function of the arguments of ``_reverse``, so a remembered one is the one ``reverse()`` would
return; it holds nothing about the user. A failed reversal raises as ``{% url %}`` does. The URL's
arguments must be hashable (ids and slugs are).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=2048)
def _reverse(
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
    # Not passed to reverse(), which reads them itself: they make the key.
    urlconf: str | None,
    script_prefix: str,
    language: str | None,
) -> str:
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


@register.simple_tag(takes_context=True)
def url(context: template.Context, view_name: str, *args: Any, **kwargs: Any) -> str:
    # The namespace instance {% url %} would pass.
    request = getattr(context, "request", None)
    try:
        current_app = request.current_app  # type: ignore[union-attr]
    except AttributeError:
        current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
    return _reverse(
        view_name,
        args,
        tuple(sorted(kwargs.items())),
        current_app,
        get_urlconf(),
        get_script_prefix(),
        get_language(),
    )
