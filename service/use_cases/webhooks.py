"""Webhook endpoints (operator only): create, list, delete, see deliveries, resend."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.actors import Actor
from service.deps import Deps
from service.errors import Forbidden, InvalidInput, NotFound
from service.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, new_id
from service.pagination import Page, page_from_rows, paginate
from service.webhooks import EVENT_TYPES, new_secret


def _operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise Forbidden("Only the workspace operator manages webhooks.", code="operator_only")


def _endpoint_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "created_at": endpoint.created_at,
    }


def _get(session: Session, actor: Actor, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.workspace_id != actor.workspace_id or endpoint.deleted_at:
        raise NotFound(f"No webhook endpoint {endpoint_id!r}.", code="webhook_not_found")
    return endpoint


def create_endpoint(deps: Deps, actor: Actor, url: str, events: list[str]) -> dict[str, Any]:
    """Subscribe `url` to `events`; the signing secret is in this answer only."""
    _operator(actor)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput("The URL must be http(s).", errors={"url": ["Not an http(s) URL."]})
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        raise InvalidInput(
            "Unknown event types.", errors={"events": [f"Choose from {', '.join(EVENT_TYPES)}."]}
        )
    now = deps.clock.now()
    with deps.uow() as uow:
        endpoint = WebhookEndpoint(
            id=new_id("whe"),
            workspace_id=actor.workspace_id,
            url=url,
            events=sorted(set(events)),
            secret=new_secret(),
            created_at=now,
        )
        uow.session.add(endpoint)
        audit.record(uow.session, actor, "webhook.created", now, detail={"endpoint": endpoint.id})
        uow.commit()
    return {**_endpoint_view(endpoint), "secret": endpoint.secret}


def list_endpoints(deps: Deps, actor: Actor) -> list[dict[str, Any]]:
    _operator(actor)
    with deps.uow() as uow:
        rows = uow.session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.workspace_id == actor.workspace_id,
                WebhookEndpoint.deleted_at.is_(None),
            )
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        ).all()
        return [_endpoint_view(e) for e in rows]


def get_endpoint(deps: Deps, actor: Actor, endpoint_id: str) -> dict[str, Any]:
    _operator(actor)
    with deps.uow() as uow:
        return _endpoint_view(_get(uow.session, actor, endpoint_id))


def delete_endpoint(deps: Deps, actor: Actor, endpoint_id: str) -> None:
    """Stop sending to the endpoint; its queued deliveries are cancelled."""
    _operator(actor)
    now = deps.clock.now()
    with deps.uow() as uow:
        endpoint = _get(uow.session, actor, endpoint_id)
        endpoint.deleted_at = now
        for delivery in uow.session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "queued"
            )
        ):
            delivery.status = "cancelled"
        audit.record(uow.session, actor, "webhook.deleted", now, detail={"endpoint": endpoint.id})
        uow.commit()


def _delivery_view(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_type": delivery.event_type,
        "payload": delivery.payload,
        "status": delivery.status,
        "attempts": [
            {
                "attempted_at": a.attempted_at,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in attempts
        ],  # fmt: skip
        "next_attempt_at": delivery.next_attempt_at if delivery.status == "queued" else None,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }


def list_deliveries(
    deps: Deps, actor: Actor, endpoint_id: str, *, limit: int, cursor: str | None = None
) -> Page[dict[str, Any]]:
    """The endpoint's deliveries, newest first, each with every attempt."""
    _operator(actor)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    stmt = paginate(stmt, WebhookDelivery.created_at, WebhookDelivery.id, cursor, limit)
    with deps.uow() as uow:
        _get(uow.session, actor, endpoint_id)
        rows = list(uow.session.scalars(stmt).all())
        rows, next_cursor = page_from_rows(rows, limit, lambda d: (d.created_at, d.id))
        attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d in rows}
        if rows:
            for attempt in uow.session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_(attempts))
                .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
            ):
                attempts[attempt.delivery_id].append(attempt)
        items = [_delivery_view(d, attempts[d.id]) for d in rows]
    return Page(items, next_cursor)


def resend_delivery(deps: Deps, actor: Actor, endpoint_id: str, delivery_id: str) -> dict[str, Any]:
    """Queue a delivery again now (same id, so receivers can deduplicate)."""
    _operator(actor)
    now = deps.clock.now()
    with deps.uow() as uow:
        _get(uow.session, actor, endpoint_id)
        delivery = uow.session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.endpoint_id != endpoint_id:
            raise NotFound(f"No delivery {delivery_id!r}.", code="webhook_delivery_not_found")
        delivery.status = "queued"
        delivery.next_attempt_at = now
        delivery.lease_until = None
        delivery.attempts = 0
        audit.record(uow.session, actor, "webhook.resent", now, detail={"delivery": delivery.id})
        uow.commit()
        view = _delivery_view(delivery, [])
    return view
