"""Who sees what, on plain model instances (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.actors import Actor
from service.models import Introduction, Member
from service.states import State
from service.visibility import NOT_MADE, can_see, introduction_view, member_view

WS = "ws_1"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
VIEWERS = ("requester", "introducer", "target", "operator", "stranger")


def _member(name: str) -> Member:
    return Member(
        id=f"mem_{name}",
        workspace_id=WS,
        external_ref=name,
        name=name.title(),
        headline="",
        contact_email=f"{name}@example.com",
        contact_phone="+1 555 0100",
        contact_links=[f"https://{name}.example"],
        created_at=T0,
        updated_at=T0,
    )


MEMBERS = {m.id: m for m in map(_member, ("ann", "ben", "tia", "sam"))}
IDS = {"requester": "mem_ann", "introducer": "mem_ben", "target": "mem_tia", "stranger": "mem_sam"}


def _intro(
    state: State, *, consented: bool | None = None, declined_by: str | None = None
) -> Introduction:
    if consented is None:
        consented = state is not State.REQUESTED and declined_by != "introducer"
    closed = state not in (State.REQUESTED, State.OPTING_IN)
    return Introduction(
        id="intro_1",
        workspace_id=WS,
        requester_id="mem_ann",
        introducer_id="mem_ben",
        target_id="mem_tia",
        reason="the reason",
        blurb="the blurb",
        introducer_note="note to the target",
        decline_note="private decline note" if declined_by else None,
        declined_by=declined_by,
        state=state.value,
        state_version=2,
        consent_deadline=T0 + timedelta(days=7),
        opt_in_deadline=T0 + timedelta(days=14) if consented else None,
        consented_at=T0 if consented else None,
        connected_at=T0 if state is State.CONNECTED else None,
        closed_at=T0 if closed else None,
        created_at=T0,
        updated_at=T0,
    )


def _actor(viewer: str, workspace: str = WS) -> Actor:
    return Actor(workspace_id=workspace, member_id=IDS.get(viewer))


def _view(viewer: str, intro: Introduction) -> dict[str, Any]:
    return introduction_view(_actor(viewer), intro, MEMBERS)


@pytest.mark.parametrize("state", list(State))
def test_the_target_sees_nothing_before_consent(state: State) -> None:
    consented = _intro(state, consented=True)
    unconsented = _intro(state, consented=False)
    assert can_see(_actor("target"), consented)
    assert not can_see(_actor("target"), unconsented)
    for viewer in ("requester", "introducer", "operator"):
        assert can_see(_actor(viewer), unconsented) and can_see(_actor(viewer), consented)
    assert not can_see(_actor("stranger"), consented)


def test_nobody_from_another_workspace_sees_it() -> None:
    intro = _intro(State.CONNECTED)
    for viewer in ("operator", "requester"):
        assert not can_see(_actor(viewer, workspace="ws_other"), intro)


# (state, declined_by) -> what requester, introducer, target, operator see.
SHOWN = [
    (State.REQUESTED, None, ("requested", "requested", "requested", "requested")),
    (State.OPTING_IN, None, ("opting_in", "opting_in", "opting_in", "opting_in")),
    (State.CONNECTED, None, ("connected", "connected", "connected", "connected")),
    (State.DECLINED, "introducer", (NOT_MADE, "declined", NOT_MADE, "declined")),
    (State.DECLINED, "target", (NOT_MADE, "declined", "declined", "declined")),
    (State.DECLINED, "requester", ("declined", "declined", NOT_MADE, "declined")),
    (State.WITHDRAWN, None, ("withdrawn", "withdrawn", NOT_MADE, "withdrawn")),
    (State.EXPIRED, None, (NOT_MADE, "expired", NOT_MADE, "expired")),
]


@pytest.mark.parametrize(("state", "declined_by", "expected"), SHOWN)
def test_each_party_sees_the_outcome_it_may_know(
    state: State, declined_by: str | None, expected: tuple[str, ...]
) -> None:
    intro = _intro(state, consented=True, declined_by=declined_by)
    for viewer, shown in zip(
        ("requester", "introducer", "target", "operator"), expected, strict=True
    ):
        view = _view(viewer, intro)
        assert view["state"] == shown, viewer
        if shown == NOT_MADE:
            assert view["closed_at"] is None, "the time would hint at who ended it"
        assert "declined_by" not in view


@pytest.mark.parametrize(("state", "declined_by", "_expected"), SHOWN)
def test_private_texts_reach_only_their_readers(
    state: State, declined_by: str | None, _expected: tuple[str, ...]
) -> None:
    intro = _intro(state, consented=True, declined_by=declined_by)
    for viewer in ("requester", "introducer", "target", "operator"):
        view = _view(viewer, intro)
        text = json.dumps(view, default=str)
        assert ("reason" in view) is (viewer != "target")
        assert ("the reason" in text) is (viewer != "target")
        assert ("decline_note" in view) is (viewer == "introducer")
        if viewer != "introducer":
            assert "private decline note" not in text
        if viewer in ("requester", "target"):
            assert "risk" not in view


@pytest.mark.parametrize("state", list(State))
def test_contacts_only_on_the_counterpart_and_only_when_connected(state: State) -> None:
    intro = _intro(state, consented=True)
    for viewer in ("requester", "introducer", "target", "operator"):
        view = _view(viewer, intro)
        text = json.dumps(view, default=str)
        counterpart = {"requester": "target", "target": "requester"}.get(viewer)
        for role, name in (("requester", "ann"), ("introducer", "ben"), ("target", "tia")):
            shared = state is State.CONNECTED and role == counterpart
            assert ("contact" in view[role]) is shared, (viewer, role)
            assert (f"{name}@example.com" in text) is shared, (viewer, role)
            if shared:
                assert view[role]["contact"] == {
                    "email": f"{name}@example.com",
                    "phone": "+1 555 0100",
                    "links": [f"https://{name}.example"],
                }


def test_the_introducer_note_appears_only_after_consent() -> None:
    assert _view("requester", _intro(State.REQUESTED))["introducer_note"] is None
    assert _view("target", _intro(State.OPTING_IN))["introducer_note"] == "note to the target"


def test_parties_see_only_their_own_opt_in() -> None:
    intro = _intro(State.OPTING_IN)
    intro.target_opted_in_at = T0
    assert _view("requester", intro)["opted_in"] == {"requester": False}
    assert _view("target", intro)["opted_in"] == {"target": True}
    assert _view("introducer", intro)["opted_in"] == {"requester": False, "target": True}
    assert _view("operator", intro)["opted_in"] == {"requester": False, "target": True}


def test_your_role_names_the_viewer() -> None:
    intro = _intro(State.OPTING_IN)
    for viewer in ("requester", "introducer", "target"):
        assert _view(viewer, intro)["your_role"] == viewer
    assert _view("operator", intro)["your_role"] is None


def test_member_view_shows_contact_only_when_asked() -> None:
    ann = MEMBERS["mem_ann"]
    assert "contact" not in member_view(ann, with_contact=False)
    assert "ann@example.com" not in json.dumps(member_view(ann, with_contact=False), default=str)
    assert member_view(ann, with_contact=True)["contact"]["email"] == "ann@example.com"
