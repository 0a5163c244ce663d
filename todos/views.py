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
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import ListCreateForm, TaskCreateForm, TaskEditForm, TaskFilterForm, TaskListForm
from .models import ROW_FIELDS, Task, TaskList, TaskState

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
        task = get_object_or_404(tasks, pk=task_id)
        try:
            return view(request, task)
        except ObjectDoesNotExist as exc:  # deleted by someone else since it was looked up
            raise Http404("No such task.") from exc

    return wrapper


def _owned_list(
    view: Callable[[AuthenticatedRequest, TaskList], HttpResponse],
) -> Callable[[AuthenticatedRequest, int], HttpResponse]:
    """As _owned_task, for list_id."""

    @wraps(view)
    def wrapper(request: AuthenticatedRequest, list_id: int) -> HttpResponse:
        task_list = get_object_or_404(TaskList.objects.for_user(request.user), pk=list_id)
        try:
            return view(request, task_list)
        except ObjectDoesNotExist as exc:  # deleted by someone else since it was looked up
            raise Http404("No such list.") from exc

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


def _list_url(task_list: TaskList, *, state: TaskState, search: str, page: int = 1) -> str:
    """The tasks page URL for a filter, search and page; defaults are left out of the query."""
    query = {
        "filter": state.value if state != TaskState.ALL else "",
        "q": search,
        "page": page if page > 1 else "",
    }
    encoded = urlencode({key: value for key, value in query.items() if value})
    return task_list.get_absolute_url() + (f"?{encoded}" if encoded else "")


def _row_key(task: Task, today: dt.date, back: str) -> str:
    shown = tuple(getattr(task, field) for field in ROW_FIELDS)
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
    if list_id is None and not lists:
        return render(request, "todos/no_lists.html", {"list_form": ListCreateForm()})
    current = next((task_list for task_list in lists if list_id in (None, task_list.pk)), None)
    if current is None:
        raise Http404("No such list.")

    state, search, page = TaskFilterForm(request.GET).values()
    # Only what a row shows (see _row_key): notes and timestamps stay in the database.
    tasks = Task.objects.in_list(current).in_state(state).search(search).only(*ROW_FIELDS)
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
        "counts": current.counts,
        "filter": state,
        "filter_links": [
            {
                "key": key,
                "label": label,
                "url": _list_url(current, state=TaskState(key), search=search),
                "current": key == state,
            }
            for key, label in TaskState.choices
        ],
        "search": search,
        "page": page,
        "has_next": has_next,
        "previous_page_url": _list_url(current, state=state, search=search, page=page - 1),
        "next_page_url": _list_url(current, state=state, search=search, page=page + 1),
        "create_form": create_form or TaskCreateForm(),
        "list_form": ListCreateForm(),
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
    form = TaskCreateForm(request.POST)
    if not form.is_valid():
        return _tasks_page(request, task_list.pk, create_form=form, status=400)
    task = services.add_task(task_list=task_list, title=form.cleaned_data["title"])
    messages.success(request, _("Added “%(title)s”.") % {"title": task.title})
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
    services.toggle_task(task=task)
    return _redirect_back(request, task.list.get_absolute_url())


@login_required
@_owned_task
@require_POST
def task_delete(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    services.delete_task(task=task)
    messages.success(request, _("Deleted “%(title)s”.") % {"title": task.title})
    return _redirect_back(request, task.list.get_absolute_url())


@login_required
@_owned_task
@require_http_methods(["GET", "POST"])
def task_edit(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    form = TaskEditForm(request.POST or None, instance=task)
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        moved = "list" in changes
        task = services.edit_task(task=task, changes=changes)
        messages.success(request, _("Saved “%(title)s”.") % {"title": task.title})
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
    services.toggle_all(task_list=task_list)
    return _redirect_back(request, task_list.get_absolute_url())


@login_required
@_owned_list
@require_POST
def clear_completed(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    deleted = services.clear_completed(task_list=task_list)
    message = ngettext(
        "Cleared %(count)d completed task.", "Cleared %(count)d completed tasks.", deleted
    )
    messages.success(request, message % {"count": deleted})
    return _redirect_back(request, task_list.get_absolute_url())


@login_required
@require_POST
def list_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ListCreateForm(request.POST)
    if form.is_valid():
        try:
            task_list = services.create_list(owner=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("Created the list “%(name)s”.") % {"name": task_list.name})
            return redirect(task_list)
    for error in form["name"].errors:
        messages.error(request, str(error))
    return _redirect_back(request, reverse("todos:index"))


@login_required
@_owned_list
@require_http_methods(["GET", "POST"])
def list_edit(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    # No instance: the list keeps its name until the service has saved the new one.
    form = TaskListForm(request.POST or None, initial={"name": task_list.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_list(task_list=task_list, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(
                request, _("Renamed the list to “%(name)s”.") % {"name": task_list.name}
            )
            return redirect(task_list)
    status = 400 if form.errors else 200
    return render(
        request, "todos/list_edit.html", {"form": form, "task_list": task_list}, status=status
    )


@login_required
@_owned_list
@require_POST
def list_delete(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    try:
        services.delete_list(task_list=task_list)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(task_list)
    messages.success(
        request, _("Deleted the list “%(name)s” and its tasks.") % {"name": task_list.name}
    )
    return redirect("todos:index")
