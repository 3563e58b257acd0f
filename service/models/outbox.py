"""The outbox: every email is a row written with the change that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, IdColumn


class OutboxMessage(Base):
    """Status: queued -> sending (leased) -> sent | failed | cancelled."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    introduction_id: Mapped[str | None] = mapped_column(IdColumn(), index=True)
    to_member_id: Mapped[str | None] = mapped_column(IdColumn(), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="email")
    template: Mapped[str] = mapped_column(String(60))
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # How a sent row left: "smtp", or "mailbox" (the dev mailbox, when no SMTP is set).
    delivered_via: Mapped[str | None] = mapped_column(String(16))
