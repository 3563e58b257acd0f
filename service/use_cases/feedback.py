"""Feedback on a connected introduction, and what a target's negative rating sets off.

Decisions:
- Who: the requester and the target, once the introduction is `connected`, until
  `Settings.feedback_window` after it connected. One rating per person per
  introduction; sending again inside the window replaces it (upsert).
- Comments are private to their author and the operator: never shown to the
  other party nor to the introducer, never in an email.
- A negative rating by the target on the requester, the first time it happens
  for an introduction: the introducer gets a private email, and their trust in
  the requester drops one level (not below 1) unless they "set it again", i.e.
  unless the introducer's relationship to the requester was set (PUT, by them
  or the operator) after the request was made: a judgment made with the
  request in view wins over an automatic drop. Changing the rating later never
  repeats the drop nor restores the trust; positive feedback never raises trust.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit, repository
from service.actors import Actor
from service.deps import Deps
from service.errors import Conflict, Forbidden, RuleViolation
from service.models import AuditEvent, Feedback, Introduction, Relationship, new_id
from service.outbox import enqueue_email
from service.reputation import RATINGS
from service.risk import TRUST_WORDS
from service.states import Role, State
from service.visibility import roles_of
from service.webhooks import introduction_event


def _feedback_view(row: Feedback) -> dict[str, Any]:
    return {
        "introduction_id": row.introduction_id,
        "author_id": row.author_id,
        "author_role": row.author_role,
        "rating": row.rating,
        "comment": row.comment,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def give_feedback(
    deps: Deps, actor: Actor, intro_id: str, rating: str, comment: str | None
) -> dict[str, Any]:
    """The requester or the target rates a connected introduction (creates or replaces)."""
    if rating not in RATINGS:
        raise RuleViolation(
            "rating must be positive, neutral or negative.",
            code="invalid_rating",
            errors={"rating": [f"Must be one of: {', '.join(RATINGS)}."]},
        )
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        intro = repository.get_visible_introduction(session, actor, intro_id)
        role = _author_role(actor, intro)
        _check_window(deps, intro, now)
        row = session.scalar(
            select(Feedback).where(
                Feedback.introduction_id == intro.id, Feedback.author_id == actor.member_id
            )
        )
        if row is None:
            row = Feedback(
                id=new_id("fb"),
                workspace_id=intro.workspace_id,
                introduction_id=intro.id,
                author_id=actor.member_id,
                author_role=role.value,
                created_at=now,
            )
            session.add(row)
        row.rating = rating
        row.comment = comment or None
        row.updated_at = now
        try:
            session.flush()
        except IntegrityError:
            # Two first ratings raced; the other one won and this one may be resent.
            raise Conflict(
                "Your feedback changed while you were sending it; send it again.",
                code="concurrent_feedback",
            ) from None
        audit.record(
            session, actor, "introduction.feedback", now,
            introduction_id=intro.id, subject_member_id=actor.member_id,
            detail={"rating": rating},
        )  # fmt: skip
        introduction_event(session, intro, "feedback", now, party=role.value, rating=rating)
        if role is Role.TARGET and rating == "negative" and row.negative_handled_at is None:
            _handle_negative(session, deps, intro, now)
            row.negative_handled_at = now
        view = _feedback_view(row)
        uow.commit()
    return view


def _author_role(actor: Actor, intro: Introduction) -> Role:
    roles = roles_of(actor, intro) & {Role.REQUESTER, Role.TARGET}
    if not roles:
        raise Forbidden(
            "Only the requester and the target can give feedback on an introduction.",
            code="feedback_not_allowed",
        )
    return next(iter(roles))


def _check_window(deps: Deps, intro: Introduction, now: datetime) -> None:
    if intro.state != State.CONNECTED.value or intro.connected_at is None:
        raise RuleViolation(
            "Feedback can be given once the introduction is connected.",
            code="introduction_not_connected",
        )
    if now > intro.connected_at + deps.settings.feedback_window:
        days = deps.settings.feedback_window.days
        raise RuleViolation(
            f"Feedback is accepted for {days} days after the introduction connected.",
            code="feedback_window_closed",
        )


def _handle_negative(session: Session, deps: Deps, intro: Introduction, now: datetime) -> None:
    """Tell the introducer privately and lower their trust in the requester once."""
    rel = repository.get_relationship(session, intro.introducer_id, intro.requester_id)
    old_trust = rel.trust if rel is not None else None
    lowered = rel is not None and rel.trust > 1 and not _set_since(session, rel, intro)
    if rel is not None and lowered:
        rel.trust -= 1
        rel.updated_at = now
        system = Actor(intro.workspace_id, None, channel="worker", credential="feedback")
        audit.record(
            session, system, "relationship.trust_lowered", now,
            introduction_id=intro.id, subject_member_id=intro.introducer_id,
            detail={"to": intro.requester_id, "from_trust": old_trust, "trust": rel.trust},
        )  # fmt: skip
    people = repository.members_by_id(
        session, {intro.requester_id, intro.introducer_id, intro.target_id}
    )
    enqueue_email(
        session, deps, intro=intro, template="feedback_negative_introducer",
        to=people[intro.introducer_id], at=now,
        requester=people[intro.requester_id], introducer=people[intro.introducer_id],
        target=people[intro.target_id], lowered=lowered,
        old_trust=old_trust, new_trust=rel.trust if rel is not None else None,
        trust_words=TRUST_WORDS,
    )  # fmt: skip


def _set_since(session: Session, rel: Relationship, intro: Introduction) -> bool:
    """Whether the relationship was set (PUT) after the request was made."""
    rows = session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.subject_member_id == rel.from_member_id,
            AuditEvent.action == "relationship.set",
            AuditEvent.created_at > intro.created_at,
        )
    ).all()
    return any(d.get("to") == rel.to_member_id for d in rows)


def list_feedback(deps: Deps, actor: Actor, intro_id: str) -> list[dict[str, Any]]:
    """Feedback on an introduction: all of it for the operator, a member's own otherwise."""
    with deps.uow() as uow:
        session = uow.session
        intro = repository.get_visible_introduction(session, actor, intro_id)
        stmt = select(Feedback).where(Feedback.introduction_id == intro.id)
        if not actor.is_operator:
            stmt = stmt.where(Feedback.author_id == actor.member_id)
        rows = session.scalars(stmt.order_by(Feedback.created_at, Feedback.id)).all()
        return [_feedback_view(r) for r in rows]
