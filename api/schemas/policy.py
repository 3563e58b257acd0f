"""A member's introducer policy and reputation (separate In and Out)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import StrictSchema


class PolicyIn(StrictSchema):
    accepting_requests = ma.fields.Boolean(
        load_default=True, metadata={"description": "False pauses every new request."}
    )
    min_trust = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "Only requesters you trust at least this much may ask."},
    )
    max_requests_per_week = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "At most this many requests in any 7 days."},
    )


class PolicyOut(ma.Schema):
    member_id = ma.fields.String(required=True)
    accepting_requests = ma.fields.Boolean(required=True)
    min_trust = ma.fields.Integer(allow_none=True, required=True)
    max_requests_per_week = ma.fields.Integer(allow_none=True, required=True)
    updated_at = ma.fields.DateTime(allow_none=True, required=True)


class ReputationScoreOut(ma.Schema):
    positive = ma.fields.Integer(required=True)
    neutral = ma.fields.Integer(required=True)
    negative = ma.fields.Integer(required=True)
    rated = ma.fields.Integer(required=True)
    score = ma.fields.Float(required=True, metadata={"description": "(positive + 1) / (rated + 2)"})


class ReputationOut(ma.Schema):
    member_id = ma.fields.String(required=True)
    as_requester = ma.fields.Nested(ReputationScoreOut, required=True)
    as_introducer = ma.fields.Nested(ReputationScoreOut, required=True)
