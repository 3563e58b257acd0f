"""The app factory, its configuration from VOUCH_ variables, and the `vouch` CLI."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api import ConfigurationError, create_app
from api.cli import main
from api.composition import ENGINE, EXTENSION
from service.deps import Deps
from service.models import ApiKey


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No VOUCH_ setting from the outside; the instance folder in tmp_path."""
    for name in list(os.environ):
        if name.startswith("VOUCH_"):
            monkeypatch.delenv(name)
    instance = tmp_path / "instance"
    monkeypatch.setenv("VOUCH_INSTANCE_PATH", str(instance))
    yield instance


def test_the_default_app_is_not_in_testing_mode(clean_env: Path) -> None:
    app = create_app()
    try:
        assert app.testing is False
        assert app.config["ENV"] == "development"
        assert app.config["DATABASE_URL"] == f"sqlite:///{clean_env / 'vouch.db'}"
    finally:
        app.extensions[ENGINE].dispose()


def test_the_development_secret_is_random_private_and_survives_a_restart(clean_env: Path) -> None:
    first, second = create_app(), create_app()
    try:
        assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
        assert len(first.config["SECRET_KEY"]) >= 32
        mode = stat.S_IMODE((clean_env / "secret_key").stat().st_mode)
        assert mode == 0o600
    finally:
        first.extensions[ENGINE].dispose()
        second.extensions[ENGINE].dispose()


def test_production_without_a_secret_key_refuses_to_start(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOUCH_ENV", "production")
    with pytest.raises(ConfigurationError, match="VOUCH_SECRET_KEY"):
        create_app()
    assert not (clean_env / "secret_key").exists(), "no silent default was made"


def test_production_with_a_secret_key_starts(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VOUCH_ENV", "production")
    monkeypatch.setenv("VOUCH_SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.setenv("VOUCH_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    app = create_app()
    try:
        assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
        assert app.testing is False
    finally:
        app.extensions[ENGINE].dispose()


def test_vouch_prefixed_environment_variables_configure_the_app(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("VOUCH_DATABASE_URL", url)
    monkeypatch.setenv("VOUCH_BASE_URL", "https://intros.example.org")
    monkeypatch.setenv("VOUCH_OPEN_REQUEST_CAP", "2")
    monkeypatch.setenv("VOUCH_CONSENT_DAYS", "3")
    monkeypatch.setenv("VOUCH_SECRET_KEY", "from-env")
    app = create_app()
    try:
        deps: Deps = app.extensions[EXTENSION]
        assert app.config["DATABASE_URL"] == url
        assert deps.settings.base_url == "https://intros.example.org"
        assert deps.settings.open_request_cap == 2
        assert deps.settings.consent_window.days == 3
        assert app.config["SECRET_KEY"] == "from-env"
    finally:
        app.extensions[ENGINE].dispose()


def test_the_environment_wins_over_the_config_passed_in(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VOUCH_BASE_URL", "https://from-env.example")
    app = create_app({"BASE_URL": "https://from-code.example",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})  # fmt: skip
    try:
        assert app.config["BASE_URL"] == "https://from-env.example"
    finally:
        app.extensions[ENGINE].dispose()


KEY = re.compile(r"api key:\s+(vouch_\S+)")
WORKSPACE = re.compile(r"workspace:\s+(ws_\S+)")


def test_cli_upgrades_the_database_and_creates_a_workspace_with_a_key_shown_once(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("VOUCH_DATABASE_URL", f"sqlite:///{db}")
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    created = runner.invoke(main, ["workspace", "create", "Acme Alumni"])
    assert created.exit_code == 0, created.output
    key_match, ws_match = KEY.search(created.output), WORKSPACE.search(created.output)
    assert key_match and ws_match, created.output
    key, workspace_id = key_match.group(1), ws_match.group(1)

    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        rows = session.scalars(select(ApiKey)).all()
    engine.dispose()
    assert [r.workspace_id for r in rows] == [workspace_id]
    assert rows[0].secret_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.split("_")[1] == rows[0].prefix
    assert key.encode() not in db.read_bytes(), "the key itself is stored nowhere"
    for wal in db.parent.glob("cli.db-*"):
        assert key.encode() not in wal.read_bytes()

    app = create_app()
    try:
        response = app.test_client().get("/v1/members", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
    finally:
        app.extensions[ENGINE].dispose()
    second = runner.invoke(main, ["workspace", "create", "Acme Alumni"])
    assert KEY.search(second.output).group(1) != key  # type: ignore[union-attr]


def test_cli_errors_are_clear_not_tracebacks(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOUCH_ENV", "production")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code != 0
    assert "VOUCH_SECRET_KEY" in (result.output + str(result.exception))


def test_the_installed_vouch_command_runs(clean_env: Path, tmp_path: Path) -> None:
    vouch = shutil.which("vouch")
    assert vouch, "`pip install -e .` installs the `vouch` command"
    env = {**os.environ, "VOUCH_DATABASE_URL": f"sqlite:///{tmp_path / 'sub.db'}"}
    upgraded = subprocess.run([vouch, "db", "upgrade"], env=env, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
    assert upgraded.returncode == 0, upgraded.stderr
    created = subprocess.run([vouch, "workspace", "create", "Sub"], env=env, capture_output=True,
                             text=True, timeout=120, check=False)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert KEY.search(created.stdout) and WORKSPACE.search(created.stdout)
    helped = subprocess.run([vouch, "--help"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    for command in ("db", "workspace", "serve", "openapi"):
        assert command in helped.stdout
