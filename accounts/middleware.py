from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import time_zone_of


def user_time_zone(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    """Each logged-in request runs in its user's time zone: "today", due dates and every time a
    page shows. The zone comes with the session's user (accounts.sessions), so it costs no
    query; a request without a session cookie is not made to look for one."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            timezone.activate(time_zone_of(request.user))
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware
