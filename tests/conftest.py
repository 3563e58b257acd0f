"""Shared fixtures. Any test that asks for `database_url` (directly or through
`app`, `client`, `api`...) runs once per backend: SQLite, and PostgreSQL when
VOUCH_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.composition import ENGINE, EXTENSION
from api.config import TestConfig
from service.clock import FrozenClock
from service.deps import Deps
from tests.databases import BACKENDS, POSTGRES_URL, PostgresRunDatabase, SqliteTemplate
from tests.helpers import ApiClient, Trio, make_trio


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_run() -> Iterator[PostgresRunDatabase | None]:
    if not POSTGRES_URL:
        yield None
        return
    db = PostgresRunDatabase(POSTGRES_URL)
    yield db
    db.drop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    backend: str, sqlite_template: SqliteTemplate, postgres_run: PostgresRunDatabase | None
) -> str:
    if backend == "postgres":
        assert postgres_run is not None
        return postgres_run.fresh_url()
    return sqlite_template.fresh_url()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def config_for(database_url: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(DATABASE_URL=database_url, **extra)
    return config


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return config_for(database_url, tmp_path)


@pytest.fixture
def app(app_config: dict[str, Any], clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(app_config, clock=clock)
    yield app
    app.extensions[ENGINE].dispose()


@pytest.fixture
def deps(app: Flask) -> Deps:
    value: Deps = app.extensions[EXTENSION]
    return value


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient, deps: Deps) -> ApiClient:
    return ApiClient.for_new_workspace(client, deps)


@pytest.fixture
def trio(api: ApiClient) -> Trio:
    """Requester Ann knows introducer Ben (trust 3); Ben knows target Tia (trust 4)."""
    return make_trio(api)
