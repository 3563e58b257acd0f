"""Feedback on an introduction (separate In and Out)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import StrictSchema
from service.reputation import RATINGS


class FeedbackIn(StrictSchema):
    rating = ma.fields.String(required=True, validate=validate.OneOf(RATINGS))
    comment = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Private: seen by you and the operator only."},
    )


class FeedbackOut(ma.Schema):
    introduction_id = ma.fields.String(required=True)
    author_id = ma.fields.String(required=True)
    author_role = ma.fields.String(required=True, validate=validate.OneOf(["requester", "target"]))
    rating = ma.fields.String(required=True, validate=validate.OneOf(RATINGS))
    comment = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class FeedbackListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FeedbackOut), required=True)
