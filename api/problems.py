"""Every error of the API as an RFC 9457 problem (``application/problem+json``): one handler
turns each exception the API can meet into one, with a ``type`` that names its cause and never
changes (``urn:todo:problem:<code>``, the codes listed in README.md, "API")."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from todo_site.uploads import FileUploadRefused
from todos.services import EditConflict

from .schemas import task_out, to_json

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:todo:problem:"

# code -> (status, title): the title is the same for every problem of that code.
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad_request": (400, "The request could not be read"),
    "unauthenticated": (401, "Authentication required"),
    "unsupported_media_type": (415, "This address takes no file uploads"),
    "invalid_token": (401, "Invalid, expired or revoked token"),
    "read_only_token": (403, "The token may only read"),
    "csrf_failed": (403, "CSRF check failed"),
    "forbidden": (403, "Your role in this list does not allow this"),
    "not_found": (404, "No such list, task or member"),
    "method_not_allowed": (405, "This address does not take this method"),
    "edit_conflict": (409, "The task was changed since the given version"),
    "conflict": (409, "This conflicts with what is stored"),
    "invalid": (422, "The request is not valid"),
    "rate_limited": (429, "Too many requests"),
    "server_error": (500, "Server error"),
}
# A service's ValidationError about stored data rather than the request: a 409.
CONFLICT_CODES = {"duplicate", "last_list", "owner", "already_member"}


class Problem(Exception):
    """Raise to answer with the problem of that code."""

    def __init__(self, code: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or PROBLEMS[code][1])
        self.code, self.detail, self.extra = code, detail, extra


class ProblemOut(Schema):
    """What every error response holds (RFC 9457), plus ``errors`` for invalid requests."""

    type: str
    title: str
    status: int
    detail: str | None = None


def problem_response(
    request: HttpRequest, code: str, detail: str = "", **extra: Any
) -> HttpResponse:
    status, title = PROBLEMS[code]
    body = {"type": TYPE_PREFIX + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body |= extra
    response = HttpResponse(to_json(body), status=status, content_type=CONTENT_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _messages(error: DjangoValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def handle(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
    """The one exception handler of the API."""
    if isinstance(exc, Problem):
        return problem_response(request, exc.code, exc.detail, **exc.extra)
    if isinstance(exc, EditConflict):
        return problem_response(request, "edit_conflict", current=task_out(exc.current))
    if isinstance(exc, NinjaValidationError):
        return problem_response(request, "invalid", errors=exc.errors)
    if isinstance(exc, DjangoValidationError):
        code = "conflict" if exc.code in CONFLICT_CODES else "invalid"
        return problem_response(request, code, " ".join(_messages(exc)), reason=exc.code)
    if isinstance(exc, AuthenticationError):
        return problem_response(request, "unauthenticated")
    if isinstance(exc, Throttled):
        return problem_response(request, "rate_limited")
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return problem_response(request, "not_found")
    if isinstance(exc, PermissionDenied):
        return problem_response(request, "forbidden")
    if isinstance(exc, FileUploadRefused):
        return problem_response(request, "unsupported_media_type")
    # As Django answers them: a 400. RawPostDataException: a body whose multipart parse failed
    # (in the CSRF check) leaves nothing for the schema to read.
    if isinstance(
        exc, BadRequest | SuspiciousOperation | MultiPartParserError | RawPostDataException
    ):
        return problem_response(request, "bad_request")
    if isinstance(exc, HttpError):
        # ninja's own refusals (a body that is not JSON): the first code of that status.
        statuses = (
            code for code, (status, _title) in PROBLEMS.items() if status == exc.status_code
        )
        code = next(statuses, "bad_request")
        return problem_response(request, code, str(exc))
    logger.exception("API error")  # called inside the except block that caught it
    return problem_response(request, "server_error")


# ninja looks a handler up by the exception's class first: each must be named, or ninja's own
# handler for it would answer.
HANDLED: tuple[type[Exception], ...] = (
    Problem,
    EditConflict,
    NinjaValidationError,
    DjangoValidationError,
    AuthenticationError,
    Throttled,
    HttpError,
    Http404,
    ObjectDoesNotExist,
    PermissionDenied,
    Exception,
)


class ProblemsAPI(NinjaAPI):
    """ninja's API, whose OpenAPI document says errors are problem details: ninja documents
    every response as application/json."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for path in schema["paths"].values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[CONTENT_TYPE] = content.pop("application/json")
        return schema


def install(api: NinjaAPI) -> None:
    """Route every exception through ``handle``."""
    for exc_class in HANDLED:
        api.add_exception_handler(exc_class, handle)
