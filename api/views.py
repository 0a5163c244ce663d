"""/api/v1/: lists, their tasks, members and activity, and the caller's assignments, as JSON.

Built on what the pages use, so the API can never do what the pages forbid: every object is
looked up through the caller's QuerySets (``visible_to``, ``with_role``: anyone else's id is a
404) and the role the pages ask for (todos.views.Need: a 403 otherwise), input is checked by the
pages' forms, and every write is a todos.services function."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt
from ninja import Query, Status

from accounts.models import time_zone_of
from reminders.models import Reminder
from todos import services
from todos.forms import (
    REMINDER_IN_THE_PAST,
    ShareForm,
    TaskCreateForm,
    TaskEditForm,
    TaskListForm,
    rule_fields,
)
from todos.models import Activity, Membership, Task, TaskList, TaskQuerySet, TaskState, role_label
from todos.repeat import Rule
from todos.views import Need

from . import problems
from .auth import BearerToken, SessionCookie
from .limits import PerCaller
from .problems import Problem, ProblemOut, ProblemsAPI
from .schemas import (
    TASK_ROW,
    ActivityOut,
    ListIn,
    ListOut,
    MemberIn,
    MemberOut,
    Page,
    ReminderIn,
    ReminderOut,
    Renderer,
    RoleIn,
    S,
    TaskIn,
    TaskOut,
    TaskPatch,
    activity_out,
    list_out,
    member_out,
    page_of,
    reminder_out,
    task_out,
    task_row_out,
)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

api = ProblemsAPI(
    title="todo",
    version="1",
    description="Lists, tasks, members and activity. Authenticate with "
    "`Authorization: Bearer <token>` (a personal access token from the account page).",
    auth=[BearerToken(), SessionCookie()],
    renderer=Renderer(),
    throttle=[PerCaller()],
    urls_namespace="api",
)
problems.install(api)

# Every error an operation may answer (ninja's codes_4xx leaves out 422).
ERRORS = {frozenset({400, 401, 403, 404, 409, 422, 429}): ProblemOut}


@csrf_exempt  # it changes nothing
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other address under /api/: a 404 problem, as every error of the API is."""
    return problems.problem_response(request, "not_found")


def _links(parameter: str, *operations: str) -> dict[str, Any]:
    """OpenAPI links from a 201's new object to the operations on it (clients and schemathesis
    follow them)."""
    links = {
        operation: {
            "operationId": f"api_views_{operation}",
            "parameters": {parameter: "$response.body#/id"},
        }
        for operation in operations
    }
    return {"responses": {201: {"links": links}}}


def _caller(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _allowed(need: Need, role: str | None) -> None:
    if not need.allows(role):
        raise Problem("forbidden", f"Your role here ({role_label(role)}) does not allow this.")


def _list(request: HttpRequest, list_id: int, need: Need) -> TaskList:
    task_list = TaskList.objects.one_visible_to(_caller(request), list_id)
    if task_list is None:
        raise Problem("not_found")
    _allowed(need, task_list.viewer_role)
    return task_list


def _task(request: HttpRequest, task_id: int, need: Need) -> Task:
    task = Task.objects.one_with_role(_caller(request), task_id)
    if task is None:
        raise Problem("not_found")
    _allowed(need, task.viewer_role)
    return task


def _valid(form: forms.BaseForm) -> dict[str, Any]:
    """The form's cleaned data, or a 422 with each error (as ninja words its own)."""
    if form.is_valid():
        return form.cleaned_data
    errors = [
        {"loc": ["body", field], "msg": " ".join(error.messages), "type": error.code}
        for field, field_errors in form.errors.as_data().items()
        for error in field_errors
    ]
    raise Problem("invalid", errors=errors)


# --- conditional GET ------------------------------------------------------------------------------


def _etag(*parts: Any) -> str:
    """A weak validator of what a response shows (weak: compression may change the bytes)."""
    digest = hashlib.sha256(json.dumps(parts, cls=DjangoJSONEncoder).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def _unchanged(request: HttpRequest, response: HttpResponse, etag: str) -> HttpResponse | None:
    """A 304 if the caller has this version already (If-None-Match); else the validator goes on
    the response. Either way, only this caller may keep it, and must ask again before reuse."""
    seen = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    for answer in (response, not_modified := HttpResponseNotModified()):
        answer["ETag"] = etag
        patch_cache_control(answer, private=True, no_cache=True)
        patch_vary_headers(answer, ["Authorization", "Cookie"])
    if "*" in seen or etag.removeprefix("W/") in seen:
        return not_modified
    return None


def _conditional(request: HttpRequest, response: HttpResponse, body: Any) -> Any:
    """The body, or a 304 if the caller has it already: for answers with no version of their
    own to key on, so the validator is the answer's own hash."""
    return _unchanged(request, response, _etag(body)) or body


def _conditional_page(
    request: HttpRequest,
    response: HttpResponse,
    model: type[S],
    items: Iterable[dict[str, Any]],
    next_cursor: str | None,
) -> Any:
    """``_conditional`` for a page of ``model``s."""
    rows = list(items)
    unchanged = _unchanged(request, response, _etag({"items": rows, "next_cursor": next_cursor}))
    return unchanged or page_of(model, rows, next_cursor)


# --- cursors --------------------------------------------------------------------------------------


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


NOT_A_CURSOR = "Not a cursor this API gave."


def _after(cursor: str, length: int) -> list[Any]:
    """The values a cursor of ``length`` values holds (the last row of the page before)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise Problem("invalid", NOT_A_CURSOR) from exc
    if not isinstance(values, list) or len(values) != length:
        raise Problem("invalid", NOT_A_CURSOR)
    return values


def _page(rows: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """The page of ``rows`` (limit + 1 were read: one more says there is a next page)."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], _cursor(key(rows[limit - 1]))


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Problem("invalid", NOT_A_CURSOR)
    return value


# --- lists ----------------------------------------------------------------------------------------


@api.get("/lists", response={200: list[ListOut], **ERRORS}, tags=["lists"])
def lists(request: HttpRequest, response: HttpResponse) -> Any:
    """The lists you own or are a member of."""
    found = TaskList.objects.visible_to(_caller(request))
    return _conditional(request, response, [list_out(task_list) for task_list in found])


@api.post(
    "/lists",
    response={201: ListOut, **ERRORS},
    tags=["lists"],
    openapi_extra=_links(
        "list_id",
        "list_detail",
        "list_rename",
        "list_delete",
        "tasks",
        "task_create",
        "members",
        "member_add",
        "activity",
    ),
)
def list_create(request: HttpRequest, body: ListIn) -> Status[dict[str, Any]]:
    name = _valid(TaskListForm({"name": body.name}))["name"]
    created = services.create_list(owner=_caller(request), name=name)
    return Status(201, list_out(_list(request, created.pk, Need.OWN)))


@api.get("/lists/{list_id}", response={200: ListOut, **ERRORS}, tags=["lists"])
def list_detail(request: HttpRequest, response: HttpResponse, list_id: int) -> Any:
    return _conditional(request, response, list_out(_list(request, list_id, Need.VIEW)))


@api.patch("/lists/{list_id}", response={200: ListOut, **ERRORS}, tags=["lists"])
def list_rename(request: HttpRequest, list_id: int, body: ListIn) -> dict[str, Any]:
    """Rename the list (its owner only)."""
    task_list = _list(request, list_id, Need.OWN)
    name = _valid(TaskListForm({"name": body.name}, instance=task_list))["name"]
    return list_out(services.rename_list(task_list=task_list, name=name, by=_caller(request)))


@api.delete("/lists/{list_id}", response={204: None, **ERRORS}, tags=["lists"])
def list_delete(request: HttpRequest, list_id: int) -> Status[None]:
    """Delete the list with its tasks (its owner only; not their last list)."""
    services.delete_list(task_list=_list(request, list_id, Need.OWN))
    return Status(204, None)


# --- tasks ----------------------------------------------------------------------------------------


@api.get("/lists/{list_id}/tasks", response={200: Page[TaskOut], **ERRORS}, tags=["tasks"])
def tasks(
    request: HttpRequest,
    response: HttpResponse,
    list_id: int,
    done: bool | None = None,
    q: str = Query("", max_length=200),
    due_before: dt.date | None = None,
    due_after: dt.date | None = None,
    assignee: str | None = Query(None, max_length=150),
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> Any:
    """The list's tasks in the list's order (its page's), ``limit`` at a time. The list's
    version moves on with every change its tasks page shows, so it validates the answer
    without reading the tasks."""
    task_list = _list(request, list_id, Need.VIEW)
    etag = _etag("tasks", task_list.pk, task_list.version, sorted(request.GET.lists()))
    if unchanged := _unchanged(request, response, etag):
        return unchanged
    found = Task.objects.in_list(task_list).search(q.strip())
    if done is not None:
        found = found.in_state(TaskState.COMPLETED if done else TaskState.ACTIVE)
    if due_before:
        found = found.due_before(due_before)
    if due_after:
        found = found.due_after(due_after)
    if assignee is not None:
        found = found.filter(assignee__username=assignee)
    if cursor:
        position, pk = (_int(value) for value in _after(cursor, 2))
        found = found.filter(Q(position__gt=position) | Q(position=position, pk__gt=pk))
    rows = list(found.order_by("position", "pk").values(*TASK_ROW)[: limit + 1])
    page, next_cursor = _page(rows, limit, lambda row: [row["position"], row["id"]])
    return page_of(TaskOut, map(task_row_out, page), next_cursor)


@api.post(
    "/lists/{list_id}/tasks",
    response={201: TaskOut, **ERRORS},
    tags=["tasks"],
    openapi_extra=_links(
        "task_id", "task_detail", "task_update", "task_delete", "task_complete", "task_reopen"
    ),
)
def task_create(request: HttpRequest, list_id: int, body: TaskIn) -> Status[dict[str, Any]]:
    """A new open task at the end of the list."""
    task_list = _list(request, list_id, Need.EDIT)
    title = _valid(TaskCreateForm({"title": body.title}))["title"]
    added = services.add_task(task_list=task_list, title=title, by=_caller(request))
    return Status(201, task_out(added.task))


@api.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, tags=["tasks"])
def task_detail(request: HttpRequest, response: HttpResponse, task_id: int) -> Any:
    return _conditional(request, response, task_out(_task(request, task_id, Need.VIEW)))


def _rule_fields(text: str) -> dict[str, Any]:
    """The edit form's fields for a repeat rule (its parts, as the page's controls send them)."""
    if not text:
        return {"repeat": ""}
    try:
        return rule_fields(Rule.parse(text))
    except ValidationError as exc:
        raise Problem("invalid", " ".join(exc.messages)) from exc


def _edit_data(task: Task, sent: dict[str, Any]) -> dict[str, Any]:
    """The edit form's data: the task as it is, with what was sent over it."""
    data = {
        "title": task.title,
        "notes": task.notes,
        "due_date": task.due_date,
        "priority": task.priority,
        "list": task.list_id,
        "assignee": task.assignee_id,
        "repeat_from_completion": task.repeat_from_completion,
        **_rule_fields(sent.pop("repeat_rule", task.repeat_rule) or ""),
    }
    for field, value in sent.items():
        data["list" if field == "list_id" else field] = value
    if sent.get("assignee") is not None:
        users = get_user_model().objects.filter(username=sent["assignee"])
        data["assignee"] = users.values_list("pk", flat=True).first()
        if data["assignee"] is None:
            raise Problem("invalid", f"No user is called “{sent['assignee']}”.")
    return {field: "" if value is None else value for field, value in data.items()}


@api.patch("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, tags=["tasks"])
def task_update(request: HttpRequest, task_id: int, body: TaskPatch) -> dict[str, Any]:
    """Change the fields sent; with ``version``, a 409 (and no change) if the task was saved
    since that version."""
    task = _task(request, task_id, Need.EDIT)
    sent = body.model_dump(exclude_unset=True)
    form = TaskEditForm(_edit_data(task, sent), instance=task, user=_caller(request))
    _valid(form)
    edited = services.edit_task(
        task=task, changes=form.changes(), by=_caller(request), version=form.opened_at()
    )
    return task_out(edited)


@api.delete("/tasks/{task_id}", response={204: None, **ERRORS}, tags=["tasks"])
def task_delete(request: HttpRequest, task_id: int) -> Status[None]:
    services.delete_task(task=_task(request, task_id, Need.EDIT), by=_caller(request))
    return Status(204, None)


def _set_done(request: HttpRequest, task_id: int, done: bool) -> dict[str, Any]:
    task = _task(request, task_id, Need.EDIT)
    changed = services.toggle_task(task=task, by=_caller(request), done=done)
    changed.assignee = task.assignee
    return task_out(changed)


@api.post("/tasks/{task_id}/complete", response={200: TaskOut, **ERRORS}, tags=["tasks"])
def task_complete(request: HttpRequest, task_id: int) -> dict[str, Any]:
    """Mark the task done (a done task stays as it is)."""
    return _set_done(request, task_id, done=True)


@api.post("/tasks/{task_id}/reopen", response={200: TaskOut, **ERRORS}, tags=["tasks"])
def task_reopen(request: HttpRequest, task_id: int) -> dict[str, Any]:
    """Mark the task open again (an open task stays as it is)."""
    return _set_done(request, task_id, done=False)


@api.get("/assigned", response={200: Page[TaskOut], **ERRORS}, tags=["tasks"])
def assigned(
    request: HttpRequest,
    response: HttpResponse,
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    """Your open tasks in every list you are in, soonest due first (none last)."""
    user = _caller(request)
    found = Task.objects.visible_to(user).assigned_to(user)
    if cursor:
        due, position, pk = _after(cursor, 3)
        after = Q(position__gt=_int(position)) | Q(position=position, pk__gt=_int(pk))
        if due is None:
            found = found.filter(after, due_date__isnull=True)
        else:
            try:
                day = dt.date.fromisoformat(due)
            except (TypeError, ValueError) as exc:
                raise Problem("invalid", NOT_A_CURSOR) from exc
            found = found.filter(
                Q(due_date__gt=day) | Q(due_date__isnull=True) | (Q(due_date=day) & after)
            )
    rows = list(found.select_related("assignee")[: limit + 1])

    def key(task: Task) -> list[Any]:
        return [task.due_date.isoformat() if task.due_date else None, task.position, task.pk]

    page, next_cursor = _page(rows, limit, key)
    return _conditional_page(request, response, TaskOut, map(task_out, page), next_cursor)


def _by_due_date(
    found: TaskQuerySet, cursor: str | None, limit: int
) -> tuple[list[Task], str | None]:
    """A page of dated tasks in due date order (then the lists' order)."""
    if cursor:
        due, position, pk = _after(cursor, 3)
        try:
            day = dt.date.fromisoformat(due)
        except (TypeError, ValueError) as exc:
            raise Problem("invalid", NOT_A_CURSOR) from exc
        after = Q(position__gt=_int(position)) | Q(position=position, pk__gt=_int(pk))
        found = found.filter(Q(due_date__gt=day) | (Q(due_date=day) & after))
    rows = list(found.select_related("assignee")[: limit + 1])
    return _page(rows, limit, lambda task: [task.due_date.isoformat(), task.position, task.pk])


def _today(user: User) -> dt.date:
    """Today in the caller's time zone (a token's request has no session to set it)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(time_zone_of(user)))


@api.get("/today", response={200: Page[TaskOut], **ERRORS}, tags=["planning"])
def today(
    request: HttpRequest,
    response: HttpResponse,
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    """Your open tasks due today (in your time zone) or overdue, in every list you can see,
    oldest due first: the Today page."""
    user = _caller(request)
    found = Task.objects.visible_to(user).due_by(_today(user))
    page, next_cursor = _by_due_date(found, cursor, limit)
    return _conditional_page(request, response, TaskOut, map(task_out, page), next_cursor)


@api.get("/upcoming", response={200: Page[TaskOut], **ERRORS}, tags=["planning"])
def upcoming(
    request: HttpRequest,
    response: HttpResponse,
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    """Your open tasks due after today, in every list you can see, soonest first: the Upcoming
    page (which shows the next 14 days by date, then the rest as "Later")."""
    user = _caller(request)
    found = Task.objects.visible_to(user).upcoming_after(_today(user))
    page, next_cursor = _by_due_date(found, cursor, limit)
    return _conditional_page(request, response, TaskOut, map(task_out, page), next_cursor)


@api.get("/tasks/{task_id}/reminder", response={200: ReminderOut, **ERRORS}, tags=["planning"])
def reminder(request: HttpRequest, response: HttpResponse, task_id: int) -> Any:
    """Your own reminder of the task (each member who may edit it has theirs); nulls if none."""
    task = _task(request, task_id, Need.EDIT)
    found = Reminder.objects.filter(task=task, user=_caller(request)).first()
    return _conditional(request, response, reminder_out(found))


@api.put("/tasks/{task_id}/reminder", response={200: ReminderOut, **ERRORS}, tags=["planning"])
def reminder_set(request: HttpRequest, task_id: int, body: ReminderIn) -> dict[str, Any]:
    """Set your reminder of the task: a mail at that time (sent by the worker)."""
    task = _task(request, task_id, Need.EDIT)
    if body.remind_at <= timezone.now():
        raise Problem("invalid", str(REMINDER_IN_THE_PAST))
    saved = services.set_reminder(task=task, user=_caller(request), at=body.remind_at)
    return reminder_out(saved)


@api.delete("/tasks/{task_id}/reminder", response={204: None, **ERRORS}, tags=["planning"])
def reminder_delete(request: HttpRequest, task_id: int) -> Status[None]:
    """Remove your reminder of the task (none is not an error)."""
    task = _task(request, task_id, Need.EDIT)
    services.set_reminder(task=task, user=_caller(request), at=None)
    return Status(204, None)


# --- members --------------------------------------------------------------------------------------


def _member(task_list: TaskList, username: str) -> Membership:
    members = task_list.memberships.select_related("user")
    membership = members.filter(user__username=username).first()
    if membership is None:
        raise Problem("not_found", f"{username} is not a member of this list.")
    return membership


@api.get("/lists/{list_id}/members", response={200: list[MemberOut], **ERRORS}, tags=["members"])
def members(request: HttpRequest, response: HttpResponse, list_id: int) -> Any:
    """The list's members (its owner is the list's ``owner``)."""
    task_list = _list(request, list_id, Need.VIEW)
    found = task_list.memberships.select_related("user").order_by("user__username")
    return _conditional(request, response, [member_out(membership) for membership in found])


@api.post("/lists/{list_id}/members", response={201: MemberOut, **ERRORS}, tags=["members"])
def member_add(request: HttpRequest, list_id: int, body: MemberIn) -> Status[dict[str, Any]]:
    """Share the list with a user (its owner only)."""
    task_list = _list(request, list_id, Need.OWN)
    form = ShareForm({"username": body.username, "role": body.role})
    username = _valid(form)["username"]
    membership = services.share_list(
        task_list=task_list, username=username, role=form.chosen_role(), by=_caller(request)
    )
    return Status(201, member_out(Membership.objects.select_related("user").get(pk=membership.pk)))


@api.patch(
    "/lists/{list_id}/members/{username}", response={200: MemberOut, **ERRORS}, tags=["members"]
)
def member_role(request: HttpRequest, list_id: int, username: str, body: RoleIn) -> dict[str, Any]:
    """Change a member's role (the list's owner only)."""
    task_list = _list(request, list_id, Need.OWN)
    member = _member(task_list, username).user
    changed = services.set_role(
        task_list=task_list, member=member, role=body.role, by=_caller(request)
    )
    changed.user = member
    return member_out(changed)


@api.delete("/lists/{list_id}/members/{username}", response={204: None, **ERRORS}, tags=["members"])
def member_remove(request: HttpRequest, list_id: int, username: str) -> Status[None]:
    """Take a member off the list (its owner only)."""
    task_list = _list(request, list_id, Need.OWN)
    member = _member(task_list, username).user
    services.remove_member(task_list=task_list, member=member, by=_caller(request))
    return Status(204, None)


@api.post("/lists/{list_id}/leave", response={204: None, **ERRORS}, tags=["members"])
def list_leave(request: HttpRequest, list_id: int) -> Status[None]:
    """Take yourself off a list someone else owns."""
    task_list = _list(request, list_id, Need.LEAVE)
    services.leave_list(task_list=task_list, member=_caller(request))
    return Status(204, None)


# --- activity -------------------------------------------------------------------------------------


@api.get(
    "/lists/{list_id}/activity", response={200: Page[ActivityOut], **ERRORS}, tags=["activity"]
)
def activity(
    request: HttpRequest,
    response: HttpResponse,
    list_id: int,
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    """The list's history, newest first."""
    task_list = _list(request, list_id, Need.VIEW)
    entries = Activity.objects.filter(task_list=task_list).select_related("actor")
    if cursor:
        entries = entries.filter(pk__lt=_int(_after(cursor, 1)[0]))
    page, next_cursor = _page(list(entries[: limit + 1]), limit, lambda entry: [entry.pk])
    return _conditional_page(request, response, ActivityOut, map(activity_out, page), next_cursor)
