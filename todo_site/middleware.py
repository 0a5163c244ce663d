from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.cache import has_vary_header, patch_cache_control

from accounts.models import AddressHit
from api import problems
from api.views import api

from . import errors, health, security

PROBES = {"/healthz": health.healthz, "/readyz": health.readyz}

Middleware = Callable[[HttpRequest], HttpResponse]


def http_methods(get_response: Middleware) -> Middleware:
    """HEAD answers exactly as GET would, without the body; a 405 gets our own page (the API's
    a problem, as its every error is).

    Django's ``require_GET`` refuses HEAD, which breaks probes and link checkers that use it. GET
    views are safe by contract, so running one for a HEAD changes nothing; the answer keeps the
    GET's headers (Content-Length included) and loses its body.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        response = get_response(request)
        if head:
            request.method = "HEAD"
            if not response.streaming:
                response.content = b""
        if isinstance(response, HttpResponseNotAllowed):
            methods = response["Allow"].split(", ")
            if "GET" in methods and "HEAD" not in methods:
                methods.append("HEAD")
            allowed = ", ".join(methods)
            match = request.resolver_match
            if match is not None and match.namespace == api.urls_namespace:
                refused = problems.problem_response(request, "method_not_allowed")
                refused["Allow"] = allowed
                return refused
            return errors.method_not_allowed(allowed)
        return response

    return middleware


def health_probes(get_response: Middleware) -> Middleware:
    """Answer /healthz and /readyz before anything else runs.

    Container and load-balancer probes call the app directly: over plain HTTP, with whatever Host
    header they use, and without cookies. So the probes skip host validation, the HTTPS redirect
    and sessions, and an operator who narrows DJANGO_ALLOWED_HOSTS keeps a healthy container.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        return probe(request) if probe else get_response(request)

    return middleware


def private_when_personal(get_response: Middleware) -> Middleware:
    """``Cache-Control: private`` on every answer that depends on its cookies or sets one: a
    logged-in page, a login form with its CSRF cookie, a response that starts or ends a session.

    ``Vary: Cookie`` alone lets a shared cache (a corporate proxy, a CDN) store such a page and
    hand it to whoever sends the same cookies; ``private`` keeps it in the user's own browser.
    Sits outside the session and CSRF middleware, which add the Vary header and the cookies on
    the way out; static files are answered before it and keep their public caching.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.cookies or has_vary_header(response, "Cookie"):
            patch_cache_control(response, private=True)
        return response

    return middleware


def request_body_limits(get_response: Middleware) -> Middleware:
    """Refuse a request body before anything reads it: over DJANGO_MAX_REQUEST_BODY bytes (413)
    or of unknown length (411), whatever a proxy in front may also limit.

    Django reads exactly Content-Length bytes, so capping it caps every read; a chunked body
    without one would silently read as empty, so it gets a clear 411 instead.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if refused := _body_refusal(request):
            return refused
        return get_response(request)

    return middleware


def _body_refusal(request: HttpRequest) -> HttpResponse | None:
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            return errors.error_page(411)
        return None
    if not (length.isascii() and length.isdigit()):
        return errors.error_page(400)
    if int(length) > settings.MAX_REQUEST_BODY:
        return errors.error_page(413)
    return None


def address_limits(get_response: Middleware) -> Middleware:
    """Count POSTs to the views that todo_site.security limits per client address (everything
    that checks a password or a code, sign-ups, reset requests) and answer 429 at the limit,
    before the view spends time hashing a password."""

    def middleware(request: HttpRequest) -> HttpResponse:
        limits = security.limits_for(request)
        if not limits:
            return get_response(request)
        address = security.client_ip(request)
        hits: list[AddressHit] = []
        for limit in limits:
            hit = limit.take(address)
            if hit is None:
                for taken in hits:
                    taken.delete()
                return errors.too_many_requests(message=limit.message, retry_after=limit.window)
            hits.append(hit)
        response = get_response(request)
        for limit, hit in zip(limits, hits, strict=True):
            if not limit.keeps(request, response):
                hit.delete()
        return response

    return middleware
