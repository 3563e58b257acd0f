"""Pieces every resource shares: paging arguments and the problem document."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.pagination import DEFAULT_LIMIT, MAX_LIMIT

ID = validate.Length(min=1, max=64)


class StrictSchema(ma.Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE


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
