"""Warm paths: query and answer (names only; never a trust level or a strength number)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import ID, StrictSchema
from api.schemas.members import MemberSummaryOut


class PathArgs(StrictSchema):
    to = ma.fields.String(
        required=True, validate=ID, metadata={"description": "The member you want to meet."}
    )
    limit = ma.fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class PathOut(ma.Schema):
    rank = ma.fields.Integer(required=True, metadata={"description": "1 is the warmest."})
    hops = ma.fields.Integer(
        required=True,
        validate=validate.OneOf([1, 2]),
        metadata={"description": "1: ask `via[0]`; 2: `via[0]` can introduce you to `via[1]`."},
    )
    via = ma.fields.List(ma.fields.Nested(MemberSummaryOut), required=True)


class PathsOut(ma.Schema):
    to = ma.fields.String(required=True)
    items = ma.fields.List(ma.fields.Nested(PathOut), required=True)
