"""One error model: services raise `AppError`s; handlers here render every error as
RFC 9457 `application/problem+json`, including validation, routing and unhandled errors."""

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from services.api.context import request_id_var
from shared.schemas.common import PROBLEM_BASE, FieldError, Problem

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None,
                 errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class Gone(AppError):
    status, slug, title = 410, "gone", "Gone"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    slug, title = "invalid-transition", "Transition not allowed"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "Resource changed since you read it"


class PreconditionRequired(AppError):
    status, slug, title = 428, "precondition-required", "If-Match header required"


class Unprocessable(AppError):
    """A well-formed request that breaks a rule (unknown reference, reversed range, ...)."""

    status, slug, title = 422, "unprocessable", "Request breaks a rule"


def problem_response(status: int, slug: str, title: str, detail: str, request: Request | None,
                     *, headers: dict[str, str] | None = None,
                     errors: list[FieldError] | None = None) -> JSONResponse:
    body = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        request_id=request_id_var.get(),
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=headers,
        media_type=PROBLEM_JSON,
    )


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def field_errors(raw: list[dict[str, Any]]) -> list[FieldError]:
    return [
        FieldError(
            field=".".join(str(p) for p in e["loc"]),
            pointer=_pointer(tuple(e["loc"])),
            message=e["msg"],
            type=e["type"],
        )
        for e in raw
    ]


STATUS_TITLES = {
    400: ("bad-request", "Bad request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc.status, exc.slug, exc.title, exc.detail, request,
                                headers=exc.headers, errors=exc.errors)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = list(exc.errors())
        if any(e["type"] == "json_invalid" for e in raw):
            return problem_response(400, "malformed-json", "Malformed JSON",
                                    "The request body is not valid JSON.", request)
        if any(e["type"] == "missing" and tuple(e["loc"]) == ("header", "if-match")
               for e in raw):
            return problem_response(
                PreconditionRequired.status, PreconditionRequired.slug,
                PreconditionRequired.title, "Send the ETag you last read in If-Match, so a "
                "concurrent change is not overwritten.", request)
        errors = field_errors(raw)
        fields = ", ".join(sorted({e.field for e in errors}))
        return problem_response(422, "validation", "Invalid request",
                                f"{len(errors)} invalid field(s): {fields}.", request,
                                errors=errors)

    @app.exception_handler(StaleDataError)
    async def stale_data(request: Request, exc: StaleDataError) -> JSONResponse:
        # Two writers read the same version and the other one committed first (the
        # `WHERE version = :old` of Versioned matched no row): theirs stands. A write sent with
        # If-Match lost on a stale ETag, so it gets the 412 a later write would; a state change
        # without one (a triage) lost to a change of state: 409.
        if request.headers.get("if-match") is not None:
            return problem_response(412, PreconditionFailed.slug, PreconditionFailed.title,
                                    "Someone changed this resource at the same moment; read "
                                    "it again and retry.", request)
        return problem_response(409, "conflict", "Conflict",
                                "Someone changed this resource at the same moment; read it "
                                "again and retry.", request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = STATUS_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {request.method} {request.url.path}."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem_response(exc.status_code, slug, title, detail, request, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path: Starlette's 405 names only the first
    route that matched the path, and GET and POST on a collection are two routes."""
    return sorted({method for route in _routes(request.app.router.routes) if route.methods
                   and route.matches(request.scope)[0] != Match.NONE
                   for method in route.methods})


def _routes(routes: Iterable[Any]) -> Iterator[Route]:
    # FastAPI wraps each included router; the app includes them without a prefix of its own,
    # so the wrapped routes carry their full paths.
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)


def internal_error_response() -> JSONResponse:
    return problem_response(500, "internal", "Internal server error",
                            "Something went wrong on our side; it was logged with the "
                            "request id.", None)


# The problems an operation can answer, as the OpenAPI document describes them.
PROBLEM_STATUSES = {
    400: "Malformed JSON (or nested over 32 levels), a malformed header, or a cursor this API "
         "did not issue",
    401: "Missing, unknown or revoked API key",
    403: "The key's role or scope does not allow this",
    404: "Not found",
    405: "Method not allowed on this path",
    409: "Conflicts with the current state, or the same Idempotency-Key is still running",
    410: "Gone",
    412: "If-Match does not match the current ETag",
    413: "Body too large, or more rows than an import takes",
    415: "Unsupported media type",
    422: "Invalid field values or a broken rule",
    428: "If-Match is required",
    429: "Too many requests",
    500: "Unexpected error (logged with the request id)",
    503: "Not ready: the database is unreachable or its migrations are not current",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems an operation can return; the document
    turns each into a shared `#/components/responses/...` entry."""
    return {
        s: {"model": Problem, "description": PROBLEM_STATUSES[s],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for s in statuses
    }
