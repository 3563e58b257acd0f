from __future__ import annotations

import marshmallow as ma

from api.schemas.members import MemberSummaryOut


class NoGoOut(ma.Schema):
    target = ma.fields.Nested(MemberSummaryOut, required=True)
    created_at = ma.fields.DateTime(required=True)


class NoGoListOut(ma.Schema):
    member_id = ma.fields.String(required=True)
    items = ma.fields.List(ma.fields.Nested(NoGoOut), required=True)
