from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import PageArgs, StrictSchema


class ContactIn(StrictSchema):
    email = ma.fields.String(required=True, validate=validate.Length(min=3, max=320))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=40))
    links = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=500)), validate=validate.Length(max=10)
    )


class ContactPatchIn(ContactIn):
    email = ma.fields.String(validate=validate.Length(min=3, max=320))


class MemberIn(StrictSchema):
    external_ref = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    headline = ma.fields.String(load_default="", validate=validate.Length(max=300))
    contact = ma.fields.Nested(ContactIn, required=True)


class MemberPatchIn(StrictSchema):
    external_ref = ma.fields.String(validate=validate.Length(min=1, max=200))
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    headline = ma.fields.String(validate=validate.Length(max=300))
    contact = ma.fields.Nested(ContactPatchIn)


class ContactOut(ma.Schema):
    email = ma.fields.String(required=True)
    phone = ma.fields.String(allow_none=True)
    links = ma.fields.List(ma.fields.String())


class MemberOut(ma.Schema):
    id = ma.fields.String(required=True)
    external_ref = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    headline = ma.fields.String(required=True)
    contact = ma.fields.Nested(
        ContactOut,
        metadata={"description": "Only for the operator, the member, or a connected counterpart."},
    )
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class MemberListArgs(PageArgs):
    external_ref = ma.fields.String(validate=validate.Length(min=1, max=200))


class MemberPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MemberOut), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class MemberSummaryOut(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    headline = ma.fields.String(required=True)
    contact = ma.fields.Nested(
        ContactOut, metadata={"description": "Only on the counterpart, once connected."}
    )


class RelationshipIn(StrictSchema):
    trust = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=5),
        metadata={
            "description": "1 met once, 2 acquainted, 3 worked together, 4 trusted, 5 would vouch"
        },
    )
    introducible = ma.fields.Boolean(load_default=True)
    context = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class RelationshipOut(ma.Schema):
    from_id = ma.fields.String(required=True)
    to_id = ma.fields.String(required=True)
    trust = ma.fields.Integer(required=True)
    introducible = ma.fields.Boolean(required=True)
    context = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class RelationshipPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RelationshipOut), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
