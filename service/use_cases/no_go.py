"""An introducer's no-go list: targets they never introduce anyone to.

Only the introducer themself and the operator read or change it (403
`not_yourself` for anyone else): it says how the introducer shields people.
Request creation refuses a listed target with `target_not_reachable`, the same
answer as for a target the introducer does not know or marked not
introducible, and the warm-path search skips them. Requests already open are
left alone: the introducer can decline those. PUT and DELETE are idempotent.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit, repository
from service.actors import Actor
from service.deps import Deps
from service.errors import RuleViolation
from service.models import IntroducerNoGo
from service.use_cases.policy import only_self_or_operator
from service.visibility import member_summary


class _Chain(Protocol):
    @property
    def via(self) -> tuple[str, ...]: ...


C = TypeVar("C", bound=_Chain)


def is_no_go(session: Session, introducer_id: str, target_id: str) -> bool:
    return session.get(IntroducerNoGo, (introducer_id, target_id)) is not None


def no_go_targets(session: Session, introducer_ids: set[str]) -> set[tuple[str, str]]:
    """(introducer, target) pairs on the no-go lists of `introducer_ids`."""
    if not introducer_ids:
        return set()
    rows = session.execute(
        select(IntroducerNoGo.introducer_id, IntroducerNoGo.target_id).where(
            IntroducerNoGo.introducer_id.in_(introducer_ids)
        )
    ).all()
    return {(r.introducer_id, r.target_id) for r in rows}


def list_no_go(deps: Deps, actor: Actor, member_id: str) -> dict[str, Any]:
    """The introducer's no-go list, by name."""
    only_self_or_operator(actor, member_id)
    with deps.uow() as uow:
        session = uow.session
        repository.get_member(session, actor.workspace_id, member_id)
        rows = session.scalars(
            select(IntroducerNoGo).where(IntroducerNoGo.introducer_id == member_id)
        ).all()
        people = repository.members_by_id(session, {r.target_id for r in rows})
        items = [
            {"target": member_summary(people[r.target_id]), "created_at": r.created_at}
            for r in sorted(rows, key=lambda r: (r.created_at, r.target_id))
        ]
    return {"member_id": member_id, "items": items}


def add_no_go(deps: Deps, actor: Actor, member_id: str, target_id: str) -> dict[str, Any]:
    """Put `target_id` on the introducer's no-go list."""
    only_self_or_operator(actor, member_id)
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        repository.get_member(session, actor.workspace_id, member_id)
        target = repository.get_member(session, actor.workspace_id, target_id)
        if target_id == member_id:
            raise RuleViolation("You cannot put yourself on your no-go list.", code="no_go_self")
        row = session.get(IntroducerNoGo, (member_id, target_id))
        if row is None:
            row = IntroducerNoGo(
                introducer_id=member_id,
                target_id=target_id,
                workspace_id=actor.workspace_id,
                created_at=now,
            )
            session.add(row)
            audit.record(
                session, actor, "no_go.added", now, subject_member_id=member_id,
                detail={"target_id": target_id},
            )  # fmt: skip
        view = {"target": member_summary(target), "created_at": row.created_at}
        uow.commit()
    return view


def remove_no_go(deps: Deps, actor: Actor, member_id: str, target_id: str) -> None:
    """Take `target_id` off the introducer's no-go list (no error if absent)."""
    only_self_or_operator(actor, member_id)
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        repository.get_member(session, actor.workspace_id, member_id)
        row = session.get(IntroducerNoGo, (member_id, target_id))
        if row is not None:
            session.delete(row)
            audit.record(
                session, actor, "no_go.removed", now, subject_member_id=member_id,
                detail={"target_id": target_id},
            )  # fmt: skip
        uow.commit()


def without_no_go(session: Session, chains: list[C], target_id: str) -> list[C]:
    """Drop warm-path chains with a step onto someone its introducer never introduces to."""
    pairs = no_go_targets(session, {i for c in chains for i in c.via})
    return [
        c
        for c in chains
        if not any(
            (c.via[k], c.via[k + 1] if k + 1 < len(c.via) else target_id) in pairs
            for k in range(len(c.via))
        )
    ]
