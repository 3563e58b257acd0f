"""Audit events for what an operator does on the admin page.

The admin acts above workspaces (signing in belongs to none), so these events
are written here rather than through `service.audit.record`, whose `Actor`
always has a workspace. They read `channel="admin"`, `actor="admin:<username>"`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.models import AuditEvent, new_id

CHANNEL = "admin"


def actor_label(username: str) -> str:
    return f"admin:{username}"


def record_admin(
    session: Session,
    username: str,
    action: str,
    at: datetime,
    *,
    workspace_id: str | None = None,
    introduction_id: str | None = None,
    subject_member_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            id=new_id("aud"),
            workspace_id=workspace_id,
            introduction_id=introduction_id,
            subject_member_id=subject_member_id,
            actor=actor_label(username),
            channel=CHANNEL,
            action=action,
            detail=detail or {},
            created_at=at,
        )
    )
