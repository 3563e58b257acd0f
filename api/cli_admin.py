"""`vouch admin create USERNAME`: an operator account for the admin page."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from api.composition import deps
from service.errors import DomainError


@click.group()
def admin() -> None:
    """Operators of the admin page (/admin)."""


@admin.command("create")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@with_appcontext
def admin_create(username: str, password_stdin: bool) -> None:
    """Create an admin user; the password is asked twice (or read from stdin)."""
    from service.use_cases.admin_users import create_admin

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        created = create_admin(deps(), username, password)
    except DomainError as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.errors or {}).items())
        raise click.ClickException(f"{exc.detail} {problems}".strip()) from None
    click.echo(f"admin user {created.username} created; sign in at /admin/sign-in")
