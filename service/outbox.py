"""Writing emails to the outbox, in the same transaction as the change behind them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.deps import Deps
from service.emails import render
from service.models import Introduction, Member, OutboxMessage, new_id
from service.tokens import LinkClaims


def link(deps: Deps, purpose: str, intro: Introduction, member: Member) -> str:
    """A signed link to the confirmation page for `purpose`, built from the base URL."""
    token = deps.signer.sign(LinkClaims(purpose, intro.id, member.id, intro.state_version))
    return f"{deps.settings.base_url.rstrip('/')}/l/{token}"


def enqueue_email(
    session: Session,
    deps: Deps,
    *,
    intro: Introduction,
    template: str,
    to: Member,
    at: datetime,
    **context: Any,
) -> OutboxMessage:
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
        next_attempt_at=at,
        created_at=at,
    )
    session.add(message)
    return message
