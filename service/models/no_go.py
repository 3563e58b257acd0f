"""An introducer's no-go list: targets they never introduce anyone to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class IntroducerNoGo(Base):
    __tablename__ = "introducer_no_go"

    introducer_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    created_at: Mapped[datetime]
