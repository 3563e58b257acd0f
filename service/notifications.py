"""Which emails each transition writes to the outbox, and to whom.

The requester and the target only ever get the neutral `not_made` note when an
introduction stops for a reason they did not cause; the introducer gets the
decliner's private note, if any.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service import repository
from service.actors import Actor
from service.deps import Deps
from service.disclosures import record_disclosure
from service.models import Introduction
from service.outbox import enqueue_email, link
from service.states import Role
from service.webhooks import introduction_event


def notify(
    session: Session,
    deps: Deps,
    intro: Introduction,
    what: str,
    at: datetime,
    *,
    by: Role | None = None,
    note: str | None = None,
    risk: dict[str, object] | None = None,
) -> None:
    """Write the emails for `what` ('requested', 'consent', 'decline', 'opt_in',
    'connect', 'withdraw', 'expire', 'remind_consent', 'remind_opt_in') in the
    caller's transaction, and publish the matching webhook event."""
    party = {"party": by.value} if what == "opt_in" and by is not None else {}
    introduction_event(session, intro, what, at, **party)
    people = repository.members_by_id(
        session, {intro.requester_id, intro.introducer_id, intro.target_id}
    )
    requester = people[intro.requester_id]
    introducer = people[intro.introducer_id]
    target = people[intro.target_id]
    names = {"requester": requester, "introducer": introducer, "target": target}
    consented = intro.consented_at is not None

    def send(template: str, to_role: Role, **extra: object) -> None:
        enqueue_email(
            session, deps, intro=intro, template=template, to=people[_id(intro, to_role)],
            at=at, **names, **extra,
        )  # fmt: skip

    if what == "requested":
        send(
            "ask_introducer",
            Role.INTRODUCER,
            risk=risk,
            consent_url=link(deps, "consent", intro, introducer),
            decline_url=link(deps, "decline", intro, introducer),
        )
    elif what == "consent":
        send(
            "invite_target",
            Role.TARGET,
            accept_url=link(deps, "opt_in", intro, target),
            decline_url=link(deps, "opt_out", intro, target),
        )
        send(
            "confirm_requester",
            Role.REQUESTER,
            confirm_url=link(deps, "opt_in", intro, requester),
            withdraw_url=link(deps, "withdraw", intro, requester),
        )
    elif what == "remind_consent":
        send(
            "remind_introducer",
            Role.INTRODUCER,
            consent_url=link(deps, "consent", intro, introducer),
            decline_url=link(deps, "decline", intro, introducer),
        )
    elif what == "remind_opt_in":
        # Only whoever has not answered yet; neither learns whether the other did.
        # `by`: the party who closed a held introduction (service.neutral) is not reminded.
        if intro.target_opted_in_at is None and by is not Role.TARGET:
            send(
                "remind_target",
                Role.TARGET,
                accept_url=link(deps, "opt_in", intro, target),
                decline_url=link(deps, "opt_out", intro, target),
            )
        if intro.requester_opted_in_at is None and by is not Role.REQUESTER:
            send(
                "remind_requester",
                Role.REQUESTER,
                confirm_url=link(deps, "opt_in", intro, requester),
                withdraw_url=link(deps, "withdraw", intro, requester),
            )
    elif what == "connect":
        send("connected", Role.REQUESTER, other=target)
        send("connected", Role.TARGET, other=requester)
        by_email = Actor(intro.workspace_id, None, channel="email", credential="system")
        for seen, seer in ((target, requester), (requester, target)):
            record_disclosure(
                session, by_email, seen.id, at, to=f"member:{seer.id}", introduction_id=intro.id
            )
        send("connected_introducer", Role.INTRODUCER)
    elif what in ("decline", "withdraw", "expire"):
        for role in (Role.REQUESTER, Role.TARGET):
            involved = role is Role.REQUESTER or consented
            if involved and role is not by:
                # Held until the waiting state's deadline (service.neutral).
                send("not_made", role, due=intro.notice_at)
        if by is not Role.INTRODUCER:
            send("closed_introducer", Role.INTRODUCER, note=note if what == "decline" else None)


def _id(intro: Introduction, role: Role) -> str:
    return {
        Role.REQUESTER: intro.requester_id,
        Role.INTRODUCER: intro.introducer_id,
        Role.TARGET: intro.target_id,
    }[role]
