"""Engines and sessions. SQLite gets the pragmas a service needs (WAL, FKs, busy wait)."""

from __future__ import annotations

import sqlite3
import time
from functools import partial
from typing import Any

from sqlalchemy import Dialect, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

# UPDATE ... RETURNING (state changes, outbox claims) needs SQLite 3.35 (2021).
MIN_SQLITE = (3, 35, 0)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise RuntimeError(
                f"Vouch needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this Python "
                f"has {sqlite3.sqlite_version}. Use PostgreSQL, or a Python built with a newer "
                "SQLite."
            )
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: SQL logging, when someone turns it on, must not print
    # contact details or key hashes.
    engine = create_engine(url, hide_parameters=True, **kwargs)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


# A pooled connection idle longer than this is pinged before use (a restarted or
# failed-over server leaves dead connections in the pool). Connections in steady
# use are not: SQLAlchemy's pool_pre_ping would add a round trip to every
# checkout, two per API request (bench/profile.py: 120 us each on loopback). A
# connection that dies while in use fails its statement; SQLAlchemy then drops
# the whole pool and that request answers 503 (tests/integration/test_faults.py).
IDLE_PING_SECONDS = 5.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dialect: Dialect, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A DisconnectionError makes the pool drop this connection and check out
    another (a new one, if the server is back)."""
    since = record.info.get("checked_in_at")
    if since is not None and time.monotonic() - since < IDLE_PING_SECONDS:
        return
    try:
        ok = dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise exc.DisconnectionError("the pooled connection did not answer a ping") from error
    if not ok:
        raise exc.DisconnectionError("the pooled connection did not answer a ping")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if ":memory:" not in str(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
