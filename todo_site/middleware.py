from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import health

PROBES = {"/healthz": health.healthz, "/readyz": health.readyz}


def health_probes(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    """Answer /healthz and /readyz before anything else runs.

    Container and load-balancer probes call the app directly: over plain HTTP, with whatever Host
    header they use, and without cookies. So the probes skip host validation, the HTTPS redirect
    and sessions, and an operator who narrows DJANGO_ALLOWED_HOSTS keeps a healthy container.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        return probe(request) if probe else get_response(request)

    return middleware
