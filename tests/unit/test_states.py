"""The state machine table: complete, reachable, no traps, and strict about actors."""

from __future__ import annotations

from collections import deque

import pytest

from service.errors import Forbidden, IllegalTransition
from service.states import (
    ACTORS,
    FINAL_STATES,
    INITIAL,
    OPEN_STATES,
    TRANSITIONS,
    Event,
    Role,
    State,
    check_actor,
    next_state,
)

PARTIES = frozenset({Role.REQUESTER, Role.INTRODUCER, Role.TARGET})


def _reachable() -> set[State]:
    seen = {INITIAL}
    queue = deque([INITIAL])
    while queue:
        state = queue.popleft()
        for (source, _event), target in TRANSITIONS.items():
            if source is state and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def test_every_state_is_reachable_from_requested() -> None:
    assert _reachable() == set(State)


def test_every_open_state_can_still_end_and_final_states_are_final() -> None:
    for state in State:
        leaving = {t for (s, _e), t in TRANSITIONS.items() if s is state and t is not state}
        if state in FINAL_STATES:
            assert not leaving, state
        else:
            assert leaving, f"{state} is a dead end"
    assert set(State) == OPEN_STATES | FINAL_STATES
    assert not OPEN_STATES & FINAL_STATES


def test_transitions_are_exactly_the_ones_the_brief_draws() -> None:
    assert TRANSITIONS == {
        (State.REQUESTED, Event.CONSENT): State.OPTING_IN,
        (State.REQUESTED, Event.DECLINE): State.DECLINED,
        (State.REQUESTED, Event.WITHDRAW): State.WITHDRAWN,
        (State.REQUESTED, Event.EXPIRE): State.EXPIRED,
        (State.OPTING_IN, Event.OPT_IN): State.OPTING_IN,
        (State.OPTING_IN, Event.CONNECT): State.CONNECTED,
        (State.OPTING_IN, Event.DECLINE): State.DECLINED,
        (State.OPTING_IN, Event.WITHDRAW): State.WITHDRAWN,
        (State.OPTING_IN, Event.EXPIRE): State.EXPIRED,
    }


@pytest.mark.parametrize(("state", "event"), sorted(TRANSITIONS))
def test_legal_moves_go_where_the_table_says(state: State, event: Event) -> None:
    assert next_state(state, event) is TRANSITIONS[(state, event)]


ILLEGAL = [(s, e) for s in State for e in Event if (s, e) not in TRANSITIONS]


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_every_illegal_move_raises_naming_event_and_state(state: State, event: Event) -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_state(state, event)
    assert raised.value.event == event.value
    assert raised.value.state == state.value
    assert event.value in raised.value.detail and state.value in raised.value.detail
    assert raised.value.code == "illegal_transition"


def test_every_transition_names_who_may_fire_it() -> None:
    assert set(ACTORS) == set(TRANSITIONS)
    assert {
        (State.REQUESTED, Event.CONSENT): {Role.INTRODUCER},
        (State.REQUESTED, Event.DECLINE): {Role.INTRODUCER},
        (State.REQUESTED, Event.WITHDRAW): {Role.REQUESTER},
        (State.REQUESTED, Event.EXPIRE): {Role.SYSTEM},
        (State.OPTING_IN, Event.OPT_IN): {Role.REQUESTER, Role.TARGET},
        (State.OPTING_IN, Event.CONNECT): {Role.SYSTEM},
        (State.OPTING_IN, Event.DECLINE): {Role.REQUESTER, Role.TARGET},
        (State.OPTING_IN, Event.WITHDRAW): {Role.REQUESTER},
        (State.OPTING_IN, Event.EXPIRE): {Role.SYSTEM},
    } == ACTORS


@pytest.mark.parametrize(("state", "event"), sorted(ACTORS))
@pytest.mark.parametrize("role", sorted(Role))
def test_check_actor_follows_the_actor_table(state: State, event: Event, role: Role) -> None:
    if role in ACTORS[(state, event)]:
        check_actor(state, event, frozenset({role}))
        return
    with pytest.raises(Forbidden) as raised:
        check_actor(state, event, frozenset({role}))
    assert raised.value.code == "not_your_action"


def test_nobody_at_all_may_act() -> None:
    with pytest.raises(Forbidden):
        check_actor(State.REQUESTED, Event.CONSENT, frozenset())


def test_no_party_can_expire_or_connect_by_hand() -> None:
    for (_state, event), roles in ACTORS.items():
        if event in (Event.EXPIRE, Event.CONNECT):
            assert not roles & PARTIES
