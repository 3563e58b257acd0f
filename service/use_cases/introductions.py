"""Use cases of the introduction workflow: request, consent, decline, opt in, withdraw, expire."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit, neutral, repository, target_rules
from service.actors import Actor, system_actor
from service.assessment import screen_request
from service.deps import Deps
from service.disclosures import carries_contacts, record_view_disclosures
from service.errors import Conflict, Forbidden, IllegalTransition, RuleViolation
from service.introduction_pages import PageQuery, cursor_key, page_statement
from service.models import Introduction, Member, new_id
from service.notifications import notify
from service.pagination import Page, page_from_rows
from service.states import OPEN_STATES, Event, Role, State, check_actor, next_state
from service.suppression import is_suppressed
from service.use_cases.no_go import is_no_go
from service.visibility import (
    NOT_MADE,
    held_for,
    introduction_view,
    roles_of,
    sees_not_made,
)

OPEN_VALUES = [s.value for s in OPEN_STATES]


@dataclass(frozen=True)
class NewRequest:
    introducer_id: str
    target_id: str
    reason: str
    blurb: str
    topics: list[str] = field(default_factory=list)


def _require_member(actor: Actor) -> str:
    if actor.member_id is None:
        raise Forbidden(
            "This action is taken by a member: send the Acting-Member header.",
            code="acting_member_required",
        )
    return actor.member_id


def _view_of(session: Session, actor: Actor, intro: Introduction, at: datetime) -> dict[str, Any]:
    """The actor's view of `intro` (its people are usually loaded already)."""
    members = repository.members_by_id(
        session, {intro.requester_id, intro.introducer_id, intro.target_id}
    )
    return introduction_view(actor, intro, members, now=at)


def _view(session: Session, actor: Actor, intro: Introduction, at: datetime) -> dict[str, Any]:
    """The actor's view of `intro`; contacts it carries are audited as disclosures
    in this transaction."""
    view = _view_of(session, actor, intro, at)
    if actor.channel == "api":
        # Link pages show no contact details; the connected email is audited on its own.
        record_view_disclosures(session, actor, [view], at)
    return view


def request_introduction(deps: Deps, actor: Actor, req: NewRequest) -> dict[str, Any]:
    """The acting member asks `introducer` for an introduction to `target`."""
    requester_id = _require_member(actor)
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        # The three people and the three edges the checks read, in two statements.
        repository.members_by_id(session, {requester_id, req.introducer_id, req.target_id})
        repository.load_relationships(
            session,
            {
                (requester_id, req.introducer_id),
                (req.introducer_id, req.target_id),
                (req.introducer_id, requester_id),
            },
        )
        requester = repository.get_member(session, actor.workspace_id, requester_id)
        open_requests = _check_new_request(session, deps, requester, req)
        risk = screen_request(
            session, requester=requester, introducer_id=req.introducer_id,
            target_id=req.target_id, now=now, cooldown=deps.settings.decline_cooldown,
            open_requests=open_requests,
        )  # fmt: skip
        intro = Introduction(
            id=new_id("intro"),
            workspace_id=actor.workspace_id,
            requester_id=requester.id,
            introducer_id=req.introducer_id,
            target_id=req.target_id,
            reason=req.reason,
            blurb=req.blurb,
            topics=sorted({target_rules.normalise_topic(t) for t in req.topics} - {""}),
            state=State.REQUESTED.value,
            state_version=1,
            consent_deadline=now + deps.settings.consent_window,
            created_at=now,
            updated_at=now,
            risk_level=risk.level,
            risk_score=risk.score,
            risk_reasons=risk.reasons,
        )
        session.add(intro)
        try:
            session.flush()
        except IntegrityError:
            # The partial unique index caught a concurrent duplicate.
            raise _duplicate() from None
        audit.record(
            session, actor, "introduction.requested", now,
            introduction_id=intro.id, to_state=intro.state,
        )  # fmt: skip
        notify(session, deps, intro, "requested", now, risk=risk.as_dict())
        view = _view(session, actor, intro, now)
        uow.commit()
    return view


def _duplicate() -> RuleViolation:
    return RuleViolation(
        "You already have an open request for an introduction to this person.",
        code="duplicate_open_request",
    )


def _check_new_request(session: Session, deps: Deps, requester: Member, req: NewRequest) -> int:
    """Refuse a request that breaks a rule; returns how many of the requester's
    requests are open (in an open state), for the risk assessment.

    (The repository pins the members it loads for the session's life, so the
    risk, emails and view below reuse them without more queries.)"""
    ws = requester.workspace_id
    errors: dict[str, list[str]] = {}
    introducer = repository.find_member(session, ws, req.introducer_id)
    target = repository.find_member(session, ws, req.target_id)
    if introducer is None:
        errors["introducer_id"] = ["No such member in this workspace."]
    if target is None:
        errors["target_id"] = ["No such member in this workspace."]
    if introducer is None or target is None:
        raise RuleViolation("Unknown member.", code="unknown_member", errors=errors)
    if len({requester.id, req.introducer_id, req.target_id}) != 3:
        raise RuleViolation(
            "Requester, introducer and target must be three different members.",
            code="members_not_distinct",
        )
    if repository.get_relationship(session, requester.id, req.introducer_id) is None:
        raise RuleViolation(
            "You can only ask someone you have a relationship with.",
            code="no_relationship_with_introducer",
        )
    edge = repository.get_relationship(session, req.introducer_id, req.target_id)
    never = target is not None and is_suppressed(
        session, deps.settings.suppression_keys, target.contact_email
    )
    if (
        edge is None
        or not edge.introducible
        or never
        or is_no_go(session, req.introducer_id, req.target_id)
    ):
        # One code for "does not know them", "not introducible", the introducer's
        # no-go list and the target's "never": the requester must not learn how the
        # introducer rates or shields the target, nor what the target asked for.
        raise RuleViolation(
            "This introducer cannot introduce you to this person.",
            code="target_not_reachable",
        )
    now = deps.clock.now()
    rows = session.scalars(
        select(Introduction).where(
            Introduction.requester_id == requester.id,
            Introduction.state.in_(OPEN_VALUES) | (Introduction.notice_at > now),
        )
    ).all()
    # A request whose neutral outcome is still held counts as open (service.neutral).
    open_rows = [i for i in rows if i.state in OPEN_VALUES or neutral.held_open(i, now)]
    if any(row.target_id == req.target_id for row in open_rows):
        raise _duplicate()
    if len(open_rows) >= deps.settings.open_request_cap:
        raise RuleViolation(
            f"You have {len(open_rows)} open requests; wait for one to finish before asking again.",
            code="open_request_cap_reached",
        )
    return sum(1 for i in rows if i.state in OPEN_VALUES)


def get_introduction(deps: Deps, actor: Actor, intro_id: str) -> dict[str, Any]:
    now = deps.clock.now()
    with deps.reads() as reads:
        intro = repository.get_visible_introduction(reads.session, actor, intro_id)
        view = _view_of(reads.session, actor, intro, now)
    _audit_disclosures(deps, actor, [view], now)
    return view


def _audit_disclosures(deps: Deps, actor: Actor, views: list[dict[str, Any]], at: datetime) -> None:
    """Write the disclosure rows for contacts these views carry (reads without
    contacts, the most of them, write nothing and open no transaction)."""
    if any(carries_contacts(view) for view in views):
        with deps.uow() as uow:
            record_view_disclosures(uow.session, actor, views, at)
            uow.commit()


def list_introductions(
    deps: Deps,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None = None,
    state: str | None = None,
    member_id: str | None = None,
) -> Page[dict[str, Any]]:
    """Introductions the actor may see, newest first. `state` filters on the real state."""
    viewer = actor.member_id
    stmt, params = page_statement(
        PageQuery(
            workspace_id=actor.workspace_id,
            limit=limit,
            cursor=cursor,
            state=state,
            involved=viewer if viewer is not None else member_id,
            also_involving=member_id if viewer is not None else None,
            target_needs_consent=viewer is not None,
        )
    )
    now = deps.clock.now()
    with deps.reads() as reads:
        rows = list(reads.session.scalars(stmt, params).all())
        rows, next_cursor = page_from_rows(rows, limit, cursor_key)
        ids = {m for i in rows for m in (i.requester_id, i.introducer_id, i.target_id)}
        members = repository.members_by_id(reads.session, ids)
        items = [introduction_view(actor, i, members, now=now) for i in rows]
    _audit_disclosures(deps, actor, items, now)
    return Page(items, next_cursor)


def _transition(
    deps: Deps,
    actor: Actor,
    intro_id: str,
    event: Event,
    *,
    note: str | None = None,
) -> dict[str, Any]:
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        # Look up first: an id from another workspace is a 404 for everyone.
        intro = repository.get_visible_introduction(session, actor, intro_id)
        member_id = _require_member(actor)
        roles = roles_of(actor, intro)
        party = next(iter(roles), None)
        if party is not None and sees_not_made(party, intro):
            # Closed, but they may only know it is not made, or not yet (service.neutral).
            if party.value not in (intro.held_answers or {}) and not held_for(party, intro, now):
                raise IllegalTransition(event.value, NOT_MADE)
            neutral.act_while_held(session, actor, intro, party, event, note, now)
            view = _view(session, actor, intro, now)
            uow.commit()
            return view
        state = State(intro.state)
        target_state = next_state(state, event)
        check_actor(state, event, roles)
        role = next(iter(roles))
        values: dict[str, Any] = {}
        if event is Event.CONSENT and _target_unavailable(session, deps, intro, now):
            neutral.close_unavailable(session, deps, intro, now)
            uow.commit()
            raise target_rules.target_unavailable()
        if event is Event.CONSENT:
            values = {
                "consented_at": now,
                "opt_in_deadline": now + deps.settings.opt_in_window,
                "introducer_note": note,
            }
        elif event is Event.DECLINE:
            values = {"declined_by": role.value, "decline_note": note, "closed_at": now}
            values.update(neutral.hold_values(intro))
        elif event is Event.WITHDRAW:
            values = {"closed_at": now, **neutral.hold_values(intro)}
        if event is Event.OPT_IN:
            target_state = _opt_in(session, intro, role, now)
        else:
            repository.swap_state(session, intro, state, target_state, now, **values)
        audit.record(
            session, actor, f"introduction.{event.value}", now,
            introduction_id=intro.id, subject_member_id=member_id,
            from_state=state.value, to_state=target_state.value,
        )  # fmt: skip
        notify(session, deps, intro, event.value, now, by=role, note=note)
        if target_state is State.CONNECTED:
            audit.record(
                session, system_actor(actor.workspace_id), "introduction.connect", now,
                introduction_id=intro.id, from_state=state.value, to_state=State.CONNECTED.value,
            )  # fmt: skip
            notify(session, deps, intro, "connect", now)
        view = _view(session, actor, intro, now)
        uow.commit()
    return view


def _target_unavailable(session: Session, deps: Deps, intro: Introduction, now: datetime) -> bool:
    """The target's own rules or the suppression list stop this consent (service.target_rules)."""
    if target_rules.broken_rule(session, intro, now) is not None:
        return True
    target = repository.get_member(session, intro.workspace_id, intro.target_id)
    return is_suppressed(session, deps.settings.suppression_keys, target.contact_email)


def _opt_in(session: Session, intro: Introduction, role: Role, now: datetime) -> State:
    """Record one party's opt-in; the second one connects the introduction."""
    column = (
        Introduction.requester_opted_in_at
        if role is Role.REQUESTER
        else Introduction.target_opted_in_at
    )
    result = session.execute(
        update(Introduction)
        .where(
            Introduction.id == intro.id,
            Introduction.state == State.OPTING_IN.value,
            column.is_(None),
        )
        .values({column: now, Introduction.updated_at: now})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(intro)
        if intro.state == State.OPTING_IN.value:
            raise Conflict("You have already opted in.", code="already_opted_in")
        raise Conflict(
            "This introduction changed while you were acting on it; reload and try again.",
            code="concurrent_transition",
        )
    session.refresh(intro)
    if intro.requester_opted_in_at is None or intro.target_opted_in_at is None:
        return State.OPTING_IN
    next_state(State.OPTING_IN, Event.CONNECT)
    repository.swap_state(
        session, intro, State.OPTING_IN, State.CONNECTED, now, connected_at=now, closed_at=now
    )
    return State.CONNECTED


def consent(deps: Deps, actor: Actor, intro_id: str, note: str | None = None) -> dict[str, Any]:
    """The introducer agrees to make the introduction, with an optional note to the target."""
    return _transition(deps, actor, intro_id, Event.CONSENT, note=note)


def decline(deps: Deps, actor: Actor, intro_id: str, note: str | None = None) -> dict[str, Any]:
    """The introducer, or later the requester or target, says no; `note` is for the introducer."""
    return _transition(deps, actor, intro_id, Event.DECLINE, note=note)


def withdraw(deps: Deps, actor: Actor, intro_id: str) -> dict[str, Any]:
    """The requester takes the request back, any time before it is connected."""
    return _transition(deps, actor, intro_id, Event.WITHDRAW)


def opt_in(deps: Deps, actor: Actor, intro_id: str) -> dict[str, Any]:
    """The requester or the target confirms; when both have, contact details are shared."""
    return _transition(deps, actor, intro_id, Event.OPT_IN)


def expire_overdue(deps: Deps, *, batch: int = 200) -> int:
    """Move every open introduction past its deadline to `expired`. Returns how many moved."""
    now = deps.clock.now()
    moved = 0
    with deps.uow() as uow:
        session = uow.session
        due = session.scalars(
            select(Introduction)
            .where(
                (
                    (Introduction.state == State.REQUESTED.value)
                    & (Introduction.consent_deadline <= now)
                )
                | (
                    (Introduction.state == State.OPTING_IN.value)
                    & (Introduction.opt_in_deadline <= now)
                )
            )
            .order_by(Introduction.created_at)
            .limit(batch)
        ).all()
        for intro in due:
            state = State(intro.state)
            nested = session.begin_nested()
            try:
                repository.swap_state(
                    session, intro, state, next_state(state, Event.EXPIRE), now, closed_at=now,
                    **neutral.hold_values(intro),
                )  # fmt: skip
            except Conflict:
                nested.rollback()
                continue
            actor = system_actor(intro.workspace_id)
            audit.record(
                session, actor, "introduction.expire", now,
                introduction_id=intro.id, from_state=state.value, to_state=State.EXPIRED.value,
            )  # fmt: skip
            notify(session, deps, intro, "expire", now)
            nested.commit()
            moved += 1
        uow.commit()
    return moved
