"""`vouch demo`: a workspace with a few people and an introduction in every state.

Everything goes through the use cases, as an app would through the API. The
expired introduction is requested "in the past" (a clock set back beyond the
consent window) and then expired by the same code the worker runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from api.composition import deps
from service.actors import Actor
from service.clock import FrozenClock
from service.deps import Deps
from service.use_cases import introductions as intros
from service.use_cases.introductions import NewRequest
from service.use_cases.members import create_member, put_relationship
from service.use_cases.workspaces import create_workspace

PEOPLE = [
    ("ann", "Ann Archer", "Head of data at Acme", "+44 20 7946 0000"),
    ("ben", "Ben Baker", "Connector, angel investor", None),
    ("tia", "Tia Tran", "Built the pipeline everyone copies", "+1 555 0100"),
    ("sam", "Sam Singh", "Founder, looking for a CTO", None),
    ("lee", "Lee Lopez", "Staff engineer, ex-payments", None),
    ("kim", "Kim Kato", "Product designer", None),
    ("raj", "Raj Rao", "Recruiter for climate startups", None),
]

# (requester, target, what happens); Ben introduces every time.
STORIES = [
    ("ann", "tia", "requested"),
    ("sam", "lee", "opting_in"),
    ("kim", "raj", "connected"),
    ("tia", "sam", "declined"),
    ("lee", "kim", "withdrawn"),
    ("raj", "ann", "expired"),
]


@dataclass
class DemoWorkspace:
    api_key: str
    workspace_id: str
    members: dict[str, str]
    introductions: dict[str, str]


def build_demo(d: Deps) -> DemoWorkspace:
    issued = create_workspace(d, "Demo")
    operator = Actor(workspace_id=issued.workspace_id, member_id=None, channel="cli")
    ids: dict[str, str] = {}
    for ref, name, headline, phone in PEOPLE:
        data: dict[str, Any] = {
            "external_ref": f"demo-{ref}",
            "name": name,
            "headline": headline,
            "contact": {"email": f"{ref}@example.com", "phone": phone},
        }
        ids[ref] = create_member(d, operator, data)["id"]
    for ref in ids:
        if ref != "ben":
            put_relationship(d, operator, ids[ref], ids["ben"], {"trust": 4})
            put_relationship(d, operator, ids["ben"], ids[ref], {"trust": 4})
    made = {state: _story(d, issued.workspace_id, ids, r, t, state) for r, t, state in STORIES}
    return DemoWorkspace(issued.key, issued.workspace_id, ids, made)


def _story(d: Deps, ws: str, ids: dict[str, str], requester: str, target: str, end: str) -> str:
    def as_(ref: str) -> Actor:
        return Actor(workspace_id=ws, member_id=ids[ref], channel="cli", credential="demo")

    clock_deps = d
    if end == "expired":
        past = FrozenClock(d.clock.now() - d.settings.consent_window * 1.2)
        clock_deps = replace(d, clock=past)
    request = NewRequest(
        introducer_id=ids["ben"],
        target_id=ids[target],
        reason=f"I would value {target.title()}'s advice on what I am building.",
        blurb=f"{requester.title()} would love a 20-minute call with {target.title()}.",
    )
    intro_id = str(intros.request_introduction(clock_deps, as_(requester), request)["id"])
    if end in ("opting_in", "connected", "withdrawn"):
        intros.consent(d, as_("ben"), intro_id, note="You two should talk.")
    if end == "connected":
        intros.opt_in(d, as_(target), intro_id)
        intros.opt_in(d, as_(requester), intro_id)
    elif end == "declined":
        intros.decline(d, as_("ben"), intro_id, note="Not the right moment for Sam.")
    elif end == "withdrawn":
        intros.withdraw(d, as_(requester), intro_id)
    elif end == "expired":
        intros.expire_overdue(d)
    return intro_id


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Fill a new workspace with people and introductions in every state."""
    from api.cli_worker import build_mailer, delivery_policy
    from service.delivery import run_cycle

    made = build_demo(deps())
    app = current_app
    base = app.config["BASE_URL"].rstrip("/")
    click.echo(f"workspace: {made.workspace_id}")
    click.echo(f"api key:   {made.api_key}   (shown once)")
    click.echo("introductions:")
    for state, intro_id in made.introductions.items():
        click.echo(f"  {state:<10} {intro_id}")
    report = run_cycle(deps(), build_mailer(app), delivery_policy(app))
    click.echo(f"emails delivered: {report.delivery.sent}")
    if report.delivery.sent and not app.config.get("MAIL_SERVER"):
        click.echo(f"Open {base}/dev/mailbox (with `vouch serve` running) and click:")
        click.echo("  - Ben's email about Ann and Tia: introduce them or not;")
        click.echo("  - Lee's and Sam's emails: both say yes to get connected.")
    click.echo(
        f"Try the API: curl -H 'Authorization: Bearer {made.api_key}' {base}/v1/introductions"
    )
