"""Webhook events: what each state change publishes, and Standard Webhooks signing.

Every event is written as one `WebhookDelivery` row per subscribed endpoint, in
the transaction of the change itself, and delivered later by the worker
(`service.webhook_delivery`). Payloads are thin: ids, states and times, never a
name, a note or a contact detail; an app that wants more reads the API, where
the visibility rules apply.

Deliveries due at the same moment go out in the order their events happened;
a retried delivery may arrive after later ones, so receivers should use the
payload's `timestamp` and `state` (and deduplicate by `webhook-id`).

Signing follows Standard Webhooks 1.0: headers `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`, keyed with the base64-decoded part of a
`whsec_...` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Introduction, WebhookDelivery, WebhookEndpoint

INTRODUCTION_EVENTS = {
    "requested": "introduction.requested",
    "consent": "introduction.consented",
    "decline": "introduction.declined",
    "opt_in": "introduction.opted_in",
    "connect": "introduction.connected",
    "withdraw": "introduction.withdrawn",
    "expire": "introduction.expired",
    "feedback": "introduction.feedback",
}
MEMBER_ERASED = "member.erased"
EVENT_TYPES = sorted([*INTRODUCTION_EVENTS.values(), MEMBER_ERASED])


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def body_of(delivery: WebhookDelivery) -> str:
    """The exact bytes that are signed and sent (stable across resends)."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)


def _ordered_id() -> str:
    """Ids sort in creation order (nanoseconds first), so deliveries due at the same
    moment go out in the order their events happened."""
    return f"whd_{time.time_ns():x}{secrets.token_hex(5)}"


def publish(
    session: Session,
    workspace_id: str,
    event_type: str,
    data: dict[str, Any],
    at: datetime,
    *,
    introduction_id: str | None = None,
) -> int:
    """Queue `event_type` for every live endpoint of the workspace that wants it."""
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.deleted_at.is_(None)
        )
    ).all()
    count = 0
    for endpoint in endpoints:
        if event_type not in endpoint.events:
            continue
        delivery_id = _ordered_id()
        session.add(
            WebhookDelivery(
                id=delivery_id,
                workspace_id=workspace_id,
                endpoint_id=endpoint.id,
                event_type=event_type,
                introduction_id=introduction_id,
                payload={
                    "type": event_type,
                    "timestamp": at.isoformat(),
                    "data": data,
                },
                status="queued",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            )
        )
        count += 1
    return count


def introduction_event(
    session: Session, intro: Introduction, what: str, at: datetime, **extra: Any
) -> None:
    """Publish the event for `what` (a `notify` verb) about `intro`: ids and state only."""
    event_type = INTRODUCTION_EVENTS.get(what)
    if event_type is None:
        return
    data = {
        "introduction_id": intro.id,
        "state": intro.state,
        "requester_id": intro.requester_id,
        "introducer_id": intro.introducer_id,
        "target_id": intro.target_id,
        **extra,
    }
    publish(session, intro.workspace_id, event_type, data, at, introduction_id=intro.id)
