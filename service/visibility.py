"""What each viewer may see. The only place that reads members' contact columns
for output, and the only place that decides what a party learns of an outcome.

Rules (from the brief):
- A member's contact details reach another member only when an introduction
  between the two (as requester and target) is `connected`; the operator (the
  client app, acting without `Acting-Member`) sees contacts of its members when
  it manages them, but never as part of an introduction.
- The requester never learns who declined or why: a declined or expired
  introduction is shown to them as `not_made`, without the closing time. The
  target, once involved, gets the same neutral outcome for anything they did
  not do themselves.
- The decliner's private note goes to the introducer only.
- The risk assessment goes to the introducer and the operator only.
- The target does not see an introduction at all until the introducer consented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.actors import Actor
from service.models import Introduction, Member
from service.states import Role, State

NOT_MADE = "not_made"


def contact_of(member: Member) -> dict[str, Any]:
    return {
        "email": member.contact_email,
        "phone": member.contact_phone,
        "links": list(member.contact_links or []),
    }


def member_view(member: Member, *, with_contact: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": member.id,
        "external_ref": member.external_ref,
        "name": member.name,
        "headline": member.headline,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }
    if with_contact:
        view["contact"] = contact_of(member)
    return view


def member_summary(member: Member, *, with_contact: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"id": member.id, "name": member.name, "headline": member.headline}
    if with_contact:
        view["contact"] = contact_of(member)
    return view


def roles_of(actor: Actor, intro: Introduction) -> frozenset[Role]:
    if actor.member_id is None:
        return frozenset()
    roles = set()
    if actor.member_id == intro.requester_id:
        roles.add(Role.REQUESTER)
    if actor.member_id == intro.introducer_id:
        roles.add(Role.INTRODUCER)
    if actor.member_id == intro.target_id:
        roles.add(Role.TARGET)
    return frozenset(roles)


def can_see(actor: Actor, intro: Introduction) -> bool:
    if actor.workspace_id != intro.workspace_id:
        return False
    if actor.is_operator:
        return True
    roles = roles_of(actor, intro)
    if roles & {Role.REQUESTER, Role.INTRODUCER}:
        return True
    return Role.TARGET in roles and intro.consented_at is not None


def held_for(role: Role | None, intro: Introduction, now: datetime | None) -> bool:
    """True while the neutral outcome is held back from `role` (service.neutral).

    Without `now` the outcome stays held: never reveal it early by omission.
    """
    if intro.notice_at is None or role not in (Role.REQUESTER, Role.TARGET):
        return False
    return (now is None or now < intro.notice_at) and sees_not_made(role, intro)


def sees_not_made(role: Role, intro: Introduction) -> bool:
    """True when `role` is told only the neutral outcome of how `intro` ended."""
    return _real_state_for(role, intro) == NOT_MADE


def _held_answer(role: Role, intro: Introduction) -> dict[str, str] | None:
    return (intro.held_answers or {}).get(role.value)


def _state_for(role: Role | None, intro: Introduction, now: datetime | None = None) -> str:
    shown = _real_state_for(role, intro)
    if shown != NOT_MADE or role is None:
        return shown
    # Their own answer while it was held stays what they see, also after the deadline.
    answer = _held_answer(role, intro)
    if answer:
        return answer["state"]
    return str(intro.held_state) if held_for(role, intro, now) else shown


def _real_state_for(role: Role | None, intro: Introduction) -> str:
    state = State(intro.state)
    if role is None or role is Role.INTRODUCER:
        return state.value
    if state is State.CONNECTED or state in (State.REQUESTED, State.OPTING_IN):
        return state.value
    if intro.declined_by == role.value and state is State.DECLINED:
        return state.value
    if role is Role.REQUESTER and state is State.WITHDRAWN:
        return state.value
    return NOT_MADE


def introduction_view(
    actor: Actor,
    intro: Introduction,
    members: dict[str, Member],
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The introduction as `actor` may see it (call only when `can_see` is true).

    Pass `now`: a held neutral outcome (service.neutral) is revealed only once
    `now` reaches its `notice_at`.
    """
    roles = roles_of(actor, intro)
    # A member is never two parties of one introduction (creation forbids it).
    role = next(iter(roles)) if roles else None
    connected = intro.state == State.CONNECTED.value
    requester = members[intro.requester_id]
    target = members[intro.target_id]
    shown_state = _state_for(role, intro, now)
    closed_at: datetime | None = intro.closed_at
    if shown_state == NOT_MADE:
        closed_at = None
    elif role is not None and sees_not_made(role, intro):
        answer = _held_answer(role, intro)
        closed_at = datetime.fromisoformat(answer["at"]) if answer else None
    view: dict[str, Any] = {
        "id": intro.id,
        "state": shown_state,
        "your_role": role.value if role else None,
        "requester": member_summary(requester, with_contact=connected and role is Role.TARGET),
        "introducer": member_summary(members[intro.introducer_id]),
        "target": member_summary(target, with_contact=connected and role is Role.REQUESTER),
        "blurb": intro.blurb,
        "introducer_note": intro.introducer_note if intro.consented_at else None,
        "created_at": intro.created_at,
        "consent_deadline": intro.consent_deadline,
        "opt_in_deadline": intro.opt_in_deadline,
        "consented_at": intro.consented_at,
        "connected_at": intro.connected_at,
        "closed_at": closed_at,
        "opted_in": _opted_in(role, intro),
    }
    if role is not Role.TARGET:
        # The reason is written for the introducer; the target gets the blurb.
        view["reason"] = intro.reason
        # Topics are checked against the target's rules; the target never sees them.
        view["topics"] = list(intro.topics or [])
    if role is Role.INTRODUCER:
        view["decline_note"] = intro.decline_note
    if role is Role.INTRODUCER or actor.is_operator:
        # The risk assessment is about the requester: never shown to them or the target.
        view["risk"] = risk_of(intro)
    return view


def risk_of(intro: Introduction) -> dict[str, Any] | None:
    if intro.risk_level is None:
        return None
    return {
        "level": intro.risk_level,
        "score": intro.risk_score,
        "reasons": list(intro.risk_reasons or []),
    }


def _opted_in(role: Role | None, intro: Introduction) -> dict[str, bool]:
    flags = {
        "requester": intro.requester_opted_in_at is not None,
        "target": intro.target_opted_in_at is not None,
    }
    if role is Role.REQUESTER:
        return {"requester": flags["requester"]}
    if role is Role.TARGET:
        return {"target": flags["target"]}
    return flags
