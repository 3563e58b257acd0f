"""One transaction per use case: rolled back on exit unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self.committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, like rollback(), but
        # leaves loaded objects readable (rollback() would expire them).
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self.committed = True


class ReadOnlyUnitOfWork(UnitOfWork):
    """For reads on an autocommit connection (Deps.reads): nothing to commit."""

    def commit(self) -> None:
        raise RuntimeError("A read-only unit of work cannot commit; take deps.uow().")
