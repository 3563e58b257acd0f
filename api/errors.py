"""Every error the service answers with, rendered as problem+json in one place."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from sqlalchemy.exc import DBAPIError, OperationalError
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
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return handle_database_unavailable(error)
    if isinstance(error, OperationalError):
        return handle_database_unavailable(error)
    return _internal(error)


def register(app: Flask) -> None:
    app.register_error_handler(domain.DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
