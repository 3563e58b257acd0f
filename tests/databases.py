"""Test databases: SQLite always; PostgreSQL too when VOUCH_TEST_POSTGRES_URL is set.

Each backend is migrated once per run with Alembic (never create_all()). SQLite
tests get a copy of the migrated file; PostgreSQL tests share one database
created for this run and emptied between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.models import Base
from service.schema import upgrade

POSTGRES_URL = os.environ.get("VOUCH_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


class SqliteTemplate:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.db"
        upgrade(f"sqlite:///{self.template}")

    def fresh_url(self) -> str:
        path = self.folder / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"


class PostgresRunDatabase:
    """One database per test run, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.name = f"vouch_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        self.url = self.admin_url.set(database=self.name).render_as_string(hide_password=False)
        upgrade(self.url)
        self._engine = create_engine(self.url)

    def fresh_url(self) -> str:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with self._engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        return self.url

    def drop(self) -> None:
        self._engine.dispose()
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()
