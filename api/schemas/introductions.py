from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import ID, PageArgs, StrictSchema
from api.schemas.members import MemberSummaryOut
from service.states import State
from service.visibility import NOT_MADE

SHOWN_STATES = [s.value for s in State] + [NOT_MADE]


class IntroductionIn(StrictSchema):
    introducer_id = ma.fields.String(required=True, validate=ID)
    target_id = ma.fields.String(required=True, validate=ID)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    blurb = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    topics = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=60)),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={
            "description": "Topic tags of the request (checked against the target's "
            "preferences; never shown to the target)."
        },
    )


class NoteIn(StrictSchema):
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class EmptyIn(StrictSchema):
    pass


class IntroductionListArgs(PageArgs):
    state = ma.fields.String(validate=validate.OneOf([s.value for s in State]))
    member_id = ma.fields.String(validate=ID)


class OptedInOut(ma.Schema):
    requester = ma.fields.Boolean()
    target = ma.fields.Boolean()


class RiskOut(ma.Schema):
    level = ma.fields.String(required=True, validate=validate.OneOf(["low", "medium", "high"]))
    score = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    reasons = ma.fields.List(ma.fields.String(), required=True)


class IntroductionOut(ma.Schema):
    id = ma.fields.String(required=True)
    state = ma.fields.String(
        required=True,
        validate=validate.OneOf(SHOWN_STATES),
        metadata={
            "description": "The requester sees `not_made` for a decline or an expiry, "
            "never who or why."
        },
    )
    your_role = ma.fields.String(allow_none=True, required=True)
    requester = ma.fields.Nested(MemberSummaryOut, required=True)
    introducer = ma.fields.Nested(MemberSummaryOut, required=True)
    target = ma.fields.Nested(MemberSummaryOut, required=True)
    reason = ma.fields.String(metadata={"description": "Not shown to the target."})
    topics = ma.fields.List(
        ma.fields.String(), metadata={"description": "Not shown to the target."}
    )
    blurb = ma.fields.String(required=True)
    introducer_note = ma.fields.String(allow_none=True, required=True)
    decline_note = ma.fields.String(
        allow_none=True, metadata={"description": "Only for the introducer."}
    )
    created_at = ma.fields.DateTime(required=True)
    consent_deadline = ma.fields.DateTime(required=True)
    opt_in_deadline = ma.fields.DateTime(allow_none=True, required=True)
    consented_at = ma.fields.DateTime(allow_none=True, required=True)
    connected_at = ma.fields.DateTime(allow_none=True, required=True)
    closed_at = ma.fields.DateTime(allow_none=True, required=True)
    opted_in = ma.fields.Nested(OptedInOut, required=True)
    risk = ma.fields.Nested(
        RiskOut,
        allow_none=True,
        metadata={
            "description": "The reputation risk of the request (service/risk.py): only for "
            "the introducer and the operator."
        },
    )


class IntroductionPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(IntroductionOut), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
