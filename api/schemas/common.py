"""Pieces every resource shares: paging arguments and the problem document."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from service.pagination import DEFAULT_LIMIT, MAX_LIMIT

ID = validate.Length(min=1, max=64)


class StrictSchema(ma.Schema):
    """Unknown fields are an error, never silently dropped; no text may hold a NUL.

    PostgreSQL cannot store NUL characters and SQLite would keep them silently,
    so they are refused here, the same on both, as a field error.
    """

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_nul(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict):
            bad = sorted(str(k) for k, v in data.items() if _holds_nul(k) or _holds_nul(v))
            if bad:
                raise ma.ValidationError({k: ["Text may not contain NUL characters."] for k in bad})
        return data


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class PageArgs(StrictSchema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}."},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=512),
        metadata={"description": "The `next_cursor` of the previous page."},
    )


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with a machine-readable `code`."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    errors = ma.fields.Dict(metadata={"description": "Messages per field"})
