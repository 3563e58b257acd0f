"""The audit log: who did what, when, through which channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, IdColumn


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_introduction", "introduction_id", "created_at"),
        Index("ix_audit_events_subject", "subject_member_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    workspace_id: Mapped[str | None] = mapped_column(ForeignKey("workspaces.id"))
    introduction_id: Mapped[str | None] = mapped_column(IdColumn())
    subject_member_id: Mapped[str | None] = mapped_column(IdColumn())
    actor: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
