"""Assertions on the one error shape (RFC 9457 problem+json), shared by the API tests."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(
    response: TestResponse, status: int, code: str | None = None, *, fields: set[str] | None = None
) -> dict[str, Any]:
    """The response is a problem+json document with this status (and code, and field errors)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert isinstance(body, dict)
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"] == f"urn:vouch:problem:{body['code']}"
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    if code is not None:
        assert body["code"] == code, body
    if fields is not None:
        assert fields <= set(body.get("errors", {})), body
    return body
