"""Reading the admin list filters from the query string, with clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from werkzeug.exceptions import BadRequest

MAX_ID = 64


class FilterError(BadRequest):
    """A filter value the admin page cannot use (shown as a 400 page saying which)."""


def optional_id(name: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_ID or not value.isprintable():
        raise FilterError(f"The {name} filter must be an id (at most {MAX_ID} characters).")
    return value


def optional_choice(name: str, value: str | None, choices: list[str]) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value not in choices:
        raise FilterError(f"The {name} filter must be one of: {', '.join(choices)}.")
    return value


def optional_day(name: str, value: str | None) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"The {name} date must look like 2026-01-31.") from None


def day_start(day: date | None, *, plus_days: int = 0) -> datetime | None:
    """Midnight UTC at the start of `day` (+ `plus_days`), for inclusive date ranges."""
    if day is None:
        return None
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=plus_days)
