"""Feedback after a connected introduction: one row per author per introduction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, IdColumn


class Feedback(Base):
    """`rating` is positive | neutral | negative; `comment` is private to its
    author and the operator. `negative_handled_at` marks the one time a target's
    negative rating told the introducer and lowered their trust in the requester."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("introduction_id", "author_id"),)

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    introduction_id: Mapped[str] = mapped_column(ForeignKey("introductions.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    author_role: Mapped[str] = mapped_column(String(16))
    rating: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    negative_handled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
