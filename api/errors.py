"""Every error the service answers with, rendered as problem+json in one place."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from api.problems import problem
from service import errors as domain

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[domain.DomainError], int]] = [
    (domain.NotFound, 404),
    (domain.Unauthenticated, 401),
    (domain.Forbidden, 403),
    (domain.RuleViolation, 422),
    (domain.InvalidInput, 422),
    (domain.Conflict, 409),
    (domain.BadRequest, 400),
]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def handle_domain_error(error: domain.DomainError) -> Response:
    status = next((s for cls, s in STATUS_BY_ERROR if isinstance(error, cls)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(
        status, error.code, error.title, error.detail, errors=error.errors, headers=headers
    )


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return _internal(error)
    data: dict[str, Any] = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    code = HTTP_CODES.get(status, "http_error")
    detail = error.description or error.name
    if errors and status == 400 and "json" in errors:
        code, detail = "malformed_json", "The request body is not valid JSON."
    elif errors:
        detail = "Some fields are missing or invalid; see `errors`."
        errors = _flatten_locations(errors)
    if status == 429:
        # The description is the limit ("600 per 1 minute"); api.rate_limits
        # passes Retry-After in `data`.
        detail = f"Too many requests for this API key ({detail}); retry after Retry-After seconds."
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problem(status, code, error.name, str(detail), errors=errors, headers=headers)


def _flatten_locations(errors: dict[str, Any]) -> dict[str, Any]:
    """webargs keys errors by location ({'json': {...}}); clients want field names."""
    flat: dict[str, Any] = {}
    for location, fields in errors.items():
        if isinstance(fields, dict):
            for field, messages in fields.items():
                key = field if location == "json" else f"{location}.{field}"
                flat[key] = messages
        else:
            flat[location] = fields
    return flat


def handle_database_unavailable(error: DBAPIError) -> Response:
    log.warning("database unavailable: %s", type(error.orig).__name__)
    return problem(
        503,
        "service_unavailable",
        "Service unavailable",
        "The database is not reachable right now; nothing was changed. Retry shortly.",
        headers={"Retry-After": "5"},
    )


def _internal(error: BaseException) -> Response:
    log.error("unhandled error", exc_info=error)
    return problem(
        500,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; nothing was lost.",
    )


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, RecursionError) and request.is_json:
        # json.loads gives up on very deep nesting with RecursionError, which
        # the argument parser does not treat as bad JSON; it is the client's.
        return problem(
            400,
            "malformed_json",
            "Bad Request",
            "The request body is nested too deeply to be read as JSON.",
        )
    if isinstance(error, DataError):
        # The database refused a value it cannot store or compare (a NUL in a
        # path id on PostgreSQL, a number out of range): the input's fault.
        return problem(
            400,
            "unstorable_value",
            "Bad request",
            "A value in this request cannot be stored or looked up (for example a NUL "
            "character or an out-of-range number).",
        )
    if isinstance(error, DBAPIError) and _database_unavailable(error):
        return handle_database_unavailable(error)
    return _internal(error)


# What an OperationalError says when the database is out of reach or busy, as
# opposed to a schema or deployment bug ("no such column"), which stays a 500.
UNAVAILABLE_HINTS = (
    "connect",
    "connection",
    "server closed",
    "terminating",
    "shutting down",
    "database is locked",
    "unable to open database",
    "disk i/o",
    "timeout",
    "timed out",
)


def _database_unavailable(error: DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    message = str(error.orig).lower()
    return any(hint in message for hint in UNAVAILABLE_HINTS)


def register(app: Flask) -> None:
    app.register_error_handler(domain.DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
