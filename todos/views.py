"""The tasks pages. Every lookup goes through the owner's QuerySets: another user's id is a 404."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import TaskCreateForm, TaskEditForm, TaskFilterForm, TaskListForm
from .models import Task, TaskList

PAGE_SIZE = 50
# Rendering the rows is ~3/4 of the tasks page's CPU, so each rendered row is kept (in this
# process's memory, the default LocMemCache) under a hash of everything it shows: a changed task
# gets a new key, so a row is never stale and nothing needs invalidating. Rows must therefore hold
# nothing per request or per browser (no {% csrf_token %}: they submit the page's #task-actions).
ROW_CACHE_SECONDS = 3600


class AuthenticatedRequest(HttpRequest):
    """What @login_required guarantees: request.user is a real user."""

    user: User


def _owned_task(
    view: Callable[[AuthenticatedRequest, Task], HttpResponse],
) -> Callable[[AuthenticatedRequest, int], HttpResponse]:
    """Resolve task_id to the user's own task before anything else runs, the method check
    included: anyone else's task is a 404 whatever the method, never a telling 405."""

    @wraps(view)
    def wrapper(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
        tasks = Task.objects.for_user(request.user).select_related("list")
        return view(request, get_object_or_404(tasks, pk=task_id))

    return wrapper


def _owned_list(
    view: Callable[[AuthenticatedRequest, TaskList], HttpResponse],
) -> Callable[[AuthenticatedRequest, int], HttpResponse]:
    """As _owned_task, for list_id."""

    @wraps(view)
    def wrapper(request: AuthenticatedRequest, list_id: int) -> HttpResponse:
        return view(request, get_object_or_404(TaskList.objects.for_user(request.user), pk=list_id))

    return wrapper


def _wants_fragment(request: HttpRequest) -> bool:
    """app.js asks for the part of the page it swaps in rather than the whole page."""
    return request.headers.get("X-Fragment") == "1"


def _render(
    request: HttpRequest,
    template: str,
    fragment_template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """The whole page, or for app.js just its fragment: the same include serves both."""
    chosen = fragment_template if _wants_fragment(request) else template
    response = render(request, chosen, context, status=status)
    patch_vary_headers(response, ["X-Fragment"])
    return response


def _safe_next(request: HttpRequest, target: str) -> str:
    """The target if it is a URL on this site, else an empty string."""
    is_local = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if is_local else ""


def _redirect_back(request: AuthenticatedRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on (its filter and search kept), if that is a local URL."""
    return HttpResponseRedirect(_safe_next(request, request.POST.get("next", "")) or fallback)


def _list_url(task_list: TaskList, *, state: str, search: str, page: int = 1) -> str:
    """The tasks page URL for a filter, search and page; defaults are left out of the query."""
    query = {
        "filter": state if state != "all" else "",
        "q": search,
        "page": page if page > 1 else "",
    }
    encoded = urlencode({key: value for key, value in query.items() if value})
    return task_list.get_absolute_url() + (f"?{encoded}" if encoded else "")


def _row_key(task: Task, today: dt.date, back: str) -> str:
    shown = (task.pk, task.title, task.done, task.priority, task.due_date)
    page = (today, back, translation.get_language())
    digest = hashlib.blake2b(repr((shown, page)).encode(), digest_size=16).hexdigest()
    return f"todos:task-row:{digest}"


def _task_rows(tasks: list[Task], *, today: dt.date, back: str) -> SafeString:
    """The page's rows (todos/_task.html): cached ones reused, the others rendered and cached."""
    keys = [_row_key(task, today, back) for task in tasks]
    rows: dict[str, str] = cache.get_many(keys)
    template = get_template("todos/_task.html")
    missing = {
        key: template.render({"task": task, "today": today, "back": back})
        for task, key in zip(tasks, keys, strict=True)
        if key not in rows
    }
    if missing:
        cache.set_many(missing, ROW_CACHE_SECONDS)
        rows |= missing
    return mark_safe("".join(rows[key] for key in keys))  # noqa: S308 - escaped by the template


def _tasks_page(
    request: AuthenticatedRequest,
    list_id: int | None,
    *,
    create_form: TaskCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # One query for the sidebar and the current list: users have few lists.
    lists = list(TaskList.objects.for_user(request.user))
    if list_id is None:
        current = lists[0] if lists else TaskList.objects.default_for(request.user)
        lists = lists or [current]
    else:
        found = next((task_list for task_list in lists if task_list.pk == list_id), None)
        if found is None:
            raise Http404("No such list.")
        current = found

    state, search, page = TaskFilterForm(request.GET).values()
    # Only what a row shows (see _row_key): notes and timestamps stay in the database.
    tasks = (
        Task.objects.in_list(current)
        .in_state(state)
        .search(search)
        .only("id", "list_id", "title", "done", "priority", "due_date", "position")
    )
    # One row past the page tells whether there is a next page, without a COUNT(*).
    offset = (page - 1) * PAGE_SIZE
    page_tasks = list(tasks[offset : offset + PAGE_SIZE + 1])
    has_next = len(page_tasks) > PAGE_SIZE
    today = timezone.localdate()
    back = request.get_full_path()  # where each form on the page returns to

    context: dict[str, Any] = {
        "lists": lists,
        "current_list": current,
        "tasks": page_tasks[:PAGE_SIZE],
        "task_rows": _task_rows(page_tasks[:PAGE_SIZE], today=today, back=back),
        "counts": Task.objects.in_list(current).counts(),
        "filter": state,
        "filter_links": [
            {
                "key": key,
                "label": label,
                "url": _list_url(current, state=key, search=search),
                "current": key == state,
            }
            for key, label in TaskFilterForm.FILTERS.items()
        ],
        "search": search,
        "page": page,
        "has_next": has_next,
        "previous_page_url": _list_url(current, state=state, search=search, page=page - 1),
        "next_page_url": _list_url(current, state=state, search=search, page=page + 1),
        "create_form": create_form or TaskCreateForm(),
        "today": today,
        "back": back,
    }
    return _render(request, "todos/tasks.html", "todos/_tasks_fragment.html", context, status)


@login_required
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    return _tasks_page(request, None)


@login_required
@require_GET
def list_detail(request: AuthenticatedRequest, list_id: int) -> HttpResponse:
    return _tasks_page(request, list_id)


@login_required
@_owned_list
@require_POST
def task_create(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    form = TaskCreateForm(request.POST, instance=Task(list=task_list))
    if not form.is_valid():
        return _tasks_page(request, task_list.pk, create_form=form, status=400)
    with transaction.atomic():
        TaskList.objects.lock(task_list)  # adds take turns, so each gets its own position
        form.instance.position = Task.objects.in_list(task_list).next_position()
        task = form.save()
    messages.success(request, f"Added “{task.title}”.")
    # New tasks go last: show the page they land on, with the filter and search kept.
    came_from = urlsplit(_safe_next(request, request.POST.get("next", "")))
    state, search, _page = TaskFilterForm(QueryDict(came_from.query)).values()
    earlier = Task.objects.in_list(task_list).filter(position__lt=task.position).count()
    page = earlier // PAGE_SIZE + 1
    return HttpResponseRedirect(_list_url(task_list, state=state, search=search, page=page))


@login_required
@_owned_task
@require_POST
def task_toggle(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    with transaction.atomic():
        # This row only (see TaskList.objects.lock): a task cleared meanwhile is a 404, not a 500.
        locked = Task.objects.select_for_update().filter(pk=task.pk).first()
        if locked is None:
            raise Http404("No such task.")
        locked.set_done(not locked.done)
        locked.save(update_fields=["done", "completed_at", "updated_at"])
    return _redirect_back(request, task.list.get_absolute_url())


@login_required
@_owned_task
@require_POST
def task_delete(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    task.delete()
    messages.success(request, f"Deleted “{task.title}”.")
    return _redirect_back(request, task.list.get_absolute_url())


@login_required
@_owned_task
@require_http_methods(["GET", "POST"])
def task_edit(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    form = TaskEditForm(request.POST or None, instance=task)
    if request.method == "POST" and form.is_valid():
        moved = "list" in form.changed_data
        with transaction.atomic():
            # This row locked, then saved: a task deleted meanwhile is a 404, never re-inserted.
            if not Task.objects.select_for_update().filter(pk=task.pk).exists():
                raise Http404("No such task.")
            task = form.save()
        messages.success(request, f"Saved “{task.title}”.")
        # Back to the page the edit started from, unless the task now lives in another list.
        return (
            redirect(task.list) if moved else _redirect_back(request, task.list.get_absolute_url())
        )
    status = 400 if form.errors else 200
    context = {"form": form, "task": task, "next": _safe_next(request, request.GET.get("next", ""))}
    return _render(request, "todos/task_edit.html", "todos/_task_form.html", context, status)


@login_required
@_owned_list
@require_POST
def toggle_all(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    """Complete every open task; when none is open, reopen them all (as TodoMVC does)."""
    tasks = Task.objects.in_list(task_list)
    with transaction.atomic():
        TaskList.objects.lock(task_list)
        if not tasks.mark_done():
            tasks.mark_open()
    return _redirect_back(request, task_list.get_absolute_url())


@login_required
@_owned_list
@require_POST
def clear_completed(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    with transaction.atomic():
        TaskList.objects.lock(task_list)
        deleted, _per_model = Task.objects.in_list(task_list).completed().delete()
    messages.success(request, f"Cleared {deleted} completed task{'s' if deleted != 1 else ''}.")
    return _redirect_back(request, task_list.get_absolute_url())


@login_required
@require_POST
def list_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TaskListForm(request.POST, owner_id=request.user.pk)
    if form.is_valid():
        task_list = form.save()
        messages.success(request, f"Created the list “{task_list.name}”.")
        return redirect(task_list)
    for error in form["name"].errors:
        messages.error(request, str(error))
    return _redirect_back(request, reverse("todos:index"))


@login_required
@_owned_list
@require_http_methods(["GET", "POST"])
def list_edit(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    form = TaskListForm(request.POST or None, instance=task_list, owner_id=request.user.pk)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Renamed the list to “{task_list.name}”.")
        return redirect(task_list)
    status = 400 if form.errors else 200
    return render(
        request, "todos/list_edit.html", {"form": form, "task_list": task_list}, status=status
    )


@login_required
@_owned_list
@require_POST
def list_delete(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    if TaskList.objects.for_user(request.user).count() <= 1:
        messages.error(request, "You need at least one list, so the last one stays.")
        return redirect(task_list)
    task_list.delete()
    messages.success(request, f"Deleted the list “{task_list.name}” and its tasks.")
    return redirect("todos:index")
