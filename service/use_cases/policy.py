"""A member's introducer policy: pause, minimum trust in the requester, weekly cap.

Readable and changeable by the member themself and the operator only: the
policy says how the member rates others, so nobody else may see it. Another
member gets 403 `not_yourself`.
"""

from __future__ import annotations

from typing import Any

from service import audit, repository
from service.actors import Actor
from service.deps import Deps
from service.errors import Forbidden
from service.models import IntroducerPolicy


def only_self_or_operator(actor: Actor, member_id: str) -> None:
    if not actor.is_operator and actor.member_id != member_id:
        raise Forbidden(
            "Only the member themself or the operator can see or change this.",
            code="not_yourself",
        )


def _view(member_id: str, row: IntroducerPolicy | None) -> dict[str, Any]:
    if row is None:
        return {
            "member_id": member_id,
            "accepting_requests": True,
            "min_trust": None,
            "max_requests_per_week": None,
            "updated_at": None,
        }
    return {
        "member_id": member_id,
        "accepting_requests": row.accepting_requests,
        "min_trust": row.min_trust,
        "max_requests_per_week": row.max_requests_per_week,
        "updated_at": row.updated_at,
    }


def get_policy(deps: Deps, actor: Actor, member_id: str) -> dict[str, Any]:
    """The member's policy; the defaults (accepting, no minimum, no cap) when never set."""
    only_self_or_operator(actor, member_id)
    with deps.uow() as uow:
        repository.get_member(uow.session, actor.workspace_id, member_id)
        return _view(member_id, uow.session.get(IntroducerPolicy, member_id))


def put_policy(deps: Deps, actor: Actor, member_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Replace the member's policy (fields left out take their defaults)."""
    only_self_or_operator(actor, member_id)
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        row = repository.member_settings(session, IntroducerPolicy, actor.workspace_id, member_id)
        row.accepting_requests = bool(data.get("accepting_requests", True))
        row.min_trust = data.get("min_trust")
        row.max_requests_per_week = data.get("max_requests_per_week")
        row.updated_at = now
        audit.record(
            session, actor, "policy.set", now, subject_member_id=member_id,
            detail={
                "accepting_requests": row.accepting_requests,
                "min_trust": row.min_trust,
                "max_requests_per_week": row.max_requests_per_week,
            },
        )  # fmt: skip
        view = _view(member_id, row)
        uow.commit()
    return view
