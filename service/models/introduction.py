"""An introduction and its lifecycle columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, IdColumn

OPEN_STATES_SQL = "state IN ('requested', 'opting_in')"


class Introduction(Base):
    """`state` changes only through `service.repository.swap_state`.

    `state_version` grows by one on every state change; signed links carry the
    version they were issued for, so any transition kills older links.
    """

    __tablename__ = "introductions"
    __table_args__ = (
        # At most one open request per (requester, target): the database enforces
        # the rule even when two requests race.
        Index(
            "uq_introductions_open_pair",
            "requester_id",
            "target_id",
            unique=True,
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
        Index("ix_introductions_workspace_created", "workspace_id", "created_at", "id"),
        # A requester's open requests, declines and duplicates (request creation).
        Index("ix_introductions_requester_state", "requester_id", "state"),
        Index("ix_introductions_state_consent_deadline", "state", "consent_deadline"),
        Index("ix_introductions_state_opt_in_deadline", "state", "opt_in_deadline"),
        # Introducer policy: requests per week (service.policies).
        Index("ix_introductions_introducer_created", "introducer_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    requester_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    introducer_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    blurb: Mapped[str] = mapped_column(Text)
    introducer_note: Mapped[str | None] = mapped_column(Text)
    # Private note from whoever declined, for the introducer only.
    decline_note: Mapped[str | None] = mapped_column(Text)
    declined_by: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    state_version: Mapped[int] = mapped_column(default=1)
    consent_deadline: Mapped[datetime]
    opt_in_deadline: Mapped[datetime | None]
    requester_opted_in_at: Mapped[datetime | None]
    target_opted_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    consented_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The assessment shown to the introducer only (service.risk, service.visibility).
    risk_level: Mapped[str | None] = mapped_column(String(8))
    risk_score: Mapped[int | None]
    risk_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # One reminder per waiting state, at about half-time (service.use_cases.reminders).
    consent_reminder_sent_at: Mapped[datetime | None]
    opt_in_reminder_sent_at: Mapped[datetime | None]
    # Topic tags the requester picked (checked against the target's preferences).
    topics: Mapped[list[str] | None] = mapped_column(JSON)
    # Neutral outcome held back (service.neutral): until `notice_at`, whoever gets the
    # neutral note sees `held_state`; `held_answers` keeps what they did meanwhile.
    notice_at: Mapped[datetime | None]
    held_state: Mapped[str | None] = mapped_column(String(16))
    held_answers: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
