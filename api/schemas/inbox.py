from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import StrictSchema
from api.schemas.introductions import IntroductionOut
from service.use_cases.inbox import DEFAULT_DAYS


class InboxArgs(StrictSchema):
    days = ma.fields.Integer(
        load_default=DEFAULT_DAYS,
        validate=validate.Range(min=1, max=365),
        metadata={"description": "How far back `finished_recently` reaches, in days."},
    )


class InboxItemOut(ma.Schema):
    introduction = ma.fields.Nested(IntroductionOut, required=True)
    age_seconds = ma.fields.Integer(
        required=True, metadata={"description": "Seconds since the request was made."}
    )
    deadline = ma.fields.DateTime(
        allow_none=True,
        required=True,
        metadata={"description": "When the state shown ends if nobody acts; null once finished."},
    )
    finished_at = ma.fields.DateTime(
        allow_none=True,
        required=True,
        metadata={
            "description": "When it finished, as the member may know it (for `not_made`: the "
            "deadline of the waiting state)."
        },
    )


class InboxOut(ma.Schema):
    member_id = ma.fields.String(required=True)
    days = ma.fields.Integer(required=True)
    waiting_on_me = ma.fields.List(ma.fields.Nested(InboxItemOut), required=True)
    waiting_on_others = ma.fields.List(ma.fields.Nested(InboxItemOut), required=True)
    finished_recently = ma.fields.List(ma.fields.Nested(InboxItemOut), required=True)
