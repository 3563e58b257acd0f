"""The introducer's own rules and the cool-down, checked on every new request.

Every refusal here is the same `introducer_unavailable` error, whatever the rule:
the requester must not learn that the introducer paused, rates them below the
minimum, is busy this week, or that an earlier request was declined rather than
left to expire.

- Pause: `accepting_requests` false refuses every request.
- Minimum trust: the introducer's trust in the requester must be at least
  `min_trust`; no relationship counts as below any minimum.
- Weekly cap: at most `max_requests_per_week` requests created for this
  introducer (by anyone, in any state) in the 7 days before now.
- Cool-down: after an introduction between the same requester, introducer and
  target closed as `declined` or `expired`, a new one waits
  `Settings.decline_cooldown` from the moment the requester was told "not
  made" (`notice_at`, the deadline a decline is held until by service.neutral;
  the closing time when nothing was held). Expiry counts too, and the clock
  starts when the outcome is shown, so the requester cannot tell a decline
  from an expiry, nor when a decline happened, by probing when asking works
  again. While a decline is still held, a new request is a duplicate of the
  one the requester still sees as open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from service.errors import RuleViolation
from service.models import IntroducerPolicy, Introduction
from service.states import State

WEEK = timedelta(days=7)
UNAVAILABLE = "introducer_unavailable"
CLOSED_NOT_MADE = (State.DECLINED.value, State.EXPIRED.value)


@dataclass(frozen=True)
class Policy:
    accepting_requests: bool = True
    min_trust: int | None = None
    max_requests_per_week: int | None = None


def unavailable() -> RuleViolation:
    return RuleViolation("This introducer is not taking this request right now.", code=UNAVAILABLE)


def policy_of(session: Session, member_id: str) -> Policy:
    row = session.get(IntroducerPolicy, member_id)
    if row is None:
        return Policy()
    return Policy(row.accepting_requests, row.min_trust, row.max_requests_per_week)


def policies_of(session: Session, member_ids: set[str]) -> dict[str, Policy]:
    rows = session.scalars(
        select(IntroducerPolicy).where(IntroducerPolicy.member_id.in_(member_ids))
    ).all()
    found = {
        r.member_id: Policy(r.accepting_requests, r.min_trust, r.max_requests_per_week)
        for r in rows
    }
    return {m: found.get(m, Policy()) for m in member_ids}


def requests_this_week(session: Session, introducer_ids: set[str], now: datetime) -> dict[str, int]:
    if not introducer_ids:
        return {}
    rows = session.execute(
        select(Introduction.introducer_id, func.count())
        .where(
            Introduction.introducer_id.in_(introducer_ids),
            Introduction.created_at > now - WEEK,
        )
        .group_by(Introduction.introducer_id)
    ).all()
    counts = {r[0]: int(r[1]) for r in rows}
    return {m: counts.get(m, 0) for m in introducer_ids}


def allows(policy: Policy, trust_in_requester: int | None, this_week: int) -> bool:
    """Whether the introducer's policy lets this requester ask now (pure)."""
    if not policy.accepting_requests:
        return False
    if policy.min_trust is not None and (
        trust_in_requester is None or trust_in_requester < policy.min_trust
    ):
        return False
    return policy.max_requests_per_week is None or this_week < policy.max_requests_per_week


def cooling_down(now: datetime, cooldown: timedelta) -> ColumnElement[bool]:
    """Introductions whose not-made outcome still holds off a new request."""
    told = func.coalesce(Introduction.notice_at, Introduction.closed_at)
    return Introduction.state.in_(CLOSED_NOT_MADE) & (told > now - cooldown)


def in_cooldown(
    session: Session,
    requester_id: str,
    introducer_id: str,
    target_id: str,
    now: datetime,
    cooldown: timedelta,
) -> bool:
    found = session.scalar(
        select(Introduction.id)
        .where(
            Introduction.requester_id == requester_id,
            Introduction.introducer_id == introducer_id,
            Introduction.target_id == target_id,
            cooling_down(now, cooldown),
        )
        .limit(1)
    )
    return found is not None


def check_request(
    session: Session,
    *,
    requester_id: str,
    introducer_id: str,
    target_id: str,
    trust_in_requester: int | None,
    now: datetime,
    cooldown: timedelta,
) -> None:
    """Raise `introducer_unavailable` when the policy or the cool-down refuses the request."""
    policy = policy_of(session, introducer_id)
    week = requests_this_week(session, {introducer_id}, now)[introducer_id]
    if not allows(policy, trust_in_requester, week):
        raise unavailable()
    if in_cooldown(session, requester_id, introducer_id, target_id, now, cooldown):
        raise unavailable()
