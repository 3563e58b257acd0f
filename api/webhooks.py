"""/v1/webhooks: signed event deliveries to the client app (operator only)."""

from __future__ import annotations

from typing import Any

from flask import make_response
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.idempotency import idempotent
from api.schemas.common import PageArgs
from api.schemas.introductions import EmptyIn
from api.schemas.webhooks import (
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookDeliveryPageOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
)
from service.use_cases import webhooks

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/v1/webhooks",
    description="Standard Webhooks for every state change",
)


@blp.route("")
class Webhooks(MethodView):
    @blp.response(200, WebhookListOut)
    def get(self) -> Any:
        """List the workspace's webhook endpoints."""
        return {"items": webhooks.list_endpoints(deps(), current_actor())}

    @idempotent
    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookCreatedOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Subscribe a URL to event types; the answer carries the signing secret, once."""
        return webhooks.create_endpoint(deps(), current_actor(), data["url"], data["events"])


@blp.route("/<string:endpoint_id>")
class WebhookById(MethodView):
    @blp.response(200, WebhookOut)
    def get(self, endpoint_id: str) -> Any:
        """Get a webhook endpoint."""
        return webhooks.get_endpoint(deps(), current_actor(), endpoint_id)

    @blp.response(204)
    def delete(self, endpoint_id: str) -> Any:
        """Delete a webhook endpoint; its queued deliveries are cancelled."""
        webhooks.delete_endpoint(deps(), current_actor(), endpoint_id)
        return make_response("", 204)


@blp.route("/<string:endpoint_id>/deliveries", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, WebhookDeliveryPageOut)
def deliveries(args: dict[str, Any], endpoint_id: str) -> Any:
    """The endpoint's deliveries, newest first, with every attempt."""
    page = webhooks.list_deliveries(deps(), current_actor(), endpoint_id, **args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/<string:endpoint_id>/deliveries/<string:delivery_id>/resend", methods=["POST"])
@idempotent
@blp.arguments(EmptyIn)
@blp.response(200, WebhookDeliveryOut)
def resend(_data: dict[str, Any], endpoint_id: str, delivery_id: str) -> Any:
    """Queue a delivery again, with the same webhook-id."""
    return webhooks.resend_delivery(deps(), current_actor(), endpoint_id, delivery_id)
