from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_GET

from accounts.models import time_zone_of
from todos.models import Task

from . import ical, services
from .models import Feed

# What the feed shows of a task and its list: one query loads them.
FEED_FIELDS = (
    *("id", "title", "notes", "due_date", "repeat_rule", "updated_at", "list_id"),
    *("list__id", "list__name", "list__version"),
)


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The open dated tasks of every list the feed's user can see. The token in the address is
    the only credential (calendar apps send no cookies); an unknown or reset one is a 404."""
    found = Feed.objects.for_token(token)
    if found is None:
        raise Http404
    user = found.user
    tasks = list(
        Task.objects.visible_to(user)
        .open()
        .dated()
        .select_related("list")
        .only(*FEED_FIELDS)
        .order_by("due_date", "id")
    )
    name = f"Tasks of {user.get_username()}"
    zone = time_zone_of(user)
    host = request.get_host()
    etag = ical.tasks_etag(tasks, context=(zone, name, request.build_absolute_uri("/")))
    modified = services.feed_served(feed=found, etag=etag, now=timezone.now())

    response = HttpResponse(content_type="text/calendar; charset=utf-8")
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Last-Modified"] = http_date(modified.timestamp())
    # Only its user's calendar app may keep it, and it asks again each time (a 304 is cheap).
    patch_cache_control(response, private=True, no_cache=True)
    conditional = get_conditional_response(
        request,
        etag=response.headers["ETag"],
        last_modified=int(modified.timestamp()),
        response=response,
    )
    if conditional is not None and conditional is not response:
        return conditional  # 304
    response.content = ical.calendar(
        tasks,
        name=name,
        time_zone=zone,
        host=host,
        stamp=modified,
        url_of=lambda task: request.build_absolute_uri(task.list.get_absolute_url()),
    )
    return response
