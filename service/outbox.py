"""Writing emails to the outbox, in the same transaction as the change behind them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.deps import Deps
from service.emails import render
from service.models import Introduction, Member, OutboxMessage, new_id
from service.states import OPEN_STATES, State
from service.suppression import is_suppressed
from service.tokens import LinkClaims

OPEN = frozenset(s.value for s in OPEN_STATES)


def link(deps: Deps, purpose: str, intro: Introduction, member: Member) -> str:
    """A signed link to the confirmation page for `purpose`, built from the base URL.

    On a closed introduction whose outcome is held (service.neutral), links are for
    the waiting state it was closed in, one version back, as the link pages expect.
    """
    version = intro.state_version
    if intro.held_state is not None and intro.state not in OPEN:
        version -= 1
    token = deps.signer.sign(LinkClaims(purpose, intro.id, member.id, version))
    return f"{deps.settings.base_url.rstrip('/')}/l/{token}"


def never_link(deps: Deps, intro: Introduction, member: Member) -> str:
    """The one-tap "never introduce me through Vouch again" link (api.never_links)."""
    token = deps.signer.sign(LinkClaims("never", intro.id, member.id, intro.state_version))
    return f"{deps.settings.base_url.rstrip('/')}/n/{token}"


def enqueue_email(
    session: Session,
    deps: Deps,
    *,
    intro: Introduction,
    template: str,
    to: Member,
    at: datetime,
    **context: Any,
) -> OutboxMessage | None:
    """Render and queue one email; a `due` datetime holds it back (service.neutral).

    Nothing is queued for a target whose address is on the suppression list.
    Every email to a target not connected yet carries the one-tap "never" link.
    """
    due: datetime | None = context.pop("due", None)
    if to.id == intro.target_id:
        if is_suppressed(session, deps.settings.suppression_keys, to.contact_email):
            return None
        if intro.state != State.CONNECTED.value:
            context["never_url"] = never_link(deps, intro, to)
    rendered = render(
        template,
        product=deps.settings.product_name,
        recipient=to,
        intro=intro,
        **context,
    )
    message = OutboxMessage(
        id=new_id("msg"),
        workspace_id=intro.workspace_id,
        introduction_id=intro.id,
        to_member_id=to.id,
        dedupe_key=f"{intro.id}:{template}:{to.id}:{intro.state_version}",
        kind="email",
        template=template,
        to_addr=to.contact_email,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        status="queued",
        attempts=0,
        next_attempt_at=due or at,
        created_at=at,
    )
    session.add(message)
    return message
