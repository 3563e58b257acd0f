"""One reminder per waiting state, at about half-time, written by the worker.

Half-time is computed from the configured windows: a request is reminded once
its consent deadline is at most half a consent window away (same for opt-in).
Each reminder is claimed with a conditional UPDATE on `*_reminder_sent_at IS
NULL`, so two workers never remind twice. Reminders reuse the same links as the
first email (same `state_version`), so either email's links work.

An opt-in whose neutral outcome is held back (`service.neutral`) is reminded
like an open one, to the parties it is held from who have not answered: a
missing reminder must not tell them that the other side said no.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from service import audit
from service.actors import system_actor
from service.deps import Deps
from service.models import Introduction
from service.notifications import notify
from service.states import Role, State
from service.visibility import held_for, sees_not_made


def send_due_reminders(deps: Deps, *, batch: int = 200) -> int:
    """Write the reminder emails that are due now. Returns how many introductions."""
    now = deps.clock.now()
    settings = deps.settings
    sent = 0
    with deps.uow() as uow:
        session = uow.session
        sent += _remind(
            session, deps, now, State.REQUESTED, Introduction.consent_deadline,
            Introduction.consent_reminder_sent_at, now + settings.consent_window / 2,
            "remind_consent", batch,
        )  # fmt: skip
        sent += _remind(
            session, deps, now, State.OPTING_IN, Introduction.opt_in_deadline,
            Introduction.opt_in_reminder_sent_at, now + settings.opt_in_window / 2,
            "remind_opt_in", batch,
        )  # fmt: skip
        uow.commit()
    return sent


def _remind(
    session: Session,
    deps: Deps,
    now: datetime,
    state: State,
    deadline: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    reminded: InstrumentedAttribute[datetime | None],
    due_before: datetime,
    what: str,
    batch: int,
) -> int:
    waiting = Introduction.state == state.value
    if state is State.OPTING_IN:
        held = and_(Introduction.held_state == state.value, Introduction.notice_at > now)
        waiting = or_(waiting, held)
    due = session.scalars(
        select(Introduction)
        .where(waiting, reminded.is_(None), deadline > now, deadline <= due_before)
        .order_by(deadline)
        .limit(batch)
    ).all()
    count = 0
    for intro in due:
        claim = session.execute(
            update(Introduction)
            .where(Introduction.id == intro.id, waiting, reminded.is_(None))
            .values({reminded: now})
            .execution_options(synchronize_session=False)
        )
        if claim.rowcount != 1:  # type: ignore[attr-defined]
            continue
        session.refresh(intro)
        skip = _not_to_remind(intro, state, now)
        if skip == {Role.REQUESTER, Role.TARGET}:
            continue
        audit.record(
            session, system_actor(intro.workspace_id), "introduction.remind", now,
            introduction_id=intro.id, detail={"waiting_for": state.value},
        )  # fmt: skip
        notify(session, deps, intro, what, now, by=next(iter(skip), None))
        count += 1
    return count


def _not_to_remind(intro: Introduction, state: State, now: datetime) -> set[Role]:
    """On a held introduction, the parties it is not held from, or who answered."""
    if intro.state == state.value:
        return set()
    answered = intro.held_answers or {}
    return {
        role
        for role in (Role.REQUESTER, Role.TARGET)
        if not (sees_not_made(role, intro) and held_for(role, intro, now)) or role.value in answered
    }
