"""Data protection: a member's export, their erasure, and the disclosure log.

Erasure (`erase_member`) runs in one transaction:
1. open introductions the member is part of are closed (withdrawn when they
   asked, declined otherwise) and the other people involved get the neutral
   "won't go ahead" note, which names nobody;
2. every text of their introductions (reason, blurb, notes) is emptied, so the
   introductions survive only as anonymised rows for the counts;
3. emails queued to them are cancelled, and every stored email addressed to
   them or about their introductions has its address and body removed;
4. feedback comments on their introductions are emptied (ratings stay for
   the counts); their relationships, both ways, are deleted; stored idempotent responses
   that mention them are deleted;
5. the member row becomes a pseudonym: the id stays (so counts and the audit
   log still add up) and every personal field is emptied; `erased_at` is set.
The audit log holds ids and actions, never personal data, so it is not
rewritten: the pseudonymised member row is what replaces the person (on
PostgreSQL the audit table refuses UPDATE and DELETE). The erasure itself is
audited as `member.erased` with no erased data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from service import audit, neutral, repository
from service.actors import Actor, system_actor
from service.deps import Deps
from service.disclosures import ACTION as DISCLOSED
from service.errors import Forbidden, NotFound
from service.models import (
    AuditEvent,
    Feedback,
    IdempotencyRecord,
    Introduction,
    Member,
    OutboxMessage,
    Relationship,
)
from service.outbox import enqueue_email
from service.pagination import Page, page_from_rows, paginate
from service.states import OPEN_STATES, Event, State, next_state
from service.visibility import can_see, contact_of, introduction_view
from service.webhooks import MEMBER_ERASED, introduction_event, publish

ERASED_NAME = "Erased member"
# An operator's deliberate reveal on the admin page (service.use_cases.admin_members).
REVEALED_BY_ADMIN = "contact.revealed"
ERASED_TEXT = ""


def _self_or_operator(actor: Actor, member_id: str) -> None:
    if not actor.is_operator and actor.member_id != member_id:
        raise NotFound(f"No member {member_id!r} in this workspace.", code="member_not_found")


def _live_member(session: Session, actor: Actor, member_id: str) -> Member:
    member = repository.get_member(session, actor.workspace_id, member_id)
    if member.erased_at is not None:
        raise NotFound(f"Member {member_id!r} was erased.", code="member_erased")
    return member


def export_member(deps: Deps, actor: Actor, member_id: str) -> dict[str, Any]:
    """Everything held about the member, as they (or the operator) may see it."""
    _self_or_operator(actor, member_id)
    with deps.uow() as uow:
        session = uow.session
        member = _live_member(session, actor, member_id)
        as_member = Actor(workspace_id=actor.workspace_id, member_id=member.id, channel="export")
        outgoing = session.scalars(
            select(Relationship).where(Relationship.from_member_id == member.id)
        ).all()
        incoming = session.execute(
            select(Relationship.from_member_id, Member.name)
            .join(Member, Member.id == Relationship.from_member_id)
            .where(Relationship.to_member_id == member.id)
        ).all()
        intros = session.scalars(
            select(Introduction)
            .where(repository.involving(member.id))
            .order_by(Introduction.created_at)
        ).all()
        ids = {m for i in intros for m in (i.requester_id, i.introducer_id, i.target_id)}
        people = repository.members_by_id(session, ids)
        events = session.scalars(
            select(AuditEvent)
            .where(
                or_(
                    AuditEvent.subject_member_id == member.id,
                    AuditEvent.actor == f"member:{member.id}",
                )
            )
            .order_by(AuditEvent.created_at)
        ).all()
        given = session.scalars(
            select(Feedback).where(Feedback.author_id == member.id).order_by(Feedback.created_at)
        ).all()
        return {
            "feedback_given": [
                {
                    "introduction_id": f.introduction_id,
                    "rating": f.rating,
                    "comment": f.comment,
                    "created_at": f.created_at,
                    "updated_at": f.updated_at,
                }
                for f in given
            ],  # fmt: skip
            "member": {
                "id": member.id,
                "external_ref": member.external_ref,
                "name": member.name,
                "headline": member.headline,
                "contact": contact_of(member),
                "created_at": member.created_at,
                "updated_at": member.updated_at,
            },
            "relationships": {
                "outgoing": [
                    {
                        "to_id": r.to_member_id,
                        "trust": r.trust,
                        "introducible": r.introducible,
                        "context": r.context,
                    }
                    for r in outgoing
                ],  # fmt: skip
                # Others' trust in them is the others' data: only who, never how much.
                "incoming": [{"from_id": row[0], "from_name": row[1]} for row in incoming],
            },
            "introductions": [
                introduction_view(as_member, i, people) for i in intros if can_see(as_member, i)
            ],
            "audit_events": [_event_view(e) for e in events],
        }


def _event_view(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "action": event.action,
        "actor": event.actor,
        "channel": event.channel,
        "introduction_id": event.introduction_id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "detail": event.detail,
        "created_at": event.created_at,
    }


def list_disclosures(
    deps: Deps, actor: Actor, member_id: str, *, limit: int, cursor: str | None = None
) -> Page[dict[str, Any]]:
    """Who saw this member's contact details, newest first (operator only): API
    responses, connected emails and admin reveals."""
    if not actor.is_operator:
        raise Forbidden("Only the workspace operator can list disclosures.", code="operator_only")
    stmt = select(AuditEvent).where(
        AuditEvent.subject_member_id == member_id,
        AuditEvent.action.in_([DISCLOSED, REVEALED_BY_ADMIN]),
    )
    stmt = paginate(stmt, AuditEvent.created_at, AuditEvent.id, cursor, limit)
    with deps.uow() as uow:
        repository.get_member(uow.session, actor.workspace_id, member_id)
        rows = list(uow.session.scalars(stmt).all())
    rows, next_cursor = page_from_rows(rows, limit, lambda e: (e.created_at, e.id))
    return Page([_event_view(e) for e in rows], next_cursor)


def erase_member(deps: Deps, actor: Actor, member_id: str) -> None:
    """Erase a member's personal data (operator only); see the module docstring."""
    if not actor.is_operator:
        raise Forbidden("Only the workspace operator can erase members.", code="operator_only")
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        member = _live_member(session, actor, member_id)
        intros = session.scalars(select(Introduction).where(repository.involving(member.id))).all()
        intro_ids = [i.id for i in intros]
        _scrub_outbox(session, member.id, intro_ids)
        for intro in intros:
            if State(intro.state) in OPEN_STATES:
                _close_for_erasure(session, deps, intro, member.id, now)
        if intro_ids:
            session.execute(
                update(Introduction)
                .where(Introduction.id.in_(intro_ids))
                .values(
                    reason=ERASED_TEXT,
                    blurb=ERASED_TEXT,
                    introducer_note=None,
                    decline_note=None,
                    # The assessment's reasons name the people involved.
                    risk_reasons=None,
                )
                .execution_options(synchronize_session=False)
            )
        if intro_ids:
            # Ratings stay for the counts; the private words go.
            session.execute(
                update(Feedback)
                .where(Feedback.introduction_id.in_(intro_ids))
                .values(comment=None)
                .execution_options(synchronize_session=False)
            )
        session.execute(
            delete(Relationship).where(
                or_(
                    Relationship.from_member_id == member.id, Relationship.to_member_id == member.id
                )
            )
        )
        session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.response_body.contains(member.id))
        )
        member.name = ERASED_NAME
        member.headline = ""
        member.external_ref = f"erased:{member.id}"
        member.contact_email = f"erased-{member.id.lower()}@invalid"
        member.contact_phone = None
        member.contact_links = []
        member.erased_at = now
        member.updated_at = now
        audit.record(session, actor, "member.erased", now, subject_member_id=member.id)
        publish(session, actor.workspace_id, MEMBER_ERASED, {"member_id": member.id}, now)
        uow.commit()


def _scrub_outbox(session: Session, member_id: str, intro_ids: list[str]) -> None:
    to_them = OutboxMessage.to_member_id == member_id
    session.execute(
        update(OutboxMessage)
        .where(to_them, OutboxMessage.status.in_(["queued", "sending"]))
        .values(status="cancelled", last_error="recipient erased")
        .execution_options(synchronize_session=False)
    )
    about_them = (
        or_(to_them, OutboxMessage.introduction_id.in_(intro_ids)) if intro_ids else to_them
    )
    session.execute(
        update(OutboxMessage)
        .where(about_them)
        .values(subject="[erased]", body_text="[erased]", body_html="[erased]")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboxMessage)
        .where(to_them)
        .values(to_addr="erased@invalid")
        .execution_options(synchronize_session=False)
    )


def _close_for_erasure(
    session: Session, deps: Deps, intro: Introduction, member_id: str, now: datetime
) -> None:
    state = State(intro.state)
    event = Event.WITHDRAW if intro.requester_id == member_id else Event.DECLINE
    new = next_state(state, event)
    # The requester and target learn of it as of any other close: neutrally, at the
    # deadline (service.neutral), so an erasure cannot be told from a decline.
    values: dict[str, Any] = {"closed_at": now, **neutral.hold_values(intro)}
    if event is Event.DECLINE:
        values["declined_by"] = "erasure"
    repository.swap_state(session, intro, state, new, now, **values)
    actor = system_actor(intro.workspace_id)
    audit.record(
        session, actor, f"introduction.{event.value}", now,
        introduction_id=intro.id, from_state=state.value, to_state=new.value,
        detail={"reason": "member erased"},
    )  # fmt: skip
    introduction_event(session, intro, event.value, now)
    others = {intro.requester_id, intro.introducer_id}
    if intro.consented_at is not None:
        others.add(intro.target_id)
    others.discard(member_id)
    people = repository.members_by_id(session, others)
    for other in people.values():
        due = now if other.id == intro.introducer_id else intro.notice_at
        enqueue_email(session, deps, intro=intro, template="not_made", to=other, at=now, due=due)
