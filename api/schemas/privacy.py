from __future__ import annotations

import marshmallow as ma

from api.schemas.introductions import IntroductionOut
from api.schemas.members import ContactOut


class ExportedMemberOut(ma.Schema):
    id = ma.fields.String(required=True)
    external_ref = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    headline = ma.fields.String(required=True)
    contact = ma.fields.Nested(ContactOut, required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class OutgoingRelationshipOut(ma.Schema):
    to_id = ma.fields.String(required=True)
    trust = ma.fields.Integer(required=True)
    introducible = ma.fields.Boolean(required=True)
    context = ma.fields.String(required=True)


class IncomingRelationshipOut(ma.Schema):
    from_id = ma.fields.String(required=True)
    from_name = ma.fields.String(required=True)


class ExportedRelationshipsOut(ma.Schema):
    outgoing = ma.fields.List(ma.fields.Nested(OutgoingRelationshipOut), required=True)
    incoming = ma.fields.List(
        ma.fields.Nested(IncomingRelationshipOut),
        required=True,
        metadata={"description": "Who trusts the member; their trust levels are theirs."},
    )


class AuditEventOut(ma.Schema):
    id = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    actor = ma.fields.String(required=True)
    channel = ma.fields.String(required=True)
    introduction_id = ma.fields.String(allow_none=True, required=True)
    from_state = ma.fields.String(allow_none=True, required=True)
    to_state = ma.fields.String(allow_none=True, required=True)
    detail = ma.fields.Dict(required=True)
    created_at = ma.fields.DateTime(required=True)


class FeedbackGivenOut(ma.Schema):
    introduction_id = ma.fields.String(required=True)
    rating = ma.fields.String(required=True)
    comment = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class MemberExportOut(ma.Schema):
    feedback_given = ma.fields.List(ma.fields.Nested(FeedbackGivenOut), required=True)
    member = ma.fields.Nested(ExportedMemberOut, required=True)
    relationships = ma.fields.Nested(ExportedRelationshipsOut, required=True)
    introductions = ma.fields.List(ma.fields.Nested(IntroductionOut), required=True)
    audit_events = ma.fields.List(ma.fields.Nested(AuditEventOut), required=True)


class AuditEventPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditEventOut), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
