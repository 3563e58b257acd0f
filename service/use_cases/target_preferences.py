"""A member's standing preferences as a target (service.target_rules applies them).

Readable and changeable by the member themself and the operator only; another
member gets 403 `not_yourself`. PUT replaces the whole set: fields left out
take their defaults (accepting, no cap, 30-day period, no minimum trust, no
blocked topics). Topics are stored lower-cased, trimmed and de-duplicated.
"""

from __future__ import annotations

from typing import Any

from service import audit, repository
from service.actors import Actor
from service.deps import Deps
from service.models import TargetPreferences
from service.target_rules import normalise_topic
from service.use_cases.policy import only_self_or_operator

DEFAULT_PERIOD_DAYS = 30


def _view(member_id: str, row: TargetPreferences | None) -> dict[str, Any]:
    if row is None:
        return {
            "member_id": member_id,
            "accepting_introductions": True,
            "max_requests": None,
            "period_days": DEFAULT_PERIOD_DAYS,
            "min_trust": None,
            "blocked_topics": [],
            "updated_at": None,
        }
    return {
        "member_id": member_id,
        "accepting_introductions": row.accepting_introductions,
        "max_requests": row.max_requests,
        "period_days": row.period_days,
        "min_trust": row.min_trust,
        "blocked_topics": list(row.blocked_topics or []),
        "updated_at": row.updated_at,
    }


def get_target_preferences(deps: Deps, actor: Actor, member_id: str) -> dict[str, Any]:
    """The member's preferences as a target; the defaults when never set."""
    only_self_or_operator(actor, member_id)
    with deps.uow() as uow:
        repository.get_member(uow.session, actor.workspace_id, member_id)
        return _view(member_id, uow.session.get(TargetPreferences, member_id))


def put_target_preferences(
    deps: Deps, actor: Actor, member_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Replace the member's preferences as a target (fields left out take their defaults)."""
    only_self_or_operator(actor, member_id)
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        row = repository.member_settings(session, TargetPreferences, actor.workspace_id, member_id)
        row.accepting_introductions = bool(data.get("accepting_introductions", True))
        row.max_requests = data.get("max_requests")
        row.period_days = int(data.get("period_days") or DEFAULT_PERIOD_DAYS)
        row.min_trust = data.get("min_trust")
        topics = (normalise_topic(t) for t in data.get("blocked_topics") or [])
        row.blocked_topics = sorted({t for t in topics if t})
        row.updated_at = now
        view = _view(member_id, row)
        detail = {k: v for k, v in view.items() if k not in ("member_id", "updated_at")}
        audit.record(
            session, actor, "target_preferences.set", now, subject_member_id=member_id,
            detail=detail,
        )  # fmt: skip
        uow.commit()
    return view
