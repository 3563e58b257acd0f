"""The unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, select

from service.clock import FrozenClock
from service.deps import Deps
from service.models import Workspace


def _workspace(name: str, clock: FrozenClock) -> Workspace:
    return Workspace(id=f"ws_{name}", name=name, created_at=clock.now())


def test_uncommitted_work_is_rolled_back(deps: Deps, clock: FrozenClock) -> None:
    with deps.uow() as uow:
        uow.session.add(_workspace("ghost", clock))
        uow.session.flush()
    with deps.uow() as uow:
        assert uow.session.scalar(select(Workspace).where(Workspace.name == "ghost")) is None


def test_committed_work_is_kept(deps: Deps, clock: FrozenClock) -> None:
    with deps.uow() as uow:
        uow.session.add(_workspace("kept", clock))
        uow.commit()
        assert uow.committed
    with deps.uow() as uow:
        assert uow.session.scalar(select(Workspace.name).where(Workspace.name == "kept")) == "kept"


def test_an_error_inside_rolls_everything_back(deps: Deps, clock: FrozenClock) -> None:
    try:
        with deps.uow() as uow:
            uow.session.add(_workspace("boom", clock))
            uow.session.flush()
            raise RuntimeError("use case failed")
    except RuntimeError:
        pass
    with deps.uow() as uow:
        assert uow.session.scalar(select(Workspace).where(Workspace.name == "boom")) is None


def test_objects_stay_readable_after_the_unit_of_work_ends(deps: Deps, clock: FrozenClock) -> None:
    with deps.uow() as uow:
        uow.session.add(_workspace("readable", clock))
        uow.commit()
    with deps.uow() as uow:
        row = uow.session.scalar(select(Workspace).where(Workspace.name == "readable"))
    assert row is not None and row.name == "readable"


def test_reads_run_in_autocommit_and_cannot_commit(deps: Deps, clock: FrozenClock) -> None:
    with deps.uow() as uow:
        uow.session.add(_workspace("seen", clock))
        uow.commit()
    with deps.reads() as reads:
        name = reads.session.scalar(select(Workspace.name).where(Workspace.name == "seen"))
        assert name == "seen"
        assert _autocommit(reads.session.connection())
        reads.session.add(_workspace("sneaked", clock))
        with pytest.raises(RuntimeError, match="read-only"):
            reads.commit()
    with deps.uow() as uow:
        assert uow.session.scalar(select(Workspace).where(Workspace.name == "sneaked")) is None


def test_a_single_read_holds_no_transaction(deps: Deps) -> None:
    with deps.single_read() as conn:
        assert _autocommit(conn)
        assert conn.execute(select(Workspace.id).limit(1)).all() == []
    # The pooled connection goes back to transactions for the next unit of work.
    with deps.uow() as uow:
        uow.session.add(Workspace(id="ws_t", name="t", created_at=datetime.now(UTC)))
        uow.session.flush()
        assert not _autocommit(uow.session.connection())


def _autocommit(conn: Connection) -> bool:
    """Whether a SELECT on this connection runs outside a transaction: psycopg's
    autocommit; Python's sqlite3 never opens one for a SELECT (its legacy mode
    begins only before a write), so there it is whether none is open."""
    raw = conn.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection):
        return not raw.in_transaction
    return bool(getattr(raw, "autocommit", False))
