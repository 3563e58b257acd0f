"""Introducer policy, the cool-down, and where the risk assessment may (not) be seen.

Every refusal from the policy or the cool-down is the same `introducer_unavailable`
problem, so the requester cannot tell which rule applied or how they are rated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import TestResponse

from api import create_app
from api.composition import ENGINE, EXTENSION
from service.clock import FrozenClock
from service.deps import Deps
from tests.api.intro_flows import declined, outbox, requested
from tests.conftest import config_for
from tests.helpers import ApiClient, Trio, make_trio

# A decline at creation is held from the requester until the consent deadline.
HELD = timedelta(days=7)
UNAVAILABLE = {
    "type": "urn:vouch:problem:introducer_unavailable",
    "title": "The request breaks a rule",
    "status": 422,
    "detail": "This introducer is not taking this request right now.",
    "code": "introducer_unavailable",
}


def set_policy(api: ApiClient, member: str, **body: Any) -> TestResponse:
    return api.put(f"/v1/members/{member}/policy", body, member=member)


def assert_unavailable(response: TestResponse) -> None:
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json == UNAVAILABLE


def test_policy_defaults_to_accepting_everyone(api: ApiClient, trio: Trio) -> None:
    response = api.get(f"/v1/members/{trio.introducer}/policy", member=trio.introducer)
    assert response.status_code == 200
    assert response.json == {
        "member_id": trio.introducer, "accepting_requests": True, "min_trust": None,
        "max_requests_per_week": None, "updated_at": None,
    }  # fmt: skip


def test_member_and_operator_set_the_policy(api: ApiClient, trio: Trio) -> None:
    mine = set_policy(api, trio.introducer, min_trust=3, max_requests_per_week=4)
    assert mine.status_code == 200
    assert (mine.json["min_trust"], mine.json["max_requests_per_week"]) == (3, 4)
    by_operator = api.put(f"/v1/members/{trio.introducer}/policy", {"accepting_requests": False})
    assert by_operator.status_code == 200
    # PUT replaces: fields left out go back to their defaults.
    assert by_operator.json["min_trust"] is None
    assert api.get(f"/v1/members/{trio.introducer}/policy").json["accepting_requests"] is False


def test_nobody_else_sees_or_changes_a_policy(api: ApiClient, trio: Trio) -> None:
    set_policy(api, trio.introducer, min_trust=5)
    seen = api.get(f"/v1/members/{trio.introducer}/policy", member=trio.requester)
    changed = api.put(f"/v1/members/{trio.introducer}/policy", {}, member=trio.requester)
    for response in (seen, changed):
        assert response.status_code == 403
        assert response.json["code"] == "not_yourself"
        assert "5" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"min_trust": 0}, "min_trust"),
        ({"min_trust": 6}, "min_trust"),
        ({"max_requests_per_week": 0}, "max_requests_per_week"),
        ({"accepting_requests": "maybe"}, "accepting_requests"),
        ({"pause": True}, "pause"),
    ],
)
def test_bad_policy_gets_a_field_error(
    api: ApiClient, trio: Trio, body: dict[str, Any], field: str
) -> None:
    response = set_policy(api, trio.introducer, **body)
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"
    assert field in response.json["errors"]


def test_policy_of_an_unknown_member_is_not_found(api: ApiClient) -> None:
    response = api.get("/v1/members/mem_nobody/policy")
    assert response.status_code == 404
    assert response.json["code"] == "member_not_found"


def test_paused_introducer_is_unavailable(api: ApiClient, trio: Trio) -> None:
    set_policy(api, trio.introducer, accepting_requests=False)
    assert_unavailable(api.request(trio))
    set_policy(api, trio.introducer, accepting_requests=True)
    assert api.request(trio).status_code == 201


def test_no_relationship_is_below_any_minimum_trust(api: ApiClient, trio: Trio) -> None:
    set_policy(api, trio.introducer, min_trust=1)
    assert_unavailable(api.request(trio))


def test_minimum_trust_in_the_requester(api: ApiClient, trio: Trio) -> None:
    set_policy(api, trio.introducer, min_trust=4)
    api.trust(trio.introducer, trio.requester, 3)
    assert_unavailable(api.request(trio))
    api.trust(trio.introducer, trio.requester, 4)
    assert api.request(trio).status_code == 201


def test_weekly_cap_counts_every_request_to_the_introducer(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    set_policy(api, trio.introducer, max_requests_per_week=2)
    others = [api.member(n) for n in ("Cy", "Di", "Ed")]
    for other in others:
        api.trust(other, trio.introducer, 3)

    def ask(requester: str) -> TestResponse:
        body = {"introducer_id": trio.introducer, "target_id": trio.target, "reason": "r",
                "blurb": "b"}  # fmt: skip
        return api.post("/v1/introductions", body, member=requester)

    assert ask(others[0]).status_code == 201
    clock.advance(timedelta(days=3))
    assert ask(others[1]).status_code == 201
    assert_unavailable(ask(others[2]))
    clock.advance(timedelta(days=4, seconds=1))  # the first request is now a week old
    assert ask(others[2]).status_code == 201


def test_cool_down_after_a_decline(api: ApiClient, trio: Trio, clock: FrozenClock) -> None:
    declined(api, trio)
    # Until the consent deadline the decline is held: Ann still sees her request
    # waiting, so asking again is a duplicate of it.
    assert api.request(trio).json["code"] == "duplicate_open_request"
    clock.advance(HELD + timedelta(seconds=1))
    assert_unavailable(api.request(trio))
    # The 30 days run from when Ann was told "not made", not from the decline.
    clock.advance(timedelta(days=30) - timedelta(seconds=2))
    assert_unavailable(api.request(trio))
    clock.advance(timedelta(seconds=2))
    assert api.request(trio).status_code == 201


def test_cool_down_after_an_expiry_looks_the_same(
    api: ApiClient, trio: Trio, deps: Deps, clock: FrozenClock
) -> None:
    from service.use_cases.introductions import expire_overdue

    requested(api, trio)
    clock.advance(timedelta(days=8))
    assert expire_overdue(deps) == 1
    assert_unavailable(api.request(trio))


def test_cool_down_is_for_the_same_target_only(api: ApiClient, trio: Trio) -> None:
    declined(api, trio)
    other = api.member("Uma")
    api.trust(trio.introducer, other, 3)
    assert api.request(trio, target_id=other).status_code == 201


def test_withdrawing_starts_no_cool_down(api: ApiClient, trio: Trio) -> None:
    intro = requested(api, trio)
    assert api.act(intro, "withdraw", trio.requester).status_code == 200
    assert api.request(trio).status_code == 201


@pytest.fixture
def short_cooldown_api(
    database_url: str, tmp_path: Path, clock: FrozenClock
) -> Iterator[ApiClient]:
    app = create_app(config_for(database_url, tmp_path, DECLINE_COOLDOWN_DAYS=3), clock=clock)
    deps: Deps = app.extensions[EXTENSION]
    yield ApiClient.for_new_workspace(app.test_client(), deps)
    app.extensions[ENGINE].dispose()


def test_cool_down_period_is_configurable(
    short_cooldown_api: ApiClient, clock: FrozenClock
) -> None:
    api = short_cooldown_api
    trio = make_trio(api)
    declined(api, trio)
    clock.advance(HELD + timedelta(days=2))
    assert_unavailable(api.request(trio))
    clock.advance(timedelta(days=1, seconds=1))
    assert api.request(trio).status_code == 201


def test_every_rule_refuses_with_the_same_answer(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    answers = []
    set_policy(api, trio.introducer, accepting_requests=False)
    answers.append(api.request(trio).get_data(as_text=True))  # paused
    set_policy(api, trio.introducer, min_trust=5)
    answers.append(api.request(trio).get_data(as_text=True))  # no trust at all
    api.trust(trio.introducer, trio.requester, 4)
    answers.append(api.request(trio).get_data(as_text=True))  # trust below the minimum
    api.trust(trio.introducer, trio.requester, 5)
    set_policy(api, trio.introducer, max_requests_per_week=1)
    cy = api.member("Cy")
    api.trust(cy, trio.introducer, 3)
    assert api.request(Trio(cy, trio.introducer, trio.target)).status_code == 201
    answers.append(api.request(trio).get_data(as_text=True))  # weekly cap
    set_policy(api, trio.introducer)
    declined(api, trio)
    clock.advance(HELD + timedelta(days=1))
    answers.append(api.request(trio).get_data(as_text=True))  # cool-down
    assert len(answers) == 5
    assert len(set(answers)) == 1
    assert json.loads(answers[0]) == UNAVAILABLE


def test_introducer_and_operator_see_the_risk_requester_and_target_never(
    api: ApiClient, trio: Trio
) -> None:
    api.trust(trio.introducer, trio.requester, 1)
    intro = requested(api, trio)
    risk = api.get(f"/v1/introductions/{intro}", member=trio.introducer).json["risk"]
    assert risk == {
        "level": "medium",
        "score": 47,
        "reasons": [
            "You rated Ann 'met once'.",
            "You trust Tia at level 4 ('trusted'): your standing with Tia is at stake.",
            "Ann has no feedback from earlier introductions yet.",
        ],
    }
    assert api.get(f"/v1/introductions/{intro}").json["risk"] == risk
    api.act(intro, "consent", trio.introducer)
    for member in (trio.requester, trio.target):
        one = api.get(f"/v1/introductions/{intro}", member=member).get_data(as_text=True)
        listed = api.get("/v1/introductions", member=member).get_data(as_text=True)
        for body in (one, listed):
            assert '"risk"' not in body
            assert "met once" not in body
            assert "at stake" not in body


def test_risk_goes_into_the_introducers_email_only(api: ApiClient, trio: Trio, deps: Deps) -> None:
    intro = requested(api, trio)
    api.act(intro, "consent", trio.introducer)
    messages = outbox(deps, intro)
    ask = [m for m in messages if m.template == "ask_introducer"]
    assert len(ask) == 1
    assert "Before you decide: medium risk (55/100)." in ask[0].body_text
    assert "no relationship with them on record" in ask[0].body_html
    for message in messages:
        if message.to_member_id != trio.introducer:
            assert "risk" not in message.body_text.lower()
            assert "at stake" not in message.body_html


def test_refusals_never_carry_contact_details(api: ApiClient, trio: Trio) -> None:
    set_policy(api, trio.introducer, accepting_requests=False)
    body = api.request(trio).get_data(as_text=True)
    assert "@example.com" not in body
    assert "+1 555" not in body


def test_declines_by_others_raise_the_next_risk_but_the_requesters_own_do_not(
    api: ApiClient, trio: Trio
) -> None:
    uma = api.member("Uma")
    api.trust(trio.introducer, uma, 3)
    mine = requested(api, trio)
    api.act(mine, "consent", trio.introducer)
    api.act(mine, "decline", trio.requester)  # Ann changes her mind at opt-in
    first = requested(api, Trio(trio.requester, trio.introducer, uma))
    reasons = api.get(f"/v1/introductions/{first}", member=trio.introducer).json["risk"]["reasons"]
    assert not any("declined" in r for r in reasons)
    api.act(first, "decline", trio.introducer)
    vic = api.member("Vic")
    api.trust(trio.introducer, vic, 3)
    second = requested(api, Trio(trio.requester, trio.introducer, vic))
    risk = api.get(f"/v1/introductions/{second}", member=trio.introducer).json["risk"]
    assert "1 request from Ann was declined in the last 90 days." in risk["reasons"]
