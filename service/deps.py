"""The collaborators every use case receives (the composition root builds one)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from service.clock import Clock
from service.db import make_session_factory
from service.settings import Settings
from service.tokens import TokenSigner
from service.unit_of_work import ReadOnlyUnitOfWork, UnitOfWork


@dataclass(frozen=True)
class Deps:
    session_factory: sessionmaker[Session]
    clock: Clock
    signer: TokenSigner
    settings: Settings

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def single_read(self) -> Connection:
        """A connection for one read-only statement, in autocommit: the statement is
        its own transaction, without the BEGIN and ROLLBACK round trips a unit of
        work costs (half of authentication's time on PostgreSQL). Only for a read
        that is one statement; anything else takes a unit of work."""
        return self._autocommit.connect()

    def reads(self) -> ReadOnlyUnitOfWork:
        """A unit of work for reads only, in autocommit (no BEGIN or ROLLBACK round
        trips): each statement sees the latest committed rows. A use case that reads
        and then maybe writes takes a `uow()` for the writing."""
        return ReadOnlyUnitOfWork(self._autocommit_sessions)

    @cached_property
    def _autocommit_sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self._autocommit)

    @cached_property
    def _autocommit(self) -> Engine:
        engine: Engine = self.session_factory.kw["bind"]
        if engine.dialect.name == "sqlite":
            # Python's sqlite3 opens no transaction for a SELECT, and switching the
            # isolation level there costs a PRAGMA on each checkout.
            return engine
        return engine.execution_options(isolation_level="AUTOCOMMIT")
