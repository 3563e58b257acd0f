"""A member's own rules for being asked to introduce (absent row: the defaults)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class IntroducerPolicy(Base):
    __tablename__ = "introducer_policies"
    __table_args__ = (
        CheckConstraint("min_trust IS NULL OR min_trust BETWEEN 1 AND 5", name="min_trust_range"),
        CheckConstraint(
            "max_requests_per_week IS NULL OR max_requests_per_week >= 1", name="max_per_week"
        ),
    )

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    accepting_requests: Mapped[bool] = mapped_column(Boolean, default=True)
    min_trust: Mapped[int | None]
    max_requests_per_week: Mapped[int | None]
    updated_at: Mapped[datetime]
