"""The collaborators every use case receives (the composition root builds one)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from service.clock import Clock
from service.settings import Settings
from service.tokens import TokenSigner
from service.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Deps:
    session_factory: sessionmaker[Session]
    clock: Clock
    signer: TokenSigner
    settings: Settings

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)
