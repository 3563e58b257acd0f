from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.schemas.common import StrictSchema
from service.webhooks import EVENT_TYPES


class WebhookIn(StrictSchema):
    url = ma.fields.String(required=True, validate=validate.Length(min=8, max=2000))
    events = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )


class WebhookOut(ma.Schema):
    id = ma.fields.String(required=True)
    url = ma.fields.String(required=True)
    events = ma.fields.List(ma.fields.String(), required=True)
    created_at = ma.fields.DateTime(required=True)


class WebhookCreatedOut(WebhookOut):
    secret = ma.fields.String(
        required=True,
        metadata={"description": "whsec_... signing secret, shown only in this response."},
    )


class WebhookListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(WebhookOut), required=True)


class WebhookAttemptOut(ma.Schema):
    attempted_at = ma.fields.DateTime(required=True)
    status_code = ma.fields.Integer(allow_none=True, required=True)
    error = ma.fields.String(allow_none=True, required=True)
    duration_ms = ma.fields.Integer(required=True)


class WebhookDeliveryOut(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "Also the webhook-id header."})
    event_type = ma.fields.String(required=True)
    payload = ma.fields.Dict(required=True)
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf(["queued", "sending", "delivered", "failed", "cancelled"]),
    )
    attempts = ma.fields.List(ma.fields.Nested(WebhookAttemptOut), required=True)
    next_attempt_at = ma.fields.DateTime(allow_none=True, required=True)
    last_error = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.DateTime(required=True)
    delivered_at = ma.fields.DateTime(allow_none=True, required=True)


class WebhookDeliveryPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(WebhookDeliveryOut), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
