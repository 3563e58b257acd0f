"""Migrations build the schema from nothing, match the models exactly, and go down and up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from service.models import Base
from service.schema import alembic_config, upgrade
from tests.databases import POSTGRES_URL


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, of the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    assert POSTGRES_URL
    admin_url = make_url(POSTGRES_URL)
    name = f"vouch_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _drift(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _current(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def test_upgrade_builds_every_table_on_an_empty_database(empty_url: str) -> None:
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    heads = set(ScriptDirectory.from_config(alembic_config(empty_url)).get_heads())
    assert _current(empty_url) == heads


def test_models_and_migrations_do_not_drift(empty_url: str) -> None:
    upgrade(empty_url)
    assert _drift(empty_url) == []


def test_downgrade_to_base_and_up_again(empty_url: str) -> None:
    upgrade(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    assert _tables(empty_url) == set()
    assert _current(empty_url) == set()
    upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    assert _drift(empty_url) == []


def test_upgrading_twice_changes_nothing(empty_url: str) -> None:
    upgrade(empty_url)
    before = _current(empty_url)
    upgrade(empty_url)
    assert _current(empty_url) == before
