"""One neutral outcome, including its timing.

Whoever did not cause an introduction to stop (the requester for an
introducer's or target's decline or an expiry; the target, once involved, for
the requester's withdrawal, decline or an expiry) learns only that it "won't go
ahead", and not before the deadline of the waiting state it was in. A decline
at 10:00 and an expiry at the deadline therefore look the same: the same
`not_made` state in the API, the same `not_made` email, due at the same moment
(the deadline). Until then they see the waiting state it was in (`held_state`).

Decisions (README-worthy):
- The moment is the deadline itself, not a random delay: an expiry cannot
  happen earlier, so nothing earlier can hide a decline. The cost is that a
  requester may wait the full window (7 days by default) for a "no".
- A party's own action on a held introduction is answered exactly as it would
  have been on the open one and reveals nothing: an opt-in is recorded and
  answered as usual, a withdrawal or a decline is answered as done (the party
  sees `withdrawn`/`declined` from then on) and their own pending neutral email
  is cancelled, as it would not have been sent after their own action either.
  Actions the waiting state would refuse are refused with the error that state
  would give.
- After the deadline, any action is refused as on a `not_made` introduction.
- A held request still counts as open for the requester's duplicate check and
  open-request cap.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from service import audit, repository
from service.actors import Actor, system_actor
from service.deps import Deps
from service.errors import Conflict, IllegalTransition
from service.models import Introduction, OutboxMessage
from service.notifications import notify
from service.states import Event, Role, State, check_actor, next_state
from service.visibility import held_for, sees_not_made


def notice_moment(intro: Introduction) -> datetime:
    """The deadline of the waiting state `intro` is in (call before closing it)."""
    if intro.state == State.OPTING_IN.value and intro.opt_in_deadline is not None:
        return intro.opt_in_deadline
    return intro.consent_deadline


def hold_values(intro: Introduction) -> dict[str, object]:
    """Columns to write with the close, so the neutral outcome is held until the deadline."""
    return {"notice_at": notice_moment(intro), "held_state": intro.state}


def held_open(intro: Introduction, now: datetime) -> bool:
    """The requester still sees `intro` as waiting (and has not answered meanwhile)."""
    return (
        sees_not_made(Role.REQUESTER, intro)
        and held_for(Role.REQUESTER, intro, now)
        and Role.REQUESTER.value not in (intro.held_answers or {})
    )


def act_while_held(
    session: Session,
    actor: Actor,
    intro: Introduction,
    role: Role,
    event: Event,
    note: str | None,
    now: datetime,
) -> None:
    """A party's own action on a held introduction, answered as on the waiting state."""
    answers = dict(intro.held_answers or {})
    if role.value in answers:
        raise IllegalTransition(event.value, answers[role.value]["state"])
    waiting = State(str(intro.held_state))
    next_state(waiting, event)
    check_actor(waiting, event, frozenset({role}))
    if event is Event.OPT_IN:
        attr = "requester_opted_in_at" if role is Role.REQUESTER else "target_opted_in_at"
        if getattr(intro, attr) is not None:
            raise Conflict("You have already opted in.", code="already_opted_in")
        setattr(intro, attr, now)
    else:
        shown = State.DECLINED if event is Event.DECLINE else State.WITHDRAWN
        answers[role.value] = {"state": shown.value, "at": now.isoformat()}
        intro.held_answers = answers
        if note and not intro.decline_note:
            intro.decline_note = note
        # Their own action would not have brought them a neutral note either.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.introduction_id == intro.id,
                OutboxMessage.to_member_id == actor.member_id,
                OutboxMessage.template == "not_made",
                OutboxMessage.status == "queued",
            )
            .values(status="cancelled", last_error="the recipient answered while it was held")
            .execution_options(synchronize_session=False)
        )
    audit.record(
        session, actor, f"introduction.{event.value}", now,
        introduction_id=intro.id, subject_member_id=actor.member_id,
        from_state=waiting.value, to_state=intro.state, detail={"while_held": True},
    )  # fmt: skip
    session.flush()


def close_unavailable(session: Session, deps: Deps, intro: Introduction, now: datetime) -> None:
    """Close a request the target's rules or "never" stop at consent, neutrally."""
    state = State(intro.state)
    new = next_state(state, Event.DECLINE)
    repository.swap_state(
        session, intro, state, new, now,
        declined_by="unavailable", closed_at=now, **hold_values(intro),
    )  # fmt: skip
    audit.record(
        session, system_actor(intro.workspace_id), "introduction.decline", now,
        introduction_id=intro.id, from_state=state.value, to_state=new.value,
        detail={"reason": "target_unavailable"},
    )  # fmt: skip
    notify(session, deps, intro, "decline", now, by=Role.INTRODUCER)
