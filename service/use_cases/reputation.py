"""A member's reputation (formula in service.reputation), for them and the operator only."""

from __future__ import annotations

from typing import Any

from service import repository, reputation
from service.actors import Actor
from service.deps import Deps
from service.use_cases.policy import only_self_or_operator


def get_reputation(deps: Deps, actor: Actor, member_id: str) -> dict[str, Any]:
    """The member's reputation as requester and as introducer."""
    only_self_or_operator(actor, member_id)
    with deps.uow() as uow:
        session = uow.session
        repository.get_member(session, actor.workspace_id, member_id)
        return {
            "member_id": member_id,
            "as_requester": reputation.as_requester(session, member_id).as_dict(),
            "as_introducer": reputation.as_introducer(session, [member_id])[member_id].as_dict(),
        }
