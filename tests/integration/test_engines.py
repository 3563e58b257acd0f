"""What the engines need from the database library they are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import db


def test_an_sqlite_too_old_for_returning_is_refused_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db.sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(db.sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(
        RuntimeError, match=r"needs SQLite 3\.35\.0 or newer; this Python has 3\.34\.1"
    ):
        db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")


def test_this_sqlite_is_new_enough(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ok.db'}")
    try:
        assert engine.dialect.update_returning
    finally:
        engine.dispose()
