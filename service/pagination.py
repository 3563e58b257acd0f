"""Opaque cursors over (created_at, id), newest first."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from service.errors import BadRequest

T = TypeVar("T")
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(created_at: datetime, id_: str) -> str:
    raw = json.dumps([created_at.isoformat(), id_]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, id_ = json.loads(raw)
        if not isinstance(id_, str):
            raise ValueError("id")
        at = datetime.fromisoformat(created)
        if at.tzinfo is None:
            # Issued cursors always carry UTC; a naive time cannot be compared.
            raise ValueError("naive")
        return at, id_
    except (ValueError, TypeError, binascii.Error, OverflowError, RecursionError):
        raise BadRequest("The cursor is not one this API issued.", code="invalid_cursor") from None


def paginate(
    stmt: SelectT,
    created_col: InstrumentedAttribute[datetime],
    id_col: InstrumentedAttribute[str],
    cursor: str | None,
    limit: int,
) -> SelectT:
    """Apply the cursor and fetch one extra row to know whether a next page exists."""
    if cursor:
        created, id_ = decode_cursor(cursor)
        stmt = stmt.where(or_(created_col < created, and_(created_col == created, id_col < id_)))
    return stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)


def page_from_rows(rows: list[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Trim the extra row; `key(row)` gives (created_at, id) of a row."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(*key(rows[-1]))
    return rows, None
