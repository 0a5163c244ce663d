"""The tasks pages. Every lookup goes through the user's QuerySets (the lists they own or are a
member of): anyone else's id is a 404, and a role that may not do something is a 403."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
)
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import (
    ListCreateForm,
    MemberForm,
    ShareForm,
    TaskCreateForm,
    TaskEditForm,
    TaskFilterForm,
    TaskListForm,
)
from .models import (
    EDITING_ROLES,
    OWNER,
    Activity,
    Membership,
    Role,
    Task,
    TaskList,
    TaskState,
    role_label,
)

PAGE_SIZE = 50
# Each rendered row is kept (in this process's memory, the "rows" cache) under a hash of
# everything it shows: a changed task gets a new key, so a row is never stale and nothing needs
# invalidating. Rows must therefore hold nothing per request or per browser (no {% csrf_token %}:
# they submit the page's #task-actions).
ROW_CACHE_SECONDS = 3600
# A rendered tasks page is kept too (in this process's memory, the "pages" cache), under a hash
# of everything it shows (_page_key), the versions of its lists included: a page that changes
# gets a new key. The CSRF token differs per response, so it is filled in each time. The
# lifetime bounds how long a page could outlive a version that failed to move on.
PAGE_CACHE_SECONDS = 300
# Stands in for the CSRF token in a rendered tasks page: random per process, so no task title
# can contain it.
_TOKEN_SLOT = f"csrf-token-{secrets.token_hex(16)}"


class AuthenticatedRequest(HttpRequest):
    """What @login_required guarantees: request.user is a real user."""

    user: User


class Need(enum.Enum):
    """What a view does with a list, and so which roles may use it."""

    VIEW = "view"  # anyone who sees the list: owner, editor, viewer
    EDIT = "edit"  # change its tasks: owner or editor
    OWN = "own"  # rename, delete, share, transfer: the owner
    LEAVE = "leave"  # take oneself off: a member, never the owner

    def allows(self, role: str | None) -> bool:
        if self is Need.VIEW:
            return True
        if self is Need.EDIT:
            return role in EDITING_ROLES
        if self is Need.OWN:
            return role == OWNER
        return role != OWNER


def _forbidden(
    request: AuthenticatedRequest, task_list: TaskList, role: str | None
) -> HttpResponse:
    """A member's attempt at something their role does not allow: a 403 that says so, and
    nothing is done."""
    context = {"task_list": task_list, "role": role_label(role)}
    return render(request, "todos/forbidden.html", context, status=403)


Target = TypeVar("Target", Task, TaskList)
View = Callable[[AuthenticatedRequest, Target], HttpResponse]
Finder = Callable[[AuthenticatedRequest, int], tuple[Target, TaskList, str | None]]


def _access(
    need: Need, find: Finder[Target]
) -> Callable[[View[Target]], Callable[..., HttpResponse]]:
    """Resolve the URL's id through what the user can see before anything else runs, the method
    check included: an object in a list they are not in is a 404 whatever the method, never a
    telling 405; a role short of ``need`` is a 403."""

    def decorate(view: View[Target]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: AuthenticatedRequest, **ids: int) -> HttpResponse:
            (object_id,) = ids.values()
            found, task_list, role = find(request, object_id)
            if not need.allows(role):
                return _forbidden(request, task_list, role)
            try:
                return view(request, found)
            except ObjectDoesNotExist as exc:  # deleted by someone else since it was looked up
                raise Http404("No such list or task.") from exc

        return wrapper

    return decorate


def _find_task(request: AuthenticatedRequest, task_id: int) -> tuple[Task, TaskList, str | None]:
    tasks = Task.objects.with_role(request.user).select_related("list")
    task = get_object_or_404(tasks, pk=task_id)
    return task, task.list, task.viewer_role


def _find_list(
    request: AuthenticatedRequest, list_id: int
) -> tuple[TaskList, TaskList, str | None]:
    task_list = get_object_or_404(TaskList.objects.visible_to(request.user), pk=list_id)
    return task_list, task_list, task_list.viewer_role


def _task_view(need: Need) -> Callable[[View[Task]], Callable[..., HttpResponse]]:
    """For views of one task (task_id), see _access."""
    return _access(need, _find_task)


def _list_view(need: Need) -> Callable[[View[TaskList]], Callable[..., HttpResponse]]:
    """For views of one list (list_id), see _access."""
    return _access(need, _find_list)


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
    chosen = _page_or_fragment(request, template, fragment_template)
    return _varies_by_fragment(render(request, chosen, context, status=status))


def _page_or_fragment(request: HttpRequest, template: str, fragment_template: str) -> str:
    return fragment_template if _wants_fragment(request) else template


def _varies_by_fragment(response: HttpResponse) -> HttpResponse:
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


def _list_url(list_path: str, *, state: TaskState, search: str, page: int = 1) -> str:
    """The tasks page URL (list_path: the list's own) for a filter, search and page; defaults are
    left out of the query. The caller reverses the path once for all the URLs it needs."""
    query = {
        "filter": state.value if state != TaskState.ALL else "",
        "q": search,
        "page": page if page > 1 else "",
    }
    encoded = urlencode({key: value for key, value in query.items() if value})
    return list_path + (f"?{encoded}" if encoded else "")


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


def _page_key(
    request: AuthenticatedRequest, lists: list[TaskList], current: TaskList, today: dt.date
) -> str:
    """The tasks page's key in the pages cache: a hash of everything the page shows. The lists
    are as the page's one query read them, versions included, so any change to what the page
    shows gives it a new key."""
    user = request.user
    shown = (
        user.pk,
        user.get_username(),
        request.get_full_path(),
        _wants_fragment(request),
        today,
        timezone.get_current_timezone_name(),
        translation.get_language(),
        current.pk,
        [
            (
                *(item.pk, item.name, item.open_count, item.done_count, item.version),
                *(item.viewer_role, item.owner_id, item.owner.get_username()),
            )
            for item in lists
        ],
    )
    return f"todos:tasks-page:{hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()}"


def _tasks_page(
    request: AuthenticatedRequest,
    list_id: int | None,
    *,
    create_form: TaskCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    lists = sidebar_lists(request.user)
    if list_id is None and not lists:
        return render(request, "todos/no_lists.html", {"list_form": ListCreateForm()})
    current = next((task_list for task_list in lists if list_id in (None, task_list.pk)), None)
    if current is None:
        raise Http404("No such list.")

    # A page with messages to show (they are shown once) or a form's errors is not kept.
    keep = create_form is None and not len(messages.get_messages(request))
    today = timezone.localdate()
    key = _page_key(request, lists, current, today) if keep else None
    content = caches["pages"].get(key) if key else None
    if content is None:
        content = render_tasks_page(request, lists, current, today, create_form)
        if key:
            caches["pages"].set(key, content, PAGE_CACHE_SECONDS)
    return tasks_page_response(request, content, status)


def sidebar_lists(user: User) -> list[TaskList]:
    """One query for the sidebar, the current list and the user's role in each: users have few
    lists. Their own lists come first."""
    return sorted(TaskList.objects.visible_to(user), key=lambda item: not item.is_owned)


def tasks_page_response(request: HttpRequest, content: str, status: int = 200) -> HttpResponse:
    """A rendered tasks page, with this response's CSRF token in place of _TOKEN_SLOT."""
    response = HttpResponse(content.replace(_TOKEN_SLOT, get_token(request)), status=status)
    return _varies_by_fragment(response)


def render_tasks_page(
    request: AuthenticatedRequest,
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
                "url": _list_url(list_path, state=TaskState(key), search=search),
                "current": key == state,
            }
            for key, label in TaskState.choices
        ],
        "search": search,
        "page": page,
        "has_next": has_next,
        "previous_page_url": _list_url(list_path, state=state, search=search, page=page - 1),
        "next_page_url": _list_url(list_path, state=state, search=search, page=page + 1),
        "create_form": create_form or TaskCreateForm(),
        "list_form": ListCreateForm(),
        "today": today,
        "back": back,
        "csrf_token": _TOKEN_SLOT,
    }
    template = _page_or_fragment(request, "todos/tasks.html", "todos/_tasks_fragment.html")
    return render_to_string(template, context, request)


@login_required
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    return _tasks_page(request, None)


def _page_url(path: str, page: int) -> str:
    return path + (f"?{urlencode({'page': page})}" if page > 1 else "")


@login_required
@require_GET
def assigned(request: AuthenticatedRequest) -> HttpResponse:
    """The user's open tasks assigned to them, across every list they see, soonest due first."""
    _state, _search, page = TaskFilterForm(request.GET).values()
    tasks = Task.objects.visible_to(request.user).assigned_to(request.user).rows_with_list_name()
    offset = (page - 1) * PAGE_SIZE
    page_tasks = list(tasks[offset : offset + PAGE_SIZE + 1])
    path = reverse("todos:assigned")
    context = {
        "tasks": page_tasks[:PAGE_SIZE],
        "page": page,
        "has_next": len(page_tasks) > PAGE_SIZE,
        "previous_page_url": _page_url(path, page - 1),
        "next_page_url": _page_url(path, page + 1),
        "today": timezone.localdate(),
        "back": request.get_full_path(),
        # Only owners and editors hold assignments (services keep it so), so every row may act.
        "can_edit": True,
        "show_list": True,
    }
    return render(request, "todos/assigned.html", context)


@login_required
def list_detail(request: AuthenticatedRequest, list_id: int) -> HttpResponse:
    # As _list_view, the list is looked up before the method is checked; the GET itself looks
    # it up with the sidebar's lists, in one query.
    if request.method != "GET":
        get_object_or_404(TaskList.objects.visible_to(request.user), pk=list_id)
        return HttpResponseNotAllowed(["GET"])
    return _tasks_page(request, list_id)


@login_required
@_list_view(Need.EDIT)
@require_POST
def task_create(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    form = TaskCreateForm(request.POST)
    if not form.is_valid():
        return _tasks_page(request, task_list.pk, create_form=form, status=400)
    title = form.cleaned_data["title"]
    added = services.add_task(task_list=task_list, title=title, by=request.user)
    messages.success(request, _("Added “%(title)s”.") % {"title": added.task.title})
    # New tasks go last: show the page they land on, with the filter and search kept.
    came_from = urlsplit(_safe_next(request, request.POST.get("next", "")))
    state, search, _page = TaskFilterForm(QueryDict(came_from.query)).values()
    page = added.place // PAGE_SIZE + 1
    list_path = task_list.get_absolute_url()
    return HttpResponseRedirect(_list_url(list_path, state=state, search=search, page=page))


@login_required
@_task_view(Need.EDIT)
@require_POST
def task_toggle(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    services.toggle_task(task=task, by=request.user)
    return _redirect_back(request, task.list.get_absolute_url())


@login_required
@_task_view(Need.EDIT)
@require_POST
def task_delete(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    services.delete_task(task=task, by=request.user)
    messages.success(request, _("Deleted “%(title)s”.") % {"title": task.title})
    return _redirect_back(request, task.list.get_absolute_url())


@login_required
@_task_view(Need.EDIT)
@require_http_methods(["GET", "POST"])
def task_edit(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    form = TaskEditForm(request.POST or None, instance=task, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        moved = "list" in changes
        try:
            saved = services.edit_task(
                task=task, changes=changes, by=request.user, version=form.opened_at()
            )
        except services.EditConflict as conflict:
            return _edit_conflict(request, conflict.current, changes)
        except ValidationError as exc:  # the assignee may not hold the list's tasks (any more)
            form.add_error("assignee", exc)
        else:
            messages.success(request, _("Saved “%(title)s”.") % {"title": saved.title})
            # Back to the page the edit started from, unless the task now lives in another list.
            if moved:
                return redirect(saved.list)
            return _redirect_back(request, saved.list.get_absolute_url())
    status = 400 if form.errors else 200
    context = {"form": form, "task": task, "next": _safe_next(request, request.GET.get("next", ""))}
    return _render(request, "todos/task_edit.html", "todos/_task_form.html", context, status)


def _edit_conflict(
    request: AuthenticatedRequest, current: Task, yours: dict[str, Any]
) -> HttpResponse:
    """Someone saved the task after this edit began: nothing was saved. Show the form again at
    the saved version, say who saved it, and list what this user had entered that differs, so
    they can make their change again (409, for app.js as for the page)."""
    form = TaskEditForm(instance=current, user=request.user)
    latest = Activity.objects.filter(task_id=current.pk).select_related("actor").first()
    differing = [
        {
            "label": form.fields[field].label,
            "yours": value if value not in (None, "") else "—",
            "saved": getattr(current, field) if getattr(current, field) not in (None, "") else "—",
        }
        for field, value in yours.items()
        if value != getattr(current, field)
    ]
    context = {
        "form": form,
        "task": current,
        "next": _safe_next(request, request.POST.get("next", "")),
        "conflict": {
            "by": latest.actor_name if latest else _("Someone else"),
            "fields": differing,
        },
    }
    return _render(request, "todos/task_edit.html", "todos/_task_form.html", context, 409)


@login_required
@_list_view(Need.EDIT)
@require_POST
def toggle_all(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    services.toggle_all(task_list=task_list, by=request.user)
    return _redirect_back(request, task_list.get_absolute_url())


@login_required
@_list_view(Need.EDIT)
@require_POST
def clear_completed(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    deleted = services.clear_completed(task_list=task_list, by=request.user)
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
@_list_view(Need.OWN)
@require_http_methods(["GET", "POST"])
def list_edit(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    # No instance: the list keeps its name until the service has saved the new one.
    form = TaskListForm(request.POST or None, initial={"name": task_list.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_list(
                task_list=task_list, name=form.cleaned_data["name"], by=request.user
            )
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
@_list_view(Need.OWN)
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


@login_required
@_list_view(Need.VIEW)
@require_GET
def list_activity(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    """The list's history, newest first, a page at a time."""
    _state, _search, page = TaskFilterForm(request.GET).values()
    entries = Activity.objects.filter(task_list=task_list).select_related("actor")
    offset = (page - 1) * PAGE_SIZE
    page_entries = list(entries[offset : offset + PAGE_SIZE + 1])
    path = reverse("todos:activity", kwargs={"list_id": task_list.pk})
    context = {
        "task_list": task_list,
        "entries": page_entries[:PAGE_SIZE],
        "page": page,
        "has_next": len(page_entries) > PAGE_SIZE,
        "previous_page_url": _page_url(path, page - 1),
        "next_page_url": _page_url(path, page + 1),
    }
    return render(request, "todos/activity.html", context)


# --- sharing --------------------------------------------------------------------------------------


def _members(task_list: TaskList) -> QuerySet[Membership]:
    return task_list.memberships.select_related("user").order_by("user__username")


@login_required
@_list_view(Need.OWN)
@require_http_methods(["GET", "POST"])
def list_share(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        try:
            services.share_list(
                task_list=task_list, username=username, role=form.chosen_role(), by=request.user
            )
        except ValidationError as exc:
            form.add_error("username", exc)
        else:
            messages.success(
                request,
                _("Shared “%(name)s” with %(username)s.")
                % {"name": task_list.name, "username": username},
            )
            return redirect("todos:share", list_id=task_list.pk)
    context = {
        "form": form,
        "task_list": task_list,
        "members": _members(task_list),
        "roles": Role.choices,
    }
    return render(request, "todos/share.html", context, status=400 if form.errors else 200)


def _member_action(
    request: AuthenticatedRequest,
    task_list: TaskList,
    act: Callable[[MemberForm], str],
    *,
    with_role: bool = False,
    done: str = "",
) -> HttpResponse:
    """The sharing page's per-member buttons: check the member, act, say what happened, and go
    back to the sharing page (or to ``done`` after a success)."""
    share_page = reverse("todos:share", kwargs={"list_id": task_list.pk})
    form = MemberForm(request.POST, task_list=task_list, with_role=with_role)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return redirect(share_page)
    try:
        messages.success(request, act(form))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(share_page)
    return redirect(done or share_page)


@login_required
@_list_view(Need.OWN)
@require_POST
def member_role(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    def act(form: MemberForm) -> str:
        member, role = form.cleaned_data["member"], form.chosen_role()
        services.set_role(task_list=task_list, member=member, role=role, by=request.user)
        return _("%(username)s: %(role)s.") % {"username": member.username, "role": role.label}

    return _member_action(request, task_list, act, with_role=True)


@login_required
@_list_view(Need.OWN)
@require_POST
def member_remove(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    def act(form: MemberForm) -> str:
        member = form.cleaned_data["member"]
        services.remove_member(task_list=task_list, member=member, by=request.user)
        return _("Removed %(username)s from the list.") % {"username": member.username}

    return _member_action(request, task_list, act)


@login_required
@_list_view(Need.OWN)
@require_POST
def list_transfer(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    def act(form: MemberForm) -> str:
        member = form.cleaned_data["member"]
        services.transfer_list(task_list=task_list, to=member, by=request.user)
        return _("%(username)s now owns “%(name)s”; you can still edit it.") % {
            "username": member.username,
            "name": task_list.name,
        }

    # The sharing page is the owner's: the old owner goes back to the list itself.
    return _member_action(request, task_list, act, done=task_list.get_absolute_url())


@login_required
@_list_view(Need.LEAVE)
@require_POST
def list_leave(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    services.leave_list(task_list=task_list, member=request.user)
    messages.success(request, _("You left “%(name)s”.") % {"name": task_list.name})
    return redirect("todos:index")
