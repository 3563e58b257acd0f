"""The whole workflow through HTTP, checking at every step what each person sees.

Five viewers watch every introduction: the requester, the introducer, the
target, the workspace operator (no Acting-Member) and an unrelated fourth
member. At each step `assert_views` checks GET /v1/introductions/{id}, the
list, and GET /v1/members/{id} for every viewer, and scans every body for the
contact details, the reason and the decline note. A party who did not end an
introduction sees it still waiting until that state's deadline, then `not_made`
(service.neutral), so each unhappy path is checked before and at the deadline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from service.clock import FrozenClock
from service.deps import Deps
from service.models import OutboxMessage
from service.use_cases.introductions import expire_overdue
from tests.helpers import ApiClient, Trio

PARTIES = ("requester", "introducer", "target")
VIEWERS = (*PARTIES, "operator", "stranger")
REASON = "REASON-only-for-requester-introducer-and-operator"
DECLINE_NOTE = "DECLINE-NOTE-only-for-the-introducer"
INTRO_NOTE = "INTRODUCER-NOTE-passed-on-after-consent"


@dataclass
class Cast:
    api: ApiClient
    trio: Trio
    stranger: str
    deps: Deps
    contacts: dict[str, list[str]] = field(default_factory=dict)

    def member_of(self, viewer: str) -> str | None:
        if viewer == "operator":
            return None
        if viewer == "stranger":
            return self.stranger
        return self.trio.all[viewer]


@pytest.fixture
def cast(api: ApiClient, trio: Trio, deps: Deps) -> Cast:
    stranger = api.member("Sam", phone="+49 30 1234567")
    # The stranger knows everyone well, so nothing is hidden from them by accident.
    for party in trio.all.values():
        api.trust(stranger, party, 5)
        api.trust(party, stranger, 5)
    result = Cast(api, trio, stranger, deps)
    for role, member_id in trio.all.items():
        contact = api.get(f"/v1/members/{member_id}").json["contact"]
        # The email first; then the phone and links, which any leak would carry too.
        result.contacts[role] = [contact["email"], *filter(None, [contact["phone"]])]
        result.contacts[role] += contact["links"]
    return result


def _request(cast: Cast) -> str:
    response = cast.api.request(cast.trio, reason=REASON)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def _act(cast: Cast, intro: str, action: str, role: str, **body: Any) -> dict[str, Any]:
    response = cast.api.act(intro, action, cast.trio.all[role], body)
    assert response.status_code == 200, response.json
    return dict(response.json)


def _leaked(body: Any, role: str, cast: Cast) -> bool:
    text = body if isinstance(body, str) else json.dumps(body)
    return any(piece in text for piece in cast.contacts[role])


def assert_views(
    cast: Cast,
    intro: str,
    shown: dict[str, str | None],
    *,
    connected: bool = False,
    declined_note: bool = False,
) -> None:
    """`shown[viewer]` is the state the viewer sees, or None for a 404."""
    for viewer in VIEWERS:
        member = cast.member_of(viewer)
        expected = shown.get(viewer)
        one = cast.api.get(f"/v1/introductions/{intro}", member=member)
        listed = cast.api.get("/v1/introductions?limit=100", member=member)
        assert listed.status_code == 200
        ids = [item["id"] for item in listed.json["items"]]
        if expected is None:
            assert one.status_code == 404, (viewer, one.json)
            assert one.json["code"] == "introduction_not_found"
            assert REASON not in one.get_data(as_text=True)
            assert intro not in ids, viewer
            continue
        assert one.status_code == 200, (viewer, one.json)
        assert ids.count(intro) == 1, viewer
        item = next(i for i in listed.json["items"] if i["id"] == intro)
        body = one.json
        assert item == body, f"{viewer}: list and detail disagree"
        assert body["state"] == expected, viewer
        assert body["your_role"] == (viewer if viewer in PARTIES else None)
        assert "declined_by" not in body
        _assert_contacts_in_introduction(cast, viewer, body, connected)
        _assert_private_texts(viewer, body, declined_note)
    _assert_member_pages(cast, connected)
    _assert_emails(cast)


def _assert_emails(cast: Cast) -> None:
    """Every email written so far: contacts only in the `connected` email to the
    counterpart, the decline note only to the introducer, the reason never to the target."""
    role_of = {member_id: role for role, member_id in cast.trio.all.items()}
    with cast.deps.uow() as uow:
        rows = uow.session.scalars(select(OutboxMessage)).all()
        mails = [(r.to_member_id, r.template, r.subject + r.body_text + r.body_html) for r in rows]
    for to_member, template, text in mails:
        reader = role_of.get(to_member or "")
        if reader is None:
            continue  # not an email to a person (a webhook, say)
        counterpart = {"requester": "target", "target": "requester"}.get(reader)
        for role in PARTIES:
            if role == reader:
                continue
            shared = template == "connected" and role == counterpart
            assert _leaked(text, role, cast) is shared, (template, reader, role)
        if reader != "introducer":
            assert DECLINE_NOTE not in text, (template, reader)
        if reader == "target":
            assert REASON not in text, template


def _assert_contacts_in_introduction(
    cast: Cast, viewer: str, body: dict[str, Any], connected: bool
) -> None:
    counterpart = {"requester": "target", "target": "requester"}.get(viewer)
    for role in PARTIES:
        summary = body[role]
        if connected and role == counterpart:
            contact = summary["contact"]
            assert contact["email"] == cast.contacts[role][0], viewer
        else:
            assert "contact" not in summary, (viewer, role)
            assert not _leaked(body, role, cast), (viewer, role)


def _assert_private_texts(viewer: str, body: dict[str, Any], declined_note: bool) -> None:
    text = json.dumps(body)
    if viewer == "target":
        assert "reason" not in body
        assert REASON not in text
    else:
        assert body["reason"] == REASON
    if viewer == "introducer":
        assert body["decline_note"] == (DECLINE_NOTE if declined_note else None)
    else:
        assert "decline_note" not in body
        assert DECLINE_NOTE not in text
    if body["state"] in ("not_made", "requested", "opting_in"):
        assert body["closed_at"] is None, "the closing time hints at who ended it"


def _assert_member_pages(cast: Cast, connected: bool) -> None:
    """GET /v1/members/{id}: contact for the operator, oneself, or a connected counterpart."""
    for viewer in VIEWERS:
        member = cast.member_of(viewer)
        for role, member_id in cast.trio.all.items():
            page = cast.api.get(f"/v1/members/{member_id}", member=member)
            assert page.status_code == 200
            pair = {viewer, role} == {"requester", "target"}
            allowed = viewer == "operator" or viewer == role or (connected and pair)
            assert ("contact" in page.json) is allowed, (viewer, role)
            if not allowed:
                assert not _leaked(page.json, role, cast), (viewer, role)
        listing = cast.api.get("/v1/members?limit=100", member=member)
        for item in listing.json["items"]:
            own = item["id"] == member
            assert ("contact" in item) is (viewer == "operator" or own), viewer


def _everyone(state: str) -> dict[str, str | None]:
    return {"requester": state, "introducer": state, "target": state, "operator": state}


def assert_held_until_deadline(
    cast: Cast,
    clock: FrozenClock,
    intro: str,
    shown: dict[str, str | None],
    held: dict[str, str],
    *,
    declined_note: bool = False,
) -> None:
    """Those who did not end it see the waiting state until its deadline, then `not_made`.

    A decline and an expiry must look the same, timing included (service.neutral).
    """
    operator = cast.api.get(f"/v1/introductions/{intro}").json
    waiting = set(held.values())
    assert len(waiting) == 1
    key = "opt_in_deadline" if waiting == {"opting_in"} else "consent_deadline"
    deadline = datetime.fromisoformat(operator[key])
    assert_views(cast, intro, {**shown, **held}, declined_note=declined_note)
    clock.advance(deadline - clock.now() - timedelta(seconds=1))
    assert_views(cast, intro, {**shown, **held}, declined_note=declined_note)
    clock.advance(timedelta(seconds=1))
    not_made = {viewer: "not_made" for viewer in held}
    assert_views(cast, intro, {**shown, **not_made}, declined_note=declined_note)


def test_happy_path_shares_contacts_only_between_requester_and_target_once_connected(
    cast: Cast,
) -> None:
    intro = _request(cast)
    assert_views(cast, intro, {**_everyone("requested"), "target": None})

    consented = _act(cast, intro, "consent", "introducer", note=INTRO_NOTE)
    assert consented["state"] == "opting_in"
    assert_views(cast, intro, _everyone("opting_in"))
    target_view = cast.api.get(f"/v1/introductions/{intro}", member=cast.trio.target).json
    assert target_view["introducer_note"] == INTRO_NOTE
    assert target_view["opted_in"] == {"target": False}

    assert _act(cast, intro, "opt-in", "target")["state"] == "opting_in"
    assert_views(cast, intro, _everyone("opting_in"))
    requester_view = cast.api.get(f"/v1/introductions/{intro}", member=cast.trio.requester).json
    assert requester_view["opted_in"] == {"requester": False}, "the target's answer is theirs"
    operator_view = cast.api.get(f"/v1/introductions/{intro}").json
    assert operator_view["opted_in"] == {"requester": False, "target": True}

    final = _act(cast, intro, "opt-in", "requester")
    assert final["state"] == "connected"
    assert final["target"]["contact"]["email"] == cast.contacts["target"][0]
    assert final["target"]["contact"]["links"] == ["https://tia.example.com"]
    assert_views(cast, intro, _everyone("connected"), connected=True)


def test_introducer_declines_the_requester_sees_not_made_and_the_target_never_knew(
    cast: Cast, clock: FrozenClock
) -> None:
    intro = _request(cast)
    declined = _act(cast, intro, "decline", "introducer", note=DECLINE_NOTE)
    assert declined["decline_note"] == DECLINE_NOTE
    assert_held_until_deadline(
        cast,
        clock,
        intro,
        {"introducer": "declined", "operator": "declined"},
        {"requester": "requested"},
        declined_note=True,
    )


@pytest.mark.parametrize(("decliner", "other"), [("target", "requester"), ("requester", "target")])
def test_a_party_declining_during_opt_in_is_not_made_for_the_other(
    cast: Cast, clock: FrozenClock, decliner: str, other: str
) -> None:
    intro = _request(cast)
    _act(cast, intro, "consent", "introducer")
    own = _act(cast, intro, "decline", decliner, note=DECLINE_NOTE)
    assert own["state"] == "declined"
    assert "decline_note" not in own, "not even the decliner reads the note back"
    assert_held_until_deadline(
        cast,
        clock,
        intro,
        {decliner: "declined", "introducer": "declined", "operator": "declined"},
        {other: "opting_in"},
        declined_note=True,
    )


def test_target_declining_after_the_requester_opted_in_shares_nothing(
    cast: Cast, clock: FrozenClock
) -> None:
    intro = _request(cast)
    _act(cast, intro, "consent", "introducer")
    _act(cast, intro, "opt-in", "requester")
    _act(cast, intro, "decline", "target")
    assert_held_until_deadline(
        cast,
        clock,
        intro,
        {"target": "declined", "introducer": "declined", "operator": "declined"},
        {"requester": "opting_in"},
    )


def test_requester_withdraws_before_consent_and_the_target_never_knew(cast: Cast) -> None:
    intro = _request(cast)
    assert _act(cast, intro, "withdraw", "requester")["state"] == "withdrawn"
    assert_views(
        cast, intro, {"requester": "withdrawn", "introducer": "withdrawn", "operator": "withdrawn"}
    )


@pytest.mark.parametrize("target_opted_in", [False, True])
def test_requester_withdraws_after_consent_and_the_target_sees_not_made(
    cast: Cast, clock: FrozenClock, target_opted_in: bool
) -> None:
    intro = _request(cast)
    _act(cast, intro, "consent", "introducer")
    if target_opted_in:
        _act(cast, intro, "opt-in", "target")
    assert _act(cast, intro, "withdraw", "requester")["state"] == "withdrawn"
    assert_held_until_deadline(
        cast,
        clock,
        intro,
        {"requester": "withdrawn", "introducer": "withdrawn", "operator": "withdrawn"},
        {"target": "opting_in"},
    )


def test_a_request_nobody_answers_expires_after_the_consent_window(
    cast: Cast, deps: Deps, clock: FrozenClock
) -> None:
    intro = _request(cast)
    clock.advance(deps.settings.consent_window - timedelta(seconds=1))
    assert expire_overdue(deps) == 0
    assert_views(cast, intro, {**_everyone("requested"), "target": None})
    clock.advance(timedelta(seconds=1))
    assert expire_overdue(deps) == 1
    assert expire_overdue(deps) == 0, "expiry happens once"
    assert_views(
        cast, intro, {"requester": "not_made", "introducer": "expired", "operator": "expired"}
    )


@pytest.mark.parametrize("opted_in", [None, "requester", "target"])
def test_an_unfinished_opt_in_expires_after_the_opt_in_window(
    cast: Cast, deps: Deps, clock: FrozenClock, opted_in: str | None
) -> None:
    intro = _request(cast)
    clock.advance(timedelta(days=1))
    _act(cast, intro, "consent", "introducer")
    if opted_in:
        _act(cast, intro, "opt-in", opted_in)
    clock.advance(deps.settings.opt_in_window - timedelta(seconds=1))
    assert expire_overdue(deps) == 0, "the consent deadline no longer applies"
    clock.advance(timedelta(seconds=1))
    assert expire_overdue(deps) == 1
    assert_views(
        cast,
        intro,
        {"requester": "not_made", "target": "not_made", "introducer": "expired",
         "operator": "expired"},
    )  # fmt: skip
    late = cast.api.act(intro, "opt-in", cast.trio.target)
    assert late.status_code == 409
    assert late.json["code"] == "illegal_transition"


def test_a_connected_pair_does_not_reveal_contacts_of_a_third_party(cast: Cast) -> None:
    """Connecting Ann and Tia must not open Ben's or the stranger's contact to them."""
    intro = _request(cast)
    _act(cast, intro, "consent", "introducer")
    _act(cast, intro, "opt-in", "target")
    _act(cast, intro, "opt-in", "requester")
    for viewer in ("requester", "target"):
        for other in (cast.trio.introducer, cast.stranger):
            page = cast.api.get(f"/v1/members/{other}", member=cast.trio.all[viewer])
            assert "contact" not in page.json
    stranger_view = cast.api.get(f"/v1/members/{cast.trio.target}", member=cast.stranger)
    assert "contact" not in stranger_view.json
