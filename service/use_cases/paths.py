"""Warm paths: who could introduce the acting member to a target, best first.

Only the requester themself asks (`GET /v1/members/{id}/paths?to=...` with
Acting-Member = id). A path is a chain of the requester's own relationships
and introducible relationships of others:

- 1 hop: requester -> I -> target, where the requester has a relationship with
  I and I has marked the target introducible.
- 2 hops, only when no 1-hop path exists: requester -> I1 -> I2 -> target, with
  I1 -> I2 and I2 -> target introducible.

Excluded: anyone whose policy would refuse (service.policies: paused, weekly
cap reached, the requester below their minimum trust), and a 1-hop introducer
the requester already asked for this target: the request is open, or it ended
"not made" and the cool-down runs (a held decline looks like an open request).
For the second introducer of a 2-hop chain, the minimum trust is checked
against their trust in the first introducer, who vouches for the requester on
that step.

Strength, in this order: the weakest trust level along the chain (a chain is
as warm as its coldest link), then the introducer's reputation as introducer
(service.reputation; for 2 hops the lower of the two), then the name. Only the
order is returned: no strength number and no trust level set by anyone but the
requester, so neither can be worked back from the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, String, bindparam, select
from sqlalchemy.orm import Session

from service import policies, repository, reputation
from service.actors import Actor
from service.deps import Deps
from service.errors import Forbidden, RuleViolation
from service.models import Introduction, Relationship
from service.states import OPEN_STATES
from service.use_cases.no_go import without_no_go
from service.visibility import member_summary

OPEN_VALUES = [s.value for s in OPEN_STATES]
# 2-hop candidates fetched before ranking; a bound on work for very dense graphs.
MAX_CHAINS = 2000


@dataclass(frozen=True)
class Chain:
    via: tuple[str, ...]
    weakest: int


_rel = Relationship.__table__
_r1, _r2, _r3 = _rel.alias("r1"), _rel.alias("r2"), _rel.alias("r3")
_requester: BindParameter[str] = bindparam("requester", type_=String())
_target: BindParameter[str] = bindparam("target", type_=String())

# Built once: both walk the primary key and ix_relationships_paths (covering).
ONE_HOP = (
    select(_r1.c.to_member_id, _r1.c.trust, _r2.c.trust)
    .join(_r2, (_r2.c.from_member_id == _r1.c.to_member_id) & (_r2.c.to_member_id == _target))
    .where(_r1.c.from_member_id == _requester, _r2.c.introducible.is_(True))
)
TWO_HOP = (
    select(_r1.c.to_member_id, _r2.c.to_member_id, _r1.c.trust, _r2.c.trust, _r3.c.trust)
    .join(_r2, _r2.c.from_member_id == _r1.c.to_member_id)
    .join(_r3, (_r3.c.from_member_id == _r2.c.to_member_id) & (_r3.c.to_member_id == _target))
    .where(
        _r1.c.from_member_id == _requester,
        _r1.c.to_member_id != _target,
        _r2.c.to_member_id != _requester,
        _r2.c.introducible.is_(True),
        _r3.c.introducible.is_(True),
    )
    .limit(MAX_CHAINS)
)


def one_hop(session: Session, requester_id: str, target_id: str) -> list[Chain]:
    """requester -> I -> target."""
    rows = session.execute(ONE_HOP, {"requester": requester_id, "target": target_id}).all()
    return [Chain((i,), min(a, b)) for i, a, b in rows if i != target_id]


def two_hop(session: Session, requester_id: str, target_id: str) -> list[Chain]:
    """requester -> I1 -> I2 -> target (at most MAX_CHAINS candidates)."""
    rows = session.execute(TWO_HOP, {"requester": requester_id, "target": target_id}).all()
    return [Chain((i1, i2), min(a, b, c)) for i1, i2, a, b, c in rows]


def _trust_of(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Trust levels for the given (from, to) pairs that exist."""
    if not pairs:
        return {}
    froms = {a for a, _ in pairs}
    tos = {b for _, b in pairs}
    rows = session.execute(
        select(Relationship.from_member_id, Relationship.to_member_id, Relationship.trust).where(
            Relationship.from_member_id.in_(froms), Relationship.to_member_id.in_(tos)
        )
    ).all()
    return {(a, b): t for a, b, t in rows if (a, b) in pairs}


def _already_asked(
    session: Session, requester_id: str, target_id: str, now: datetime, cooldown: timedelta
) -> set[str]:
    """Introducers of this target the requester has an open request with, or is
    cooling down with: one rule for both, so a held decline looks like a wait."""
    rows = session.scalars(
        select(Introduction.introducer_id).where(
            Introduction.requester_id == requester_id,
            Introduction.target_id == target_id,
            Introduction.state.in_(OPEN_VALUES) | policies.cooling_down(now, cooldown),
        )
    ).all()
    return set(rows)


def _allowed(
    session: Session, chains: list[Chain], requester_id: str, now: datetime
) -> list[Chain]:
    """Drop chains with a step whose introducer's policy would refuse the asker."""
    # (introducer, asker) for every step: the requester asks the first introducer,
    # the first introducer vouches towards the second.
    steps = {
        (c.via[k], requester_id if k == 0 else c.via[k - 1])
        for c in chains
        for k in range(len(c.via))
    }
    introducers = {i for i, _ in steps}
    found = policies.policies_of(session, introducers)
    capped = {m for m, p in found.items() if p.max_requests_per_week is not None}
    week = policies.requests_this_week(session, capped, now)
    trust = _trust_of(session, steps)
    ok = {
        (i, asker)
        for i, asker in steps
        if policies.allows(found[i], trust.get((i, asker)), week.get(i, 0))
    }
    return [
        c
        for c in chains
        if all(
            (c.via[k], requester_id if k == 0 else c.via[k - 1]) in ok for k in range(len(c.via))
        )
    ]


def find_paths(
    deps: Deps, actor: Actor, requester_id: str, target_id: str, *, limit: int = 10
) -> dict[str, Any]:
    """Ranked warm paths from the acting member to `target_id` (see the module docstring)."""
    if actor.member_id != requester_id:
        raise Forbidden(
            "Only the member themself can look for their paths: act as them.",
            code="not_yourself",
        )
    if target_id == requester_id:
        raise RuleViolation(
            "Ask for paths to someone else.",
            code="members_not_distinct",
            errors={"to": ["Must be another member."]},
        )
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        repository.get_member(session, actor.workspace_id, requester_id)
        repository.get_member(session, actor.workspace_id, target_id)
        asked = _already_asked(
            session, requester_id, target_id, now, deps.settings.decline_cooldown
        )
        chains = [c for c in one_hop(session, requester_id, target_id) if c.via[0] not in asked]
        chains = without_no_go(session, _allowed(session, chains, requester_id, now), target_id)
        hops = 1
        if not chains:
            hops = 2
            chains = _allowed(session, two_hop(session, requester_id, target_id), requester_id, now)
            chains = without_no_go(session, chains, target_id)
        people = {m for c in chains for m in c.via}
        members = repository.members_by_id(session, people)
        reps = reputation.as_introducer(session, people)

        def strength(c: Chain) -> tuple[int, float, tuple[str, ...], tuple[str, ...]]:
            rep = min(reps[m].score for m in c.via)
            return (-c.weakest, -rep, tuple(members[m].name for m in c.via), c.via)

        ranked = sorted(chains, key=strength)[:limit]
        items = [
            {
                "rank": n,
                "hops": hops,
                "via": [member_summary(members[m]) for m in c.via],
            }
            for n, c in enumerate(ranked, start=1)
        ]
    return {"to": target_id, "items": items}
