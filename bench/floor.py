"""The floor rows: what a request costs before the tasks page, or a write, does its own work.

Each view stops one layer further along the tasks page's way, so the bench's table splits the
page's cost: the middleware alone, then the logged-in user (session and user), then the page's
other queries (the lists with their counters, one page of tasks) without any rendering. The write
floors do the same for a POST: the middleware with its CSRF check and the logged-in user, then
the transaction every write is built on (lock the list's row, update it), each answered with a
redirect as the writes are. The "unkept" view is the tasks page as it is rendered when no kept
page matches it, as after every write to its lists: the view's own rendering, with the rows from
the row cache. The app's routes come first and resolve exactly as in production.
"""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from todos.kept import PAGE_SIZE, render_page, respond, sidebar_lists, today_count
from todos.models import Task, TaskList


def anonymous(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@login_required
def logged_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@login_required
def page_queries(request: HttpRequest) -> HttpResponse:
    lists = sidebar_lists(request.user)
    tasks = list(Task.objects.in_list(lists[0]).row_values()[: PAGE_SIZE + 1])
    due = today_count(lists, timezone.localdate())
    return HttpResponse(f"ok {len(lists)} {len(tasks)} {due}")


@login_required
@require_POST
def post(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("/")


@login_required
@require_POST
def write(request: HttpRequest, list_id: int) -> HttpResponse:
    with transaction.atomic():
        TaskList.objects.locked(list_id)
        TaskList.objects.filter(pk=list_id).update(open_count=F("open_count"))
    return HttpResponseRedirect("/")


@login_required
def unkept(request: HttpRequest) -> HttpResponse:
    lists = sidebar_lists(request.user)
    return respond(request, render_page(request, lists, lists[0], timezone.localdate(), None))


urlpatterns = [
    path("", include("todo_site.urls")),
    path("floor/anonymous/", anonymous),
    path("floor/logged-in/", logged_in),
    path("floor/page-queries/", page_queries),
    path("floor/unkept/", unkept),
    path("floor/post/", post),
    path("floor/write/<int:list_id>/", write),
]
