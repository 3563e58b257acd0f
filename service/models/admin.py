"""Operators of the admin page, and their sign-in attempts (for rate limiting)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, IdColumn


class AdminUser(Base):
    """An operator who signs in to /admin. Only a werkzeug password hash is kept."""

    __tablename__ = "admin_users"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class AdminSignInAttempt(Base):
    """One sign-in attempt; recent failures per username and per address throttle sign-in.

    Kept in the database so the limit holds across several app processes.
    """

    __tablename__ = "admin_sign_in_attempts"
    __table_args__ = (
        Index("ix_admin_sign_in_attempts_username", "username", "created_at"),
        Index("ix_admin_sign_in_attempts_address", "address", "created_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
