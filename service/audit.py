"""Writing audit events (in the caller's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from service.actors import Actor
from service.models import AuditEvent, new_id


def record(
    session: Session,
    actor: Actor,
    action: str,
    at: datetime,
    *,
    introduction_id: str | None = None,
    subject_member_id: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    row = event_row(
        actor, action, at,
        introduction_id=introduction_id, subject_member_id=subject_member_id,
        from_state=from_state, to_state=to_state, detail=detail,
    )  # fmt: skip
    # Rows the event may refer to (a new member, a new introduction) go first;
    # the event itself is one plain INSERT, past the ORM's unit of work.
    session.flush()
    session.execute(insert(AuditEvent), [row])


def record_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many events (from `event_row`) in one statement, past the ORM's
    unit of work: for the reads that audit every contact they show."""
    if rows:
        session.execute(insert(AuditEvent), rows)


def event_row(
    actor: Actor,
    action: str,
    at: datetime,
    *,
    introduction_id: str | None = None,
    subject_member_id: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id("aud"),
        "workspace_id": actor.workspace_id,
        "introduction_id": introduction_id,
        "subject_member_id": subject_member_id,
        "actor": actor.label,
        "channel": actor.channel,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "detail": detail or {},
        "created_at": at,
    }
