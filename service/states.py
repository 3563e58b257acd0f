"""The introduction state machine, declared in one table.

`TRANSITIONS` maps (state, event) to the next state, and `ACTORS` says which
party may fire that event from that state. Nothing else in the code decides
whether a transition is legal: use cases ask `next_state` and `may_act`, then
persist the move as a compare-and-swap (see `service.repository.swap_state`).
"""

from __future__ import annotations

from enum import StrEnum

from service.errors import Forbidden, IllegalTransition


class State(StrEnum):
    REQUESTED = "requested"
    OPTING_IN = "opting_in"
    CONNECTED = "connected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Event(StrEnum):
    CONSENT = "consent"
    DECLINE = "decline"
    OPT_IN = "opt_in"
    CONNECT = "connect"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


class Role(StrEnum):
    REQUESTER = "requester"
    INTRODUCER = "introducer"
    TARGET = "target"
    SYSTEM = "system"


TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.REQUESTED, Event.CONSENT): State.OPTING_IN,
    (State.REQUESTED, Event.DECLINE): State.DECLINED,
    (State.REQUESTED, Event.WITHDRAW): State.WITHDRAWN,
    (State.REQUESTED, Event.EXPIRE): State.EXPIRED,
    # One party's opt-in keeps the state; the second one fires CONNECT.
    (State.OPTING_IN, Event.OPT_IN): State.OPTING_IN,
    (State.OPTING_IN, Event.CONNECT): State.CONNECTED,
    (State.OPTING_IN, Event.DECLINE): State.DECLINED,
    (State.OPTING_IN, Event.WITHDRAW): State.WITHDRAWN,
    (State.OPTING_IN, Event.EXPIRE): State.EXPIRED,
}

ACTORS: dict[tuple[State, Event], frozenset[Role]] = {
    (State.REQUESTED, Event.CONSENT): frozenset({Role.INTRODUCER}),
    (State.REQUESTED, Event.DECLINE): frozenset({Role.INTRODUCER}),
    (State.REQUESTED, Event.WITHDRAW): frozenset({Role.REQUESTER}),
    (State.REQUESTED, Event.EXPIRE): frozenset({Role.SYSTEM}),
    (State.OPTING_IN, Event.OPT_IN): frozenset({Role.REQUESTER, Role.TARGET}),
    (State.OPTING_IN, Event.CONNECT): frozenset({Role.SYSTEM}),
    (State.OPTING_IN, Event.DECLINE): frozenset({Role.REQUESTER, Role.TARGET}),
    (State.OPTING_IN, Event.WITHDRAW): frozenset({Role.REQUESTER}),
    (State.OPTING_IN, Event.EXPIRE): frozenset({Role.SYSTEM}),
}

INITIAL = State.REQUESTED
OPEN_STATES = frozenset({State.REQUESTED, State.OPTING_IN})
FINAL_STATES = frozenset({State.CONNECTED, State.DECLINED, State.WITHDRAWN, State.EXPIRED})


def next_state(state: State, event: Event) -> State:
    """The state `event` leads to from `state`, or IllegalTransition."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(event.value, state.value) from None


def check_actor(state: State, event: Event, roles: frozenset[Role]) -> None:
    """Raise Forbidden unless one of `roles` may fire `event` from `state`.

    Call after `next_state`, so an illegal event is reported as such first.
    """
    allowed = ACTORS[(state, event)]
    if not roles & allowed:
        raise Forbidden(
            f"Only the {' or '.join(sorted(r.value for r in allowed))} can {event.value} "
            f"an introduction that is {state.value}.",
            code="not_your_action",
        )
