from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import StrictSchema

TOPIC = ma.fields.String(validate=validate.Length(min=1, max=60))


class TargetPreferencesIn(StrictSchema):
    accepting_introductions = ma.fields.Boolean(load_default=True)
    max_requests = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "At most this many introductions reach me per period."},
    )
    period_days = ma.fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))
    min_trust = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "Only through introducers I trust at least this much."},
    )
    blocked_topics = ma.fields.List(
        TOPIC,
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "Topics I do not want (compared lower-cased and trimmed)."},
    )


class TargetPreferencesOut(ma.Schema):
    member_id = ma.fields.String(required=True)
    accepting_introductions = ma.fields.Boolean(required=True)
    max_requests = ma.fields.Integer(allow_none=True, required=True)
    period_days = ma.fields.Integer(required=True)
    min_trust = ma.fields.Integer(allow_none=True, required=True)
    blocked_topics = ma.fields.List(ma.fields.String(), required=True)
    updated_at = ma.fields.DateTime(allow_none=True, required=True)
