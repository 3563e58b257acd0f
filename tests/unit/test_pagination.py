"""Opaque cursors over (created_at, id): round trip, and refusal of anything else."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.errors import BadRequest
from service.pagination import decode_cursor, encode_cursor, page_from_rows

AT = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.mark.parametrize("id_", ["mem_abc", "intro_-_x", "", "ü-ñ", "a" * 64])
def test_a_cursor_round_trips(id_: str) -> None:
    assert decode_cursor(encode_cursor(AT, id_)) == (AT, id_)


def test_a_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(AT, "mem_?&/=+")
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor


def test_a_cursor_keeps_the_time_zone_instant() -> None:
    other_zone = AT.astimezone(timezone(timedelta(hours=5)))
    decoded, _ = decode_cursor(encode_cursor(other_zone, "x"))
    assert decoded == AT


def _raw(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "a",
        _raw(b"not json"),
        _raw(b"[1, 2]"),
        _raw(b'["2026-01-05T09:00:00+00:00"]'),
        _raw(b'["2026-01-05T09:00:00+00:00", 7]'),
        _raw(b'["2026-01-05T09:00:00", "naive"]'),
        _raw(b'["yesterday", "x"]'),
        _raw(b'{"created": "2026-01-05T09:00:00+00:00", "id": "x"}'),
        _raw(b"\xff\xfe\xfd"),
        _raw(b"[" * 5000 + b"]" * 5000),
    ],
    ids=lambda c: c[:24],
)
def test_anything_but_an_issued_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest) as raised:
        decode_cursor(cursor)
    assert raised.value.code == "invalid_cursor"


def test_page_from_rows_trims_the_lookahead_row_and_points_at_the_last_kept() -> None:
    rows = [(AT - timedelta(seconds=i), f"id{i}") for i in range(4)]
    kept, cursor = page_from_rows(rows, 3, lambda r: r)
    assert kept == rows[:3]
    assert cursor is not None and decode_cursor(cursor) == rows[2]


def test_the_last_page_has_no_cursor() -> None:
    rows = [(AT, "a"), (AT, "b")]
    assert page_from_rows(rows, 2, lambda r: r) == (rows, None)
    assert page_from_rows([], 2, lambda r: r) == ([], None)
