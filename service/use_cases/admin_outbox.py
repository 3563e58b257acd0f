"""The outbox on the admin page: emails (`outbox`) and webhook deliveries
(`webhook_deliveries`) that wait or failed, and retrying or discarding a failure.

Retry and discard are compare-and-swap updates on `status = 'failed'`, so an
operator never fights a worker: a row that is not failed any more gives a
Conflict and is left alone. A retried row is due at once with a fresh set of
attempts (the attempts it had are kept in the audit event).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.deps import Deps
from service.errors import Conflict, NotFound
from service.models import Member, OutboxMessage, WebhookDelivery, WebhookEndpoint
from service.pagination import DEFAULT_LIMIT, Page, page_from_rows, paginate
from service.use_cases.admin_audit import record_admin
from service.use_cases.admin_introductions import EmailRow, email_row, webhook_row
from service.use_cases.admin_masking import mask_emails_in

EMAIL_STATUSES = ("queued", "sending", "failed", "sent", "cancelled")
WEBHOOK_STATUSES = ("queued", "sending", "failed", "delivered", "cancelled")
KINDS = ("email", "webhook")


def list_outbox(
    deps: Deps,
    status: str = "failed",
    kind: str = "email",
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[EmailRow]:
    """Emails or webhook deliveries in one status, newest first."""
    with deps.uow() as uow:
        if kind == "webhook":
            return _webhooks(uow.session, status, cursor, limit)
        stmt = select(OutboxMessage).where(OutboxMessage.status == status)
        stmt = paginate(stmt, OutboxMessage.created_at, OutboxMessage.id, cursor, limit)
        rows = list(uow.session.scalars(stmt).all())
        rows, next_cursor = page_from_rows(rows, limit, lambda m: (m.created_at, m.id))
        ids = {m.to_member_id for m in rows if m.to_member_id}
        names: dict[str, str] = {}
        if ids:
            found = uow.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids)))
            names = {id_: name for id_, name in found}
        return Page(items=[email_row(m, names) for m in rows], next_cursor=next_cursor)


def _webhooks(session: Session, status: str, cursor: str | None, limit: int) -> Page[EmailRow]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.status == status)
    stmt = paginate(stmt, WebhookDelivery.created_at, WebhookDelivery.id, cursor, limit)
    rows = list(session.scalars(stmt).all())
    rows, next_cursor = page_from_rows(rows, limit, lambda d: (d.created_at, d.id))
    urls = endpoint_urls(session, {d.endpoint_id for d in rows})
    return Page(items=[webhook_row(d, urls) for d in rows], next_cursor=next_cursor)


def endpoint_urls(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url).where(WebhookEndpoint.id.in_(ids))
    )
    return {id_: url for id_, url in found}


def retry_message(deps: Deps, username: str, message_id: str) -> None:
    """A failed email or webhook delivery goes back to the queue, due now."""
    _move(deps, username, message_id, "queued", "outbox.retried")


def discard_message(deps: Deps, username: str, message_id: str) -> None:
    """A failed email or webhook delivery is cancelled: it will never be sent."""
    _move(deps, username, message_id, "cancelled", "outbox.discarded")


def _move(deps: Deps, username: str, message_id: str, status: str, action: str) -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        s = uow.session
        model: type[OutboxMessage] | type[WebhookDelivery] = OutboxMessage
        row: OutboxMessage | WebhookDelivery | None = s.get(OutboxMessage, message_id)
        if row is None:
            model, row = WebhookDelivery, s.get(WebhookDelivery, message_id)
        if row is None:
            raise NotFound(f"No outbox message {message_id!r}.", code="outbox_message_not_found")
        values: dict[str, Any] = {"status": status, "lease_until": None}
        if status == "queued":
            values.update(attempts=0, next_attempt_at=now)
        result = s.execute(
            update(model)
            .where(model.id == message_id, model.status == "failed")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise Conflict(
                f"Only a failed message can be retried or discarded; this one is {row.status}.",
                code="outbox_not_failed",
            )
        kind = "webhook" if isinstance(row, WebhookDelivery) else row.kind
        what = row.event_type if isinstance(row, WebhookDelivery) else row.template
        error = mask_emails_in(row.last_error) or ""
        record_admin(
            s, username, action, now,
            workspace_id=row.workspace_id, introduction_id=row.introduction_id,
            detail={"message_id": row.id, "kind": kind, "what": what,
                    "attempts": row.attempts, "last_error": error[:500]},
        )  # fmt: skip
        uow.commit()
