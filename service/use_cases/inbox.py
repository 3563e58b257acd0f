"""Each member's own list: what waits on them, what they wait on, what finished.

Built only from `service.visibility.introduction_view`, so an item shows
exactly what the member may see anywhere else (a held neutral outcome stays
held, the requester sees `not_made`, contacts only when connected).

Decisions:
- Only the member themself (Acting-Member = id) reads their inbox; anyone
  else, the operator included, gets 404 `member_not_found`, as if the inbox
  did not exist.
- `waiting_on_me`: I am the introducer of a `requested` introduction, or the
  requester or target of an `opting_in` one and have not opted in. Everything
  else still open is `waiting_on_others`. Both are ordered by deadline, the
  most urgent first.
- `finished_recently`: closed in the last `days` days (default 30), newest
  first. For `not_made` the finish time shown is the deadline of the waiting
  state it was in, which is the same for a decline and an expiry.
- `age_seconds` is the time since the request; `deadline` is the deadline of
  the state as shown (null once finished).
- At most `MAX_ITEMS` items per list.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from service import repository
from service.actors import Actor
from service.deps import Deps
from service.disclosures import record_view_disclosures
from service.errors import NotFound
from service.models import Introduction
from service.states import OPEN_STATES, State
from service.visibility import introduction_view

DEFAULT_DAYS = 30
MAX_ITEMS = 200
OPEN_VALUES = {s.value for s in OPEN_STATES}


def get_inbox(
    deps: Deps, actor: Actor, member_id: str, *, days: int = DEFAULT_DAYS
) -> dict[str, Any]:
    """The acting member's own inbox: waiting on me, waiting on others, finished recently."""
    if actor.member_id != member_id:
        raise NotFound(f"No member {member_id!r} in this workspace.", code="member_not_found")
    now = deps.clock.now()
    cutoff = now - timedelta(days=days)
    with deps.uow() as uow:
        session = uow.session
        repository.get_member(session, actor.workspace_id, member_id)
        mine = or_(
            Introduction.requester_id == member_id,
            Introduction.introducer_id == member_id,
            (Introduction.target_id == member_id) & Introduction.consented_at.is_not(None),
        )
        recent = or_(
            Introduction.state.in_(OPEN_VALUES),
            Introduction.closed_at >= cutoff,
            Introduction.consent_deadline >= cutoff,
            Introduction.opt_in_deadline >= cutoff,
        )
        rows = session.scalars(
            select(Introduction).where(
                Introduction.workspace_id == actor.workspace_id, mine, recent
            )
        ).all()
        ids = {m for i in rows for m in (i.requester_id, i.introducer_id, i.target_id)}
        members = repository.members_by_id(session, ids)
        on_me: list[dict[str, Any]] = []
        on_others: list[dict[str, Any]] = []
        finished: list[dict[str, Any]] = []
        for intro in rows:
            view = introduction_view(actor, intro, members, now=now)
            item = _item(view, now)
            if view["state"] in OPEN_VALUES:
                (on_me if _waits_on_me(view) else on_others).append(item)
            elif item["finished_at"] is not None and item["finished_at"] >= cutoff:
                finished.append(item)
        on_me.sort(key=lambda i: (i["deadline"], i["introduction"]["id"]))
        on_others.sort(key=lambda i: (i["deadline"], i["introduction"]["id"]))
        finished.sort(key=lambda i: (i["finished_at"], i["introduction"]["id"]), reverse=True)
        result = {
            "member_id": member_id,
            "days": days,
            "waiting_on_me": on_me[:MAX_ITEMS],
            "waiting_on_others": on_others[:MAX_ITEMS],
            "finished_recently": finished[:MAX_ITEMS],
        }
        shown = [i["introduction"] for lst in result.values() if isinstance(lst, list) for i in lst]
        if record_view_disclosures(session, actor, shown, now):
            uow.commit()
    return result


def _waits_on_me(view: dict[str, Any]) -> bool:
    role, state = view["your_role"], view["state"]
    if state == State.REQUESTED.value:
        return bool(role == "introducer")
    return role in ("requester", "target") and not view["opted_in"].get(role, False)


def _item(view: dict[str, Any], now: datetime) -> dict[str, Any]:
    state = view["state"]
    deadline = None
    if state == State.REQUESTED.value:
        deadline = view["consent_deadline"]
    elif state == State.OPTING_IN.value:
        deadline = view["opt_in_deadline"]
    finished_at = None
    if state not in OPEN_VALUES:
        finished_at = view["closed_at"] or (
            view["opt_in_deadline"] if view["consented_at"] else view["consent_deadline"]
        )
    return {
        "introduction": view,
        "age_seconds": max(0, int((now - view["created_at"]).total_seconds())),
        "deadline": deadline,
        "finished_at": finished_at,
    }
