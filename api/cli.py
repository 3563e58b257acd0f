"""The `vouch` command: a Flask CLI group around the app factory."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from api import cli_admin
from api.composition import deps


def _create_app() -> Flask:
    from api import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Vouch: consent-first introductions."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Bring the database schema to the latest migration (Alembic)."""
    from service.schema import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@main.group()
def workspace() -> None:
    """Workspaces and their API keys."""


@workspace.command("create")
@click.argument("name")
@with_appcontext
def workspace_create(name: str) -> None:
    """Create a workspace and print its id and a new API key (shown once)."""
    from service.use_cases.workspaces import create_workspace

    issued = create_workspace(deps(), name)
    click.echo(f"workspace: {issued.workspace_id}")
    click.echo(f"api key:   {issued.key}")
    click.echo("Keep the key now: only its hash is stored, it cannot be shown again.")


@workspace.command("add-key")
@click.argument("workspace_id")
@click.option("--label", default="", help="What the key is for.")
@with_appcontext
def workspace_add_key(workspace_id: str, label: str) -> None:
    """Create another API key for a workspace (shown once)."""
    from service.use_cases.workspaces import create_api_key

    issued = create_api_key(deps(), workspace_id, label)
    click.echo(f"api key: {issued.key}")


@workspace.command("revoke-key")
@click.argument("workspace_id")
@click.argument("prefix")
@with_appcontext
def workspace_revoke_key(workspace_id: str, prefix: str) -> None:
    """Revoke the API key with this visible prefix."""
    from service.use_cases.workspaces import revoke_api_key

    revoke_api_key(deps(), workspace_id, prefix)
    click.echo(f"revoked {prefix}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the development server (use gunicorn in production).

    Without VOUCH_MAIL_SERVER the outbox worker runs in-process, into the dev mailbox."""
    from werkzeug.serving import run_simple

    from api.cli_worker import RedactingRequestHandler, start_background_worker, uses_mailbox

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = start_background_worker(app) if uses_mailbox(app) else None
    try:
        # Not app.run(): Flask ignores it when started from a Flask CLI group.
        run_simple(host, port, app, threaded=True, request_handler=RedactingRequestHandler)
    finally:
        if stop is not None:
            stop.set()


@main.command()
@click.option("--check", is_flag=True, help="Fail if openapi.yaml differs from the code.")
@click.option("--path", default="openapi.yaml", show_default=True, type=click.Path())
@with_appcontext
def openapi(check: bool, path: str) -> None:
    """Write (or check) openapi.yaml, generated from the code."""
    from api.openapi import openapi_yaml

    text = openapi_yaml(current_app)
    target = Path(path)
    if check:
        if not target.exists() or target.read_text() != text:
            raise click.ClickException(f"{path} is out of date: run `vouch openapi`")
        click.echo(f"{path} is up to date")
        return
    target.write_text(text)
    click.echo(f"wrote {path}")


def _register_worker_commands() -> None:
    from api.cli_worker import register

    register(main)


_register_worker_commands()
main.add_command(cli_admin.admin)
