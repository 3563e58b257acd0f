"""A stateful model of the introduction workflow, driven through HTTP.

Hypothesis runs random sequences of requests, consents, declines, opt-ins,
withdrawals and expiries by random actors among five members (and the
operator), legal and illegal alike. A small model predicts every answer from
`service.states`; after every step the invariants below check what each
member can see through the API and what the outbox holds:

- contact details are visible to exactly the two parties of a `connected`
  introduction (and to the member themself); to nobody else, in no response
  and in no email;
- every transition in the audit log is legal per `service.states`, and the
  real state of each introduction is the one the model predicts;
- every email in the outbox belongs to a transition in the audit log (its
  template and recipient follow from the transition), and none is missing;
- the requester never sees a decline note, who declined, or why: a decline
  by someone else reads `not_made`.

Extension point: later features (feedback, erasure) add a `@rule` for their
action, record its effect on `Model`, and add an `@invariant` for their rule;
`observe()` already gathers every member's view once per step for them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from api import create_app
from api.composition import ENGINE, EXTENSION
from service.clock import FrozenClock
from service.deps import Deps
from service.models import AuditEvent, OutboxMessage
from service.states import ACTORS, OPEN_STATES, TRANSITIONS, Event, Role, State
from service.use_cases.introductions import expire_overdue
from tests.conftest import config_for
from tests.databases import PostgresRunDatabase, SqliteTemplate
from tests.helpers import ApiClient

MEMBERS = 5
ACTIONS = {"consent": Event.CONSENT, "decline": Event.DECLINE,
           "withdraw": Event.WITHDRAW, "opt-in": Event.OPT_IN}  # fmt: skip
CONSENT_DAYS, OPT_IN_DAYS = 7, 14
PARTIES = ["requester", "introducer", "target"]


@dataclass
class Intro:
    id: str
    requester: int
    introducer: int
    target: int
    state: State = State.REQUESTED
    consent_deadline: datetime | None = None
    opt_in_deadline: datetime | None = None
    opted_in: set[Role] = field(default_factory=set)
    declined_by: Role | None = None
    note: str | None = None
    # The neutral outcome is held back until `notice_at` (service.neutral): until
    # then a party who did not cause the close still sees `held_state`.
    held_state: State | None = None
    notice_at: datetime | None = None
    answers: dict[Role, State] = field(default_factory=dict)

    def close(self, new: State, at: datetime) -> None:
        self.held_state = self.state
        self.notice_at = (
            self.opt_in_deadline if self.state is State.OPTING_IN else self.consent_deadline
        )
        self.state = new

    def sees_not_made(self, role: Role | None) -> bool:
        """`role` is told only that it did not go ahead (they did not cause the close)."""
        if role not in (Role.REQUESTER, Role.TARGET) or self.state in OPEN_STATES:
            return False
        if self.state is State.CONNECTED:
            return False
        if self.state is State.DECLINED and self.declined_by is role:
            return False
        return not (role is Role.REQUESTER and self.state is State.WITHDRAWN)

    def held_for(self, role: Role | None, now: datetime) -> bool:
        return (
            self.sees_not_made(role)
            and role not in self.answers
            and self.notice_at is not None
            and now < self.notice_at
        )

    def shown_state(self, role: Role | None, now: datetime) -> str:
        if not self.sees_not_made(role):
            return self.state.value
        assert role is not None
        if role in self.answers:
            return self.answers[role].value
        if self.held_for(role, now):
            assert self.held_state is not None
            return self.held_state.value
        return "not_made"

    def role_of(self, member: int) -> Role | None:
        by_member = {self.requester: Role.REQUESTER, self.introducer: Role.INTRODUCER,
                     self.target: Role.TARGET}  # fmt: skip
        return by_member.get(member)

    def visible_to(self, member: int) -> bool:
        role = self.role_of(member)
        consented = self.opt_in_deadline is not None
        return role in (Role.REQUESTER, Role.INTRODUCER) or (role is Role.TARGET and consented)


@dataclass
class Model:
    intros: dict[str, Intro] = field(default_factory=dict)
    transitions: int = 0
    held_actions: int = 0

    def connected(self, a: int, b: int) -> bool:
        return any(
            i.state is State.CONNECTED and {i.requester, i.target} == {a, b}
            for i in self.intros.values()
        )


def expected_answer(intro: Intro, action: str, actor: int | None, now: datetime) -> int:
    """The status the API must answer, from the transition table alone (on a held
    introduction, from the waiting state the party still sees)."""
    if actor is None:
        return 403  # transitions are taken by members
    if not intro.visible_to(actor):
        return 404
    event = ACTIONS[action]
    role = intro.role_of(actor)
    state = intro.state
    if intro.sees_not_made(role):
        if not intro.held_for(role, now):
            return 409
        assert intro.held_state is not None
        state = intro.held_state
    if (state, event) not in TRANSITIONS:
        return 409
    if role not in ACTORS[(state, event)]:
        return 403
    if event is Event.OPT_IN and role in intro.opted_in:
        return 409
    return 200


def expected_emails(
    events: list[AuditEvent], parties: dict[str, Intro], ids: list[str]
) -> Counter[tuple[str, str, str]]:
    """(introduction, template, recipient) of every email the audited transitions write."""
    expected: Counter[tuple[str, str, str]] = Counter()
    # A consent always comes before a close, so the order of events does not matter.
    consented = {e.introduction_id for e in events if e.action == "introduction.consent"}
    for ev in events:
        intro = parties.get(ev.introduction_id or "")
        if intro is None or (ev.detail or {}).get("while_held"):
            continue  # an answer to a held introduction writes no email
        who = {Role.REQUESTER: ids[intro.requester], Role.INTRODUCER: ids[intro.introducer],
               Role.TARGET: ids[intro.target]}  # fmt: skip
        by = next((r for r, m in who.items() if m == ev.subject_member_id), None)
        what = ev.action.removeprefix("introduction.")

        def send(template: str, role: Role, intro_id: str = intro.id, who: Any = who) -> None:
            expected[(intro_id, template, who[role])] += 1

        if what == "requested":
            send("ask_introducer", Role.INTRODUCER)
        elif what == "consent":
            send("invite_target", Role.TARGET)
            send("confirm_requester", Role.REQUESTER)
        elif what == "connect":
            send("connected", Role.REQUESTER)
            send("connected", Role.TARGET)
            send("connected_introducer", Role.INTRODUCER)
        elif what in ("decline", "withdraw", "expire"):
            if by is not Role.REQUESTER:
                send("not_made", Role.REQUESTER)
            if intro.id in consented and by is not Role.TARGET:
                send("not_made", Role.TARGET)
            if by is not Role.INTRODUCER:
                send("closed_introducer", Role.INTRODUCER)
    return expected


class WorkflowMachine(RuleBasedStateMachine):
    """Set up by `make_machine` with a fresh database for every example."""

    fresh_url: Callable[[], str]
    tmp_path: Path
    intros = Bundle("intros")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock()
        self.app: Flask = create_app(config_for(self.fresh_url(), self.tmp_path), clock=self.clock)
        self.deps: Deps = self.app.extensions[EXTENSION]
        self.api = ApiClient.for_new_workspace(self.app.test_client(), self.deps)
        self.ids = [self.api.member(f"M{i}", phone=f"+1 555 010{i}") for i in range(MEMBERS)]
        self.contacts = {i: self._contact_strings(i) for i in range(MEMBERS)}
        for a in range(MEMBERS):
            for b in range(MEMBERS):
                if a != b:
                    self.api.trust(self.ids[a], self.ids[b], 4)
        self.model = Model()
        self.notes = 0
        # Members whose pages of each other are re-checked after this step.
        self.touched: set[int] = set(range(MEMBERS))
        # Every response each member got during the current step (see observe()).
        self.seen: dict[int | None, list[str]] = {}

    def teardown(self) -> None:
        self.app.extensions[ENGINE].dispose()

    def _contact_strings(self, i: int) -> list[str]:
        member = self.api.get(f"/v1/members/{self.ids[i]}").json
        contact = member["contact"]  # type: ignore[index]
        return [contact["email"], contact["phone"]]

    def _as(self, member: int | None) -> str | None:
        return None if member is None else self.ids[member]

    def _record(self, member: int | None, text: str) -> None:
        self.seen.setdefault(member, []).append(text)

    # Rules ------------------------------------------------------------------

    @rule(
        target=intros,
        requester=st.integers(0, MEMBERS - 1),
        introducer=st.integers(0, MEMBERS - 1),
        target_member=st.integers(0, MEMBERS - 1),
    )
    def request(self, requester: int, introducer: int, target_member: int) -> Any:
        body = {"introducer_id": self.ids[introducer], "target_id": self.ids[target_member],
                "reason": f"reason from M{requester}", "blurb": "blurb"}  # fmt: skip
        response = self.api.post("/v1/introductions", body, member=self.ids[requester])
        self._record(requester, response.get_data(as_text=True))
        self.touched |= {requester, introducer, target_member}
        now = self.clock.now()
        open_targets = [
            i.target for i in self.model.intros.values()
            if i.requester == requester
            and (i.state in OPEN_STATES or i.held_for(Role.REQUESTER, now))
        ]  # fmt: skip
        must_fail = (
            len({requester, introducer, target_member}) != 3 or target_member in open_targets
        )
        if must_fail:
            assert response.status_code == 422, response.json
        assert response.status_code in (201, 422), response.json
        if response.status_code != 201:
            return multiple()  # nothing new for the bundle
        intro = Intro(str(response.json["id"]), requester, introducer, target_member)  # type: ignore[index]
        intro.consent_deadline = self.clock.now() + timedelta(days=CONSENT_DAYS)
        self.model.intros[intro.id] = intro
        return intro.id

    @rule(
        intro_id=intros,
        action=st.sampled_from(sorted(ACTIONS)),
        actor=st.sampled_from([*PARTIES, *PARTIES, None, *range(MEMBERS)]),
        with_note=st.booleans(),
    )
    def act(self, intro_id: str, action: str, actor: str | int | None, with_note: bool) -> None:
        """Any action by anyone: a party by role, the operator, or any member."""
        intro = self.model.intros[intro_id]
        member = getattr(intro, actor) if isinstance(actor, str) else actor
        self._act(intro_id, action, member, with_note)

    @rule(intro_id=intros, data=st.data())
    def advance(self, intro_id: str, data: st.DataObject) -> None:
        """A legal action by the right party, so that runs get past the first step."""
        intro = self.model.intros[intro_id]
        now = self.clock.now()
        legal = [
            (action, member) for action in sorted(ACTIONS) for member in range(MEMBERS)
            if expected_answer(intro, action, member, now) == 200
        ]  # fmt: skip
        if legal:
            action, member = data.draw(st.sampled_from(legal))
            self._act(intro_id, action, member, data.draw(st.booleans()))

    def _act(self, intro_id: str, action: str, actor: int | None, with_note: bool) -> None:
        intro = self.model.intros[intro_id]
        body: dict[str, Any] = {}
        note = None
        if with_note and action in ("consent", "decline"):
            self.notes += 1
            note = f"private-note-{self.notes}-zq"
            body["note"] = note
        now = self.clock.now()
        expected = expected_answer(intro, action, actor, now)
        note_event(f"{action} from {intro.state.value}: {expected}")
        response = self.api.post(
            f"/v1/introductions/{intro_id}/{action}", body, member=self._as(actor)
        )
        self._record(actor, response.get_data(as_text=True))
        self.touched |= {intro.requester, intro.introducer, intro.target}
        assert response.status_code == expected, (intro, action, actor, response.json)
        if expected != 200:
            return
        assert actor is not None
        role = intro.role_of(actor)
        assert role is not None
        event = ACTIONS[action]
        if intro.sees_not_made(role):
            self._answer_while_held(intro, role, event, note)
            return
        self.model.transitions += 1
        if event is Event.CONSENT:
            intro.opt_in_deadline = self.clock.now() + timedelta(days=OPT_IN_DAYS)
            intro.state = State.OPTING_IN
        elif event is Event.OPT_IN:
            intro.opted_in.add(role)
            if intro.opted_in == {Role.REQUESTER, Role.TARGET}:
                intro.state = State.CONNECTED
                self.model.transitions += 1  # the system's `connect`
        else:
            intro.close(TRANSITIONS[(intro.state, event)], now)
        if event is Event.DECLINE:
            intro.declined_by, intro.note = role, note
        assert response.json["state"] == intro.shown_state(role, now)  # type: ignore[index]

    def _answer_while_held(self, intro: Intro, role: Role, event: Event, note: str | None) -> None:
        self.model.held_actions += 1
        if event is Event.OPT_IN:
            intro.opted_in.add(role)
            return
        intro.answers[role] = State.DECLINED if event is Event.DECLINE else State.WITHDRAWN
        if note and intro.note is None:
            intro.note = note

    @rule(days=st.sampled_from([0, 1, 2, 6, 8, 15]))
    def time_passes(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))
        now = self.clock.now()
        due = [
            i for i in self.model.intros.values()
            if (i.state is State.REQUESTED and i.consent_deadline and i.consent_deadline <= now)
            or (i.state is State.OPTING_IN and i.opt_in_deadline and i.opt_in_deadline <= now)
        ]  # fmt: skip
        assert expire_overdue(self.deps) == len(due)
        for intro in due:
            self.touched |= {intro.requester, intro.introducer, intro.target}
            intro.close(State.EXPIRED, now)
            self.model.transitions += 1

    # What everyone sees -----------------------------------------------------

    def observe(self) -> None:
        """Every viewer's introductions, and the member pages of the people the
        step touched (visibility between two members changes only through an
        introduction between them)."""
        for viewer in [None, *range(MEMBERS)]:
            listed = self.api.get("/v1/introductions?limit=100", member=self._as(viewer))
            assert listed.status_code == 200
            self._record(viewer, listed.get_data(as_text=True))
            shown = {item["id"]: item for item in listed.json["items"]}  # type: ignore[index]
            expected_ids = {
                i.id for i in self.model.intros.values() if viewer is None or i.visible_to(viewer)
            }
            assert set(shown) == expected_ids
            for intro_id in expected_ids:
                self._check_intro_view(viewer, self.model.intros[intro_id], shown[intro_id])
        for viewer in sorted(self.touched):
            members = self.api.get("/v1/members?limit=100", member=self.ids[viewer])
            assert members.status_code == 200
            self._record(viewer, members.get_data(as_text=True))
            for other in sorted(self.touched - {viewer}):
                page = self.api.get(f"/v1/members/{self.ids[other]}", member=self.ids[viewer])
                assert page.status_code == 200
                self._record(viewer, page.get_data(as_text=True))
                connected = self.model.connected(viewer, other)
                assert ("contact" in page.json) == connected, (viewer, other)  # type: ignore[operator]
        self.touched = set()

    def _check_intro_view(self, viewer: int | None, intro: Intro, view: dict[str, Any]) -> None:
        role = None if viewer is None else intro.role_of(viewer)
        now = self.clock.now()
        assert view["state"] == intro.shown_state(role, now), (role, intro)
        if intro.sees_not_made(role) and role not in intro.answers:
            assert view["closed_at"] is None  # nothing tells when, so nothing tells who
        if role is not Role.INTRODUCER:
            assert "decline_note" not in view
        assert "declined_by" not in view
        connected = intro.state is State.CONNECTED
        for side, other_role in (("requester", Role.TARGET), ("target", Role.REQUESTER)):
            assert ("contact" in view[side]) == (connected and role is other_role), (role, side)
        assert "contact" not in view["introducer"]

    # Invariants -------------------------------------------------------------

    @invariant()
    def promises_hold(self) -> None:
        self.observe()
        self._check_contacts_reach_exactly_the_connected_pair()
        self._check_decline_notes_reach_only_the_introducer()
        self._check_every_transition_is_legal_and_audited()
        self.seen = {}

    def _check_contacts_reach_exactly_the_connected_pair(self) -> None:
        for viewer in range(MEMBERS):
            seen = "\n".join(self.seen.get(viewer, []))
            for other in range(MEMBERS):
                if other == viewer:
                    continue
                leaked = [c for c in self.contacts[other] if c in seen]
                if self.model.connected(viewer, other):
                    assert leaked, f"M{viewer} cannot see connected M{other}'s contact"
                else:
                    assert not leaked, f"M{viewer} saw M{other}'s contact {leaked}"
        operator_intros = "\n".join(self.seen.get(None, []))
        for strings in self.contacts.values():
            assert not any(c in operator_intros for c in strings)

    def _check_decline_notes_reach_only_the_introducer(self) -> None:
        for intro in self.model.intros.values():
            if intro.note is None:
                continue
            for viewer in range(MEMBERS):
                if viewer != intro.introducer:
                    seen = "\n".join(self.seen.get(viewer, []))
                    assert intro.note not in seen, f"M{viewer} saw the decline note"

    def _check_every_transition_is_legal_and_audited(self) -> None:
        with self.deps.session_factory() as session:
            events = session.scalars(
                select(AuditEvent)
                .where(AuditEvent.introduction_id.is_not(None))
                .order_by(AuditEvent.created_at, AuditEvent.id)
            ).all()
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
            session.expunge_all()
        held = [e for e in events if (e.detail or {}).get("while_held")]
        assert len(held) == self.model.held_actions
        moves = [
            e for e in events
            if e.action != "introduction.requested" and e.from_state and e not in held
        ]  # fmt: skip
        assert len(moves) == self.model.transitions
        for ev in moves:
            event = Event(ev.action.removeprefix("introduction."))
            to = TRANSITIONS.get((State(ev.from_state), event))
            assert to is not None, f"illegal {event} from {ev.from_state}"
            allowed = {to, State.CONNECTED} if event is Event.OPT_IN else {to}
            assert State(ev.to_state) in allowed
        self._check_outbox(events, rows)

    def _check_outbox(self, events: Any, rows: Any) -> None:
        expected = expected_emails(events, self.model.intros, self.ids)
        actual = Counter((r.introduction_id, r.template, r.to_member_id) for r in rows)
        assert actual == expected
        index = {m: i for i, m in enumerate(self.ids)}
        for row in rows:
            recipient = index[row.to_member_id]
            intro = self.model.intros[row.introduction_id]
            body = row.subject + row.body_text + row.body_html
            if intro.note and recipient != intro.introducer:
                assert intro.note not in body, f"decline note mailed to M{recipient}"
            for other in range(MEMBERS):
                if other == recipient or (row.template == "connected" and
                                          self.model.connected(recipient, other)):  # fmt: skip
                    continue
                assert not any(c in body for c in self.contacts[other]), (
                    f"{row.template} to M{recipient} carries M{other}'s contact"
                )


MAX_EXAMPLES = int(os.environ.get("VOUCH_MODEL_EXAMPLES", "30"))
STEPS = 25


@pytest.fixture
def fresh_url(
    backend: str, sqlite_template: SqliteTemplate, postgres_run: PostgresRunDatabase | None
) -> Iterator[Callable[[], str]]:
    if backend == "postgres":
        assert postgres_run is not None
        yield postgres_run.fresh_url
    else:
        yield sqlite_template.fresh_url


def test_workflow_keeps_its_promises_under_random_actions(
    fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    machine = type(
        "Workflow", (WorkflowMachine,), {"fresh_url": staticmethod(fresh_url), "tmp_path": tmp_path}
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_model_predicts_the_transition_table() -> None:
    """The model's answers come from service.states: a quick sanity check of the model."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    intro = Intro("i", requester=0, introducer=1, target=2, consent_deadline=now)
    assert expected_answer(intro, "consent", 1, now) == 200
    assert expected_answer(intro, "consent", 0, now) == 403
    assert expected_answer(intro, "opt-in", 0, now) == 409
    assert expected_answer(intro, "consent", 2, now) == 404  # target cannot see it yet
    assert expected_answer(intro, "consent", 3, now) == 404
    assert expected_answer(intro, "withdraw", None, now) == 403
    intro.consent_deadline = now + timedelta(days=7)
    intro.declined_by = Role.INTRODUCER
    intro.close(State.DECLINED, now)
    assert intro.shown_state(Role.REQUESTER, now) == "requested"  # held until the deadline
    assert expected_answer(intro, "withdraw", 0, now) == 200
    assert intro.shown_state(Role.REQUESTER, now + timedelta(days=7)) == "not_made"
    assert expected_answer(intro, "withdraw", 0, now + timedelta(days=7)) == 409
    assert json.dumps(expected_emails([], {}, [])) == "{}"
