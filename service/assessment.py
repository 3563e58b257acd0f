"""Gathers the inputs of `service.risk.assess` for a new request from the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import policies, repository, reputation
from service.models import Introduction, Member
from service.risk import DECLINE_DAYS, Assessment, RiskInputs, assess
from service.states import OPEN_STATES, State


def assess_request(
    session: Session,
    *,
    requester: Member,
    target: Member,
    trust_in_requester: int | None,
    trust_in_target: int,
    now: datetime,
    open_requests: int | None = None,
) -> Assessment:
    """Assess a request before it is stored (its own row is not counted as open).
    `open_requests`: the requester's open requests, when the caller counted them."""
    ratings = reputation.requester_ratings(session, requester.id)
    recent = ratings[: reputation.RECENT]
    declines = session.scalar(
        select(func.count())
        .select_from(Introduction)
        .where(
            Introduction.requester_id == requester.id,
            Introduction.state == State.DECLINED.value,
            # The requester's own change of mind is not held against them.
            Introduction.declined_by != "requester",
            Introduction.closed_at > now - timedelta(days=DECLINE_DAYS),
        )
    )
    if open_requests is None:
        open_requests = session.scalar(
            select(func.count())
            .select_from(Introduction)
            .where(
                Introduction.requester_id == requester.id,
                Introduction.state.in_([s.value for s in OPEN_STATES]),
            )
        )
    return assess(
        RiskInputs(
            requester_name=requester.name,
            target_name=target.name,
            trust_in_requester=trust_in_requester,
            trust_in_target=trust_in_target,
            requester_reputation=reputation.from_counts((r, 1) for r in ratings),
            recent_rated=len(recent),
            recent_negative=sum(1 for r in recent if r == "negative"),
            recent_declines=int(declines or 0),
            other_open_requests=int(open_requests or 0),
        )
    )


def screen_request(
    session: Session,
    *,
    requester: Member,
    introducer_id: str,
    target_id: str,
    now: datetime,
    cooldown: timedelta,
    open_requests: int | None = None,
) -> Assessment:
    """Apply the introducer's policy and the cool-down, then assess the request.

    Call after the basic checks (members exist, the introducer knows the target).
    """
    to_requester = repository.get_relationship(session, introducer_id, requester.id)
    trust_in_requester = to_requester.trust if to_requester is not None else None
    policies.check_request(
        session,
        requester_id=requester.id,
        introducer_id=introducer_id,
        target_id=target_id,
        trust_in_requester=trust_in_requester,
        now=now,
        cooldown=cooldown,
    )
    to_target = repository.get_relationship(session, introducer_id, target_id)
    if to_target is None:
        raise RuntimeError("screen_request needs the introducer's edge to the target")
    return assess_request(
        session,
        requester=requester,
        target=repository.get_member(session, requester.workspace_id, target_id),
        trust_in_requester=trust_in_requester,
        trust_in_target=to_target.trust,
        now=now,
        open_requests=open_requests,
    )
