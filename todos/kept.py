"""The tasks page, rendered once and kept: what it shows, under which keys, and why a kept copy is
never stale (docs/architecture.md, "Kept pages").

A rendered page is kept in each process's memory (the "pages" cache) under a hash of everything
it shows (``_page_key``): the user and their name, the path with its query, page or fragment, the
day, time zone and language, and every list of the sidebar as the page's one lists query read it,
counters and ``TaskList.version`` included. ``todos.services`` moves a list's version on with
every write that changes what its page shows, in the same transaction, so a changed page gets a
new key and nothing is ever invalidated. A page with messages to show (they are shown once) or a
form's errors is rendered and not kept.

Each row of a rendered page (``todos/_task.html``) is kept too (the "rows" cache), under a hash of
what the page gives every row and of what the row shows (``TaskQuerySet.row_values()``), so an
unkept page renders only the rows that changed. A row must therefore hold nothing per request or
per browser: no ``{% csrf_token %}`` (rows submit the page's ``#task-actions``).

The CSRF token differs per response: a page is rendered with ``_TOKEN_SLOT`` in its place, and each
response puts in its own masked token (``respond``).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

from .forms import ListCreateForm, TaskCreateForm, TaskFilterForm
from .models import Task, TaskList, TaskState

if TYPE_CHECKING:
    from .models import AnyUser

PAGE_SIZE = 50
# A row's key changes with its content: the lifetime only frees what no page shows any more.
ROW_CACHE_SECONDS = 3600
# Bounds how long a page could outlive a version that failed to move on.
PAGE_CACHE_SECONDS = 300
# Random per process, so no task title can contain it.
_TOKEN_SLOT = f"csrf-token-{secrets.token_hex(16)}"


def wants_fragment(request: HttpRequest) -> bool:
    """app.js asks for the part of the page it swaps in rather than the whole page."""
    return request.headers.get("X-Fragment") == "1"


def page_or_fragment(request: HttpRequest, template: str, fragment_template: str) -> str:
    return fragment_template if wants_fragment(request) else template


def varies_by_fragment(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["X-Fragment"])
    return response


def list_url(list_path: str, *, state: TaskState, search: str, page: int = 1) -> str:
    """The tasks page URL (list_path: the list's own) for a filter, search and page; defaults are
    left out of the query. The caller reverses the path once for all the URLs it needs."""
    query = {
        "filter": state.value if state != TaskState.ALL else "",
        "q": search,
        "page": page if page > 1 else "",
    }
    encoded = urlencode({key: value for key, value in query.items() if value})
    return list_path + (f"?{encoded}" if encoded else "")


def page_url(path: str, page: int) -> str:
    """A page of a paged view that takes no other query (the first one has none)."""
    return path + (f"?{urlencode({'page': page})}" if page > 1 else "")


def sidebar_lists(user: AnyUser) -> list[TaskList]:
    """One query for the sidebar, the current list and the user's role in each: users have few
    lists. Their own lists come first."""
    return sorted(TaskList.objects.visible_to(user), key=lambda item: not item.is_owned)


def today_count(lists: list[TaskList], today: dt.date) -> int:
    """The header's Today count: open tasks due by ``today`` in the lists. Its own query, a range
    of one index per list, made only when a page is rendered: in the lists query, which every
    kept page runs, a count per list would read each list's open tasks whole."""
    return Task.objects.in_lists(lists).due_by(today).count()


def tasks_page(
    request: HttpRequest,
    list_id: int | None,
    *,
    create_form: TaskCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The user's tasks page for a list (their first without list_id): kept, or rendered."""
    lists = sidebar_lists(request.user)
    if list_id is None and not lists:
        return render(request, "todos/no_lists.html", {"list_form": ListCreateForm()})
    current = next((task_list for task_list in lists if list_id in (None, task_list.pk)), None)
    if current is None:
        raise Http404("No such list.")

    keep = create_form is None and not len(messages.get_messages(request))
    today = timezone.localdate()
    key = _page_key(request, lists, current, today) if keep else None
    content = _kept(key, lambda: render_page(request, lists, current, today, create_form))
    return respond(request, content, status)


def _kept(key: str | None, render: Callable[[], str]) -> str:
    """The page kept under ``key``, or rendered now (and kept, unless there is no key)."""
    content = caches["pages"].get(key) if key else None
    if content is None:
        content = render()
        if key:
            caches["pages"].set(key, content, PAGE_CACHE_SECONDS)
    return cast(str, content)


def respond(request: HttpRequest, content: str, status: int = 200) -> HttpResponse:
    """A rendered tasks page, with this response's CSRF token in place of _TOKEN_SLOT."""
    response = HttpResponse(content.replace(_TOKEN_SLOT, get_token(request)), status=status)
    return varies_by_fragment(response)


def render_page(
    request: HttpRequest,
    lists: list[TaskList],
    current: TaskList,
    today: dt.date,
    create_form: TaskCreateForm | None,
) -> str:
    """The tasks page (or app.js's fragment of it), with _TOKEN_SLOT for the CSRF token."""
    state, search, page = TaskFilterForm(request.GET).values()
    # Only what a row shows (see _row_keys): notes and timestamps stay in the database.
    tasks = Task.objects.in_list(current).in_state(state).search(search).row_values()
    # One row past the page tells whether there is a next page, without a COUNT(*).
    offset = (page - 1) * PAGE_SIZE
    page_rows = list(tasks[offset : offset + PAGE_SIZE + 1])
    has_next = len(page_rows) > PAGE_SIZE
    back = request.get_full_path()  # where each form on the page returns to
    list_path = current.get_absolute_url()

    context: dict[str, Any] = {
        "lists": lists,
        "current_list": current,
        "tasks": page_rows[:PAGE_SIZE],
        "task_rows": _task_rows(
            page_rows[:PAGE_SIZE], today=today, back=back, can_edit=current.can_edit
        ),
        "counts": current.counts,
        "filter": state,
        "filter_links": [
            {
                "key": key,
                "label": label,
                "url": list_url(list_path, state=TaskState(key), search=search),
                "current": key == state,
            }
            for key, label in TaskState.choices
        ],
        "search": search,
        "page": page,
        "has_next": has_next,
        "previous_page_url": list_url(list_path, state=state, search=search, page=page - 1),
        "next_page_url": list_url(list_path, state=state, search=search, page=page + 1),
        "create_form": create_form or TaskCreateForm(),
        "list_form": ListCreateForm(),
        "today": today,
        "today_count": today_count(lists, today),
        "back": back,
        "csrf_token": _TOKEN_SLOT,
    }
    template = page_or_fragment(request, "todos/tasks.html", "todos/_tasks_fragment.html")
    return render_to_string(template, context, request)


def _page_key(
    request: HttpRequest, lists: list[TaskList], current: TaskList | None, today: dt.date
) -> str:
    """A page's key in the pages cache (the tasks page; Today and Upcoming, which have no
    current list): a hash of everything the page shows. The lists are as the page's one query
    read them, versions included, so any change to what the page shows gives it a new key."""
    user = request.user
    shown = (
        user.pk,
        user.get_username(),
        request.get_full_path(),
        wants_fragment(request),
        today,
        timezone.get_current_timezone_name(),
        translation.get_language(),
        current.pk if current else None,
        [
            (
                *(item.pk, item.name, item.open_count, item.done_count, item.version),
                *(item.viewer_role, item.owner_id, item.owner.get_username()),
            )
            for item in lists
        ],
    )
    return f"todos:tasks-page:{hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()}"


class Days(enum.Enum):
    """The pages of tasks by due date across every list the user sees."""

    TODAY = "today"  # open tasks due today or overdue, overdue first
    UPCOMING = "upcoming"  # open tasks due after today: a group per day, then "Later"

    @property
    def title(self) -> str:
        return self.name.title()


# The Upcoming page shows the next this many days one by one, then "Later".
UPCOMING_DAYS = 14


def days_page(request: HttpRequest, days: Days) -> HttpResponse:
    """Today or Upcoming, kept as the tasks page is: under the versions of every list the user
    sees, the day and the time zone. Rendered, it costs the lists query and one page of tasks,
    however many lists, members and tasks there are."""
    lists = sidebar_lists(request.user)
    today = timezone.localdate()
    key = None if len(messages.get_messages(request)) else _page_key(request, lists, None, today)
    return respond(request, _kept(key, lambda: _render_days(request, days, lists, today)))


def _render_days(request: HttpRequest, days: Days, lists: list[TaskList], today: dt.date) -> str:
    _state, _search, page = TaskFilterForm(request.GET).values()
    tasks = Task.objects.in_lists(lists)
    tasks = tasks.due_by(today) if days is Days.TODAY else tasks.upcoming_after(today)
    offset = (page - 1) * PAGE_SIZE
    page_rows = list(tasks.row_values()[offset : offset + PAGE_SIZE + 1])
    by_id = {task_list.pk: task_list for task_list in lists}
    shown = []
    for values in page_rows[:PAGE_SIZE]:
        task = Task.from_row(values)
        task.list = by_id[task.list_id]  # the row shows its list's name; the role decides
        shown.append(task)
    path = request.path
    context: dict[str, Any] = {
        "days": days.value,
        "title": days.title,
        "groups": _day_groups(shown, today) if days is Days.UPCOMING else [(None, shown)],
        "page": page,
        "has_next": len(page_rows) > PAGE_SIZE,
        "previous_page_url": page_url(path, page - 1),
        "next_page_url": page_url(path, page + 1),
        "today": today,
        "today_count": today_count(lists, today),
        "back": request.get_full_path(),
        "show_list": True,
        "csrf_token": _TOKEN_SLOT,
    }
    template = page_or_fragment(request, "todos/days.html", "todos/_days_fragment.html")
    return render_to_string(template, context, request)


def _day_groups(tasks: list[Task], today: dt.date) -> list[tuple[dt.date | None, list[Task]]]:
    """Upcoming's tasks (soonest first) under their day for the next UPCOMING_DAYS days, and
    the rest under None ("Later")."""
    last = today + dt.timedelta(days=UPCOMING_DAYS)
    groups: list[tuple[dt.date | None, list[Task]]] = []
    for task in tasks:
        day = task.due_date if task.due_date and task.due_date <= last else None
        if not groups or groups[-1][0] != day:
            groups.append((day, []))
        groups[-1][1].append(task)
    return groups


def _row_keys(rows: list[tuple[Any, ...]], page: tuple[Any, ...]) -> list[str]:
    """Each row's cache key: a hash of what the page gives every row, then of what the row shows
    (TaskQuerySet.row_values()). The page's part is hashed once (a repr is self-delimiting, so
    the two never run together)."""
    page_digest = hashlib.blake2b(repr(page).encode(), digest_size=16)
    keys = []
    for values in rows:
        digest = page_digest.copy()
        digest.update(repr(values).encode())
        keys.append(f"todos:task-row:{digest.hexdigest()}")
    return keys


def _task_rows(
    rows: list[tuple[Any, ...]], *, today: dt.date, back: str, can_edit: bool
) -> SafeString:
    """The page's rows (todos/_task.html): cached ones reused, the others rendered and cached."""
    page = (today, back, can_edit, translation.get_language())
    keys = _row_keys(rows, page)
    cache = caches["rows"]
    cached: dict[str, str] = cache.get_many(keys)
    template = get_template("todos/_task.html")
    context = {"today": today, "back": back, "can_edit": can_edit}
    missing = {
        key: template.render({**context, "task": Task.from_row(values)})
        for values, key in zip(rows, keys, strict=True)
        if key not in cached
    }
    if missing:
        cache.set_many(missing, ROW_CACHE_SECONDS)
        cached |= missing
    return mark_safe("".join(cached[key] for key in keys))  # noqa: S308 - escaped by the template
