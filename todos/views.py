"""The tasks pages. Every lookup goes through the user's QuerySets (the lists they own or are a
member of): anyone else's id is a 404, and a role that may not do something is a 403. The tasks
page itself, rendered and kept, is todos.kept."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
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
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
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
    ToggleForm,
)
from .kept import (
    PAGE_SIZE,
    Days,
    days_page,
    list_url,
    page_or_fragment,
    page_url,
    tasks_page,
    varies_by_fragment,
)
from .models import (
    EDITING_ROLES,
    OWNER,
    Activity,
    Membership,
    Role,
    Task,
    TaskList,
    role_label,
)


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


def _render(
    request: HttpRequest,
    template: str,
    fragment_template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """The whole page, or for app.js just its fragment: the same include serves both."""
    chosen = page_or_fragment(request, template, fragment_template)
    return varies_by_fragment(render(request, chosen, context, status=status))


def _safe_next(request: HttpRequest, target: str) -> str:
    """The target if it is a URL on this site, else an empty string."""
    is_local = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if is_local else ""


def _redirect_back(request: AuthenticatedRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on (its filter and search kept), if that is a local URL."""
    return HttpResponseRedirect(_safe_next(request, request.POST.get("next", "")) or fallback)


@login_required
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    return tasks_page(request, None)


@login_required
@require_GET
def today(request: AuthenticatedRequest) -> HttpResponse:
    return days_page(request, Days.TODAY)


@login_required
@require_GET
def upcoming(request: AuthenticatedRequest) -> HttpResponse:
    return days_page(request, Days.UPCOMING)


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
        "previous_page_url": page_url(path, page - 1),
        "next_page_url": page_url(path, page + 1),
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
    return tasks_page(request, list_id)


@login_required
@_list_view(Need.EDIT)
@require_POST
def task_create(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    form = TaskCreateForm(request.POST)
    if not form.is_valid():
        return tasks_page(request, task_list.pk, create_form=form, status=400)
    title = form.cleaned_data["title"]
    added = services.add_task(task_list=task_list, title=title, by=request.user)
    messages.success(request, _("Added “%(title)s”.") % {"title": added.task.title})
    # New tasks go last: show the page they land on, with the filter and search kept.
    came_from = urlsplit(_safe_next(request, request.POST.get("next", "")))
    state, search, _page = TaskFilterForm(QueryDict(came_from.query)).values()
    page = added.place // PAGE_SIZE + 1
    list_path = task_list.get_absolute_url()
    return HttpResponseRedirect(list_url(list_path, state=state, search=search, page=page))


@login_required
@_task_view(Need.EDIT)
@require_POST
def task_toggle(request: AuthenticatedRequest, task: Task) -> HttpResponse:
    due_seen = ToggleForm(request.GET).due_seen()
    services.toggle_task(task=task, by=request.user, due_seen=due_seen)
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
            saved = task
            # A change of the user's own reminder alone leaves the task as it is.
            if changes or not form.reminder_changed():
                saved = services.edit_task(
                    task=task, changes=changes, by=request.user, version=form.opened_at()
                )
            if form.reminder_changed():
                services.set_reminder(
                    task=saved, user=request.user, at=form.cleaned_data["remind_me"]
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
            "label": form.label_of(field),
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
        "previous_page_url": page_url(path, page - 1),
        "next_page_url": page_url(path, page + 1),
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


def _member_form(
    request: AuthenticatedRequest,
    data: QueryDict,
    task_list: TaskList,
    *,
    with_role: bool = False,
) -> MemberForm | None:
    """The sharing page's member (and role) from ``data``; None once the user is told what was
    wrong with it."""
    form = MemberForm(data, task_list=task_list, with_role=with_role)
    if form.is_valid():
        return form
    for errors in form.errors.values():
        messages.error(request, str(errors[0]))
    return None


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
    form = _member_form(request, request.POST, task_list, with_role=with_role)
    if form is None:
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
@require_http_methods(["GET", "POST"])
def list_transfer(request: AuthenticatedRequest, task_list: TaskList) -> HttpResponse:
    """The owner cannot take a list back once it is handed away: the sharing page's button asks
    first (GET, this page), and only the button on this page transfers (POST)."""
    if request.method == "GET":
        form = _member_form(request, request.GET, task_list)
        if form is None:
            return redirect("todos:share", list_id=task_list.pk)
        context = {"task_list": task_list, "member": form.cleaned_data["member"]}
        return render(request, "todos/transfer.html", context)

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
