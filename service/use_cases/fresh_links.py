"""A fresh link for someone whose link expired or was superseded.

The page of an expired or superseded link (api.links) offers "email me a fresh
link" when the introduction, as that member may see it (service.visibility,
held outcomes included), is still waiting on them: the introducer of a
`requested` one, or the requester or target of an `opting_in` one who has not
opted in. The POST always gets the same answer ("if it is still waiting for
you, a fresh link is on its way to the address we have on file"), whether or
not anything was sent, so the button tells nobody anything about the address
or the introduction.

Limits, counted in the outbox (so they hold across processes): at most
`PER_INTRODUCTION` fresh links per member and introduction, and at most
`PER_ADDRESS` fresh links per address, in any `WINDOW`. The email goes to the
contact address on file, never to an address given on the page, and its links
are for the current state (one version back while an outcome is held).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import audit, repository
from service.actors import Actor
from service.deps import Deps
from service.models import Introduction, Member, OutboxMessage
from service.outbox import enqueue_email, link
from service.states import Role, State
from service.tokens import TokenError
from service.visibility import introduction_view

TEMPLATE = "fresh_link"
PER_INTRODUCTION = 3
PER_ADDRESS = 5
WINDOW = timedelta(hours=24)
# An expired link is still authentic; it is read to know whom to send a new one.
FOREVER = timedelta(days=36500)

PURPOSES = {
    Role.INTRODUCER: ("consent", "decline", "Yes, introduce them", "No, not this time"),
    Role.TARGET: ("opt_in", "opt_out", "Yes, connect us", "No, thanks"),
    Role.REQUESTER: ("opt_in", "withdraw", "Yes, I still want this", "Withdraw my request"),
}


def waiting_on(role: Role, view: dict[str, Any], now: datetime) -> bool:
    """The introduction, as the member sees it, waits for their answer before its deadline."""
    if role is Role.INTRODUCER:
        return bool(view["state"] == State.REQUESTED.value and view["consent_deadline"] > now)
    return (
        view["state"] == State.OPTING_IN.value
        and not view["opted_in"].get(role.value, False)
        and view["opt_in_deadline"] is not None
        and view["opt_in_deadline"] > now
    )


def _resolve(session: Session, deps: Deps, token: str) -> tuple[Introduction, Member, Role] | None:
    for purpose in ("consent", "decline", "opt_in", "opt_out", "withdraw"):
        try:
            claims = deps.signer.verify(purpose, token, FOREVER)
        except TokenError:
            continue
        intro = session.get(Introduction, claims.introduction_id)
        member = session.get(Member, claims.member_id)
        if intro is None or member is None or getattr(member, "erased_at", None) is not None:
            return None
        roles = {
            intro.introducer_id: Role.INTRODUCER,
            intro.requester_id: Role.REQUESTER,
            intro.target_id: Role.TARGET,
        }
        role = roles.get(member.id)
        return (intro, member, role) if role is not None else None
    return None


def can_refresh(deps: Deps, session: Session, intro: Introduction, member: Member) -> bool:
    """Whether the page of a dead link offers the fresh-link button."""
    actor = Actor(intro.workspace_id, member.id, channel="link")
    members = repository.members_by_id(
        session, {intro.requester_id, intro.introducer_id, intro.target_id}
    )
    now = deps.clock.now()
    view = introduction_view(actor, intro, members, now=now)
    role = view["your_role"]
    return role is not None and waiting_on(Role(role), view, now)


def request_fresh_link(deps: Deps, token: str) -> None:
    """Email a fresh link to the address on file, if the introduction still waits on
    this member and the limits allow. Answers nothing either way."""
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        found = _resolve(session, deps, token)
        if found is None:
            return
        intro, member, role = found
        if not can_refresh(deps, session, intro, member):
            return
        since = now - WINDOW
        fresh = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.template == TEMPLATE, OutboxMessage.created_at >= since)
        )
        per_intro = session.scalar(
            fresh.where(
                OutboxMessage.introduction_id == intro.id,
                OutboxMessage.to_member_id == member.id,
            )
        )
        per_address = session.scalar(fresh.where(OutboxMessage.to_addr == member.contact_email))
        if (per_intro or 0) >= PER_INTRODUCTION or (per_address or 0) >= PER_ADDRESS:
            return
        people = repository.members_by_id(
            session, {intro.requester_id, intro.introducer_id, intro.target_id}
        )
        yes, no, yes_label, no_label = PURPOSES[role]
        message = enqueue_email(
            session, deps, intro=intro, template=TEMPLATE, to=member, at=now,
            requester=people[intro.requester_id], introducer=people[intro.introducer_id],
            target=people[intro.target_id], role=role.value,
            yes_url=link(deps, yes, intro, member), no_url=link(deps, no, intro, member),
            yes_label=yes_label, no_label=no_label,
        )  # fmt: skip
        if message is None:
            return
        # Several fresh links may go for one version: keep each row's key unique.
        message.dedupe_key = f"{message.dedupe_key}:{message.id}"
        actor = Actor(intro.workspace_id, member.id, channel="link", credential="link")
        audit.record(
            session, actor, "link.fresh_sent", now,
            introduction_id=intro.id, subject_member_id=member.id,
        )  # fmt: skip
        uow.commit()
