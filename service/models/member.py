"""Members of a workspace and the directed relationships between them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, IdColumn


class Member(Base):
    """A person. Public: name, headline. Private: the `contact_*` columns.

    Contact columns are read only by `service.visibility`, which decides who
    may see them; nothing else puts them into a response, page or email.
    """

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "external_ref"),)

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    headline: Mapped[str] = mapped_column(String(300), default="")
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Set by erasure: the row stays as a pseudonym (its id keeps the counts and
    # the audit log consistent) with every personal field emptied.
    erased_at: Mapped[datetime | None]


class Relationship(Base):
    """A directed edge: `from_member` trusts `to_member` at `trust` (1..5)."""

    __tablename__ = "relationships"
    __table_args__ = (
        CheckConstraint("trust BETWEEN 1 AND 5", name="trust_range"),
        # Covers the warm-path walk (service.use_cases.paths) without touching the table.
        Index("ix_relationships_paths", "from_member_id", "to_member_id", "trust", "introducible"),
    )

    from_member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    to_member_id: Mapped[str] = mapped_column(
        ForeignKey("members.id"), primary_key=True, index=True
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    trust: Mapped[int]
    introducible: Mapped[bool] = mapped_column(Boolean, default=True)
    context: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
