"""The floor rows: what a request costs before the tasks page does its own work.

Each view stops one layer further along the tasks page's way, so the bench's table splits the
page's cost: the middleware alone, then the logged-in user (session and user), then the page's
other queries (the lists with their counters, one page of tasks) without any rendering. The app's
routes come first and resolve exactly as in production.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from todos.models import Task, TaskList
from todos.views import PAGE_SIZE


def anonymous(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@login_required
def logged_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@login_required
def page_queries(request: HttpRequest) -> HttpResponse:
    lists = list(TaskList.objects.visible_to(request.user))
    tasks = list(Task.objects.in_list(lists[0]).row_values()[: PAGE_SIZE + 1])
    return HttpResponse(f"ok {len(lists)} {len(tasks)}")


urlpatterns = [
    path("", include("todo_site.urls")),
    path("floor/anonymous/", anonymous),
    path("floor/logged-in/", logged_in),
    path("floor/page-queries/", page_queries),
]
