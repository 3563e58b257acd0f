"""The one-tap "never introduce me through Vouch again" link, sent to targets.

GET shows what will happen (`open_never_link`, changes nothing); the POST
(`act_on_never_link`) puts the target's address on the suppression list
(service.suppression), cancels every email still queued to them as a target,
and declines, as the target, every introduction still waiting on them: the
requester sees the neutral outcome (service.neutral), the introducer is told
it closed. The action is audited as `suppression.added` (without the address).
Pressing it twice is harmless. The link lives for a year and survives state
changes: it is in the neutral note too.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import audit
from service.actors import Actor
from service.deps import Deps
from service.errors import DomainError
from service.models import Introduction, Member, OutboxMessage
from service.states import State
from service.suppression import is_suppressed, suppress
from service.tokens import TokenError
from service.use_cases import introductions

NEVER_LINK_AGE = timedelta(days=365)


@dataclass(frozen=True)
class NeverPage:
    """status: "ready" (ask), "done" (on the list) or "invalid"."""

    status: str
    member_name: str = ""
    product: str = ""


def _resolve(session: Session, deps: Deps, token: str) -> tuple[Introduction, Member] | None:
    try:
        claims = deps.signer.verify("never", token, NEVER_LINK_AGE)
    except TokenError:
        return None
    intro = session.get(Introduction, claims.introduction_id)
    member = session.get(Member, claims.member_id)
    if intro is None or member is None or member.id != intro.target_id:
        return None
    if getattr(member, "erased_at", None) is not None:
        return None
    return intro, member


def open_never_link(deps: Deps, token: str) -> NeverPage:
    """The page behind GET /n/<token>: reads only."""
    with deps.uow() as uow:
        found = _resolve(uow.session, deps, token)
        if found is None:
            return NeverPage("invalid")
        member = found[1]
        done = is_suppressed(uow.session, deps.settings.suppression_keys, member.contact_email)
        return NeverPage("done" if done else "ready", member.name)


def act_on_never_link(deps: Deps, token: str) -> NeverPage:
    """Never again: suppress the address, stop queued mail, close what waits on them."""
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        found = _resolve(session, deps, token)
        if found is None:
            return NeverPage("invalid")
        intro, member = found
        actor = Actor(intro.workspace_id, member.id, channel="link", credential="never")
        suppress(session, deps.settings.suppression_keys, member.contact_email, now)
        as_target = select(Introduction.id).where(Introduction.target_id == member.id)
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.to_member_id == member.id,
                OutboxMessage.introduction_id.in_(as_target),
                OutboxMessage.status == "queued",
            )
            .values(status="cancelled", last_error="the recipient asked never to be introduced")
            .execution_options(synchronize_session=False)
        )
        audit.record(
            session, actor, "suppression.added", now,
            introduction_id=intro.id, subject_member_id=member.id,
        )  # fmt: skip
        waiting = session.scalars(
            as_target.where(Introduction.state == State.OPTING_IN.value)
        ).all()
        name = member.name
        uow.commit()
    for intro_id in waiting:
        # If it moved on meanwhile, the suppression stands either way.
        with contextlib.suppress(DomainError):
            introductions.decline(deps, actor, intro_id, None)
    return NeverPage("done", name)
