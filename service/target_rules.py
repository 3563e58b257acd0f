"""The target's own rules, checked when the introducer consents.

Where it stops: at consent, the moment the target would first hear of the
request. Not at request creation: a refusal there would tell the requester
(who is not meant to learn anything about the target's rules) that a rule
exists. At consent the introducer is told only `target_unavailable`, "the
target is not taking introductions like this right now", whichever rule it
was, and the introduction closes neutrally (service.neutral): the requester
sees the same `not_made` as for any decline or expiry, at the same moment.
The suppression list (service.suppression) is checked at the same point with
the same answer.

Rules (service.models.TargetPreferences; no row means no rules):
- `accepting_introductions` false: nothing reaches the target.
- `max_requests` per `period_days`: counted over introductions that reached
  the target (the introducer consented) in the last `period_days` days.
- `min_trust`: the target's own relationship target -> introducer must exist
  with at least that trust level.
- `blocked_topics`: none of the request's topics (compared lower-cased and
  trimmed) may be on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import repository
from service.errors import RuleViolation
from service.models import Introduction, TargetPreferences

TARGET_UNAVAILABLE = "target_unavailable"
MESSAGE = "The target is not taking introductions like this right now."


def target_unavailable() -> RuleViolation:
    return RuleViolation(MESSAGE, code=TARGET_UNAVAILABLE)


def normalise_topic(topic: str) -> str:
    return " ".join(topic.split()).lower()


def broken_rule(session: Session, intro: Introduction, now: datetime) -> str | None:
    """The name of the first rule `intro` breaks (for the audit log only), else None."""
    prefs = session.get(TargetPreferences, intro.target_id)
    if prefs is None:
        return None
    if not prefs.accepting_introductions:
        return "not_accepting"
    if prefs.min_trust is not None:
        edge = repository.get_relationship(session, intro.target_id, intro.introducer_id)
        if edge is None or edge.trust < prefs.min_trust:
            return "min_trust"
    blocked = {normalise_topic(t) for t in prefs.blocked_topics or []}
    if blocked & {normalise_topic(t) for t in intro.topics or []}:
        return "topic"
    if prefs.max_requests is not None:
        reached = session.scalar(
            select(func.count())
            .select_from(Introduction)
            .where(
                Introduction.target_id == intro.target_id,
                Introduction.id != intro.id,
                Introduction.consented_at >= now - timedelta(days=prefs.period_days),
            )
        )
        if (reached or 0) >= prefs.max_requests:
            return "max_requests"
    return None
