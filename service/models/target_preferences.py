"""A member's standing rules as a target (absent row: accepting, no limits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class TargetPreferences(Base):
    __tablename__ = "target_preferences"
    __table_args__ = (
        CheckConstraint("min_trust IS NULL OR min_trust BETWEEN 1 AND 5", name="min_trust_range"),
        CheckConstraint("max_requests IS NULL OR max_requests >= 1", name="max_requests_min"),
        CheckConstraint("period_days BETWEEN 1 AND 365", name="period_days_range"),
    )

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    accepting_introductions: Mapped[bool] = mapped_column(Boolean, default=True)
    # At most `max_requests` introductions reach the target per `period_days`.
    max_requests: Mapped[int | None]
    period_days: Mapped[int] = mapped_column(default=30)
    # The target's own trust in the introducer (target -> introducer) must be at least this.
    min_trust: Mapped[int | None]
    # Normalised (lower-case, trimmed) topic tags the target does not want.
    blocked_topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]
