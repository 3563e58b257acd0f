"""The webhook worker: claim due deliveries, POST them signed, record every attempt.

Claims work like the email outbox's (`service.delivery`): PostgreSQL selects due
rows `FOR UPDATE SKIP LOCKED`, SQLite claims each row with a conditional UPDATE;
a claim is a lease, and a leased row whose worker died is claimed again.
A 2xx answer delivers; a 410 fails the delivery and disables the endpoint (the
app said it is gone); anything else, or no answer, retries on the Standard
Webhooks schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, with
jitter) and then fails. Every attempt is a `WebhookAttempt` row.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from service.deps import Deps
from service.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, new_id
from service.webhook_sender import WebhookSender
from service.webhooks import body_of, sign

SCHEDULE = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
]
LEASE = timedelta(minutes=2)


@dataclass
class WebhookReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(WebhookDelivery.status == "queued", WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == "sending", WebhookDelivery.lease_until <= now),
    )


def _claim(deps: Deps, batch: int) -> list[str]:
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        stmt = (
            select(WebhookDelivery.id)
            .where(_due(now))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        claimed = []
        for delivery_id in session.scalars(stmt).all():
            result = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, _due(now))
                .values(
                    status="sending",
                    lease_until=now + LEASE,
                    attempts=WebhookDelivery.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(delivery_id)
        uow.commit()
    return claimed


def deliver_webhooks_due(
    deps: Deps, sender: WebhookSender, *, batch: int = 50, rng: random.Random | None = None
) -> WebhookReport:
    """Deliver one batch of due webhooks; returns what happened."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    report = WebhookReport()
    for delivery_id in _claim(deps, batch):
        _deliver_one(deps, sender, delivery_id, rng, report)
    return report


def _deliver_one(
    deps: Deps, sender: WebhookSender, delivery_id: str, rng: random.Random, report: WebhookReport
) -> None:
    with deps.uow() as uow:
        delivery = uow.session.get(WebhookDelivery, delivery_id)
        endpoint = uow.session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:
            return
        url, secret, body = endpoint.url, endpoint.secret, body_of(delivery)
    sent_at = deps.clock.now()
    # The signed timestamp is wall-clock time on purpose: receivers compare it with
    # their own clock to reject replays, whatever clock the domain runs on.
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "Vouch-Webhooks/1",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, delivery_id, timestamp, body),
    }
    started = time.monotonic()
    result = sender.post(url, headers, body.encode())
    duration_ms = int((time.monotonic() - started) * 1000)
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "sending":
            return
        session.add(
            WebhookAttempt(
                id=new_id("wha"),
                delivery_id=delivery_id,
                attempted_at=sent_at,
                status_code=result.status_code,
                error=result.error,
                duration_ms=duration_ms,
            )
        )
        delivery.last_status_code = result.status_code
        delivery.lease_until = None
        code = result.status_code
        if code is not None and 200 <= code < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
            delivery.last_error = None
            report.delivered += 1
        elif code == 410 or delivery.attempts > len(SCHEDULE):
            delivery.status = "failed"
            delivery.last_error = result.error or f"HTTP {code}"
            if code == 410:
                gone = session.get(WebhookEndpoint, delivery.endpoint_id)
                if gone is not None and gone.deleted_at is None:
                    gone.deleted_at = now
            report.failed += 1
        else:
            delay = SCHEDULE[min(delivery.attempts, len(SCHEDULE)) - 1]
            delivery.status = "queued"
            delivery.last_error = result.error or f"HTTP {code}"
            delivery.next_attempt_at = now + delay * (0.8 + rng.random() * 0.4)
            report.retried += 1
        uow.commit()
