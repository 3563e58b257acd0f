"""The target's own rules: checked at consent, answered with one generic code,
and the request closes neutrally before the target hears of it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.clock import FrozenClock
from service.deps import Deps
from tests.api.expect import assert_problem
from tests.api.intro_flows import outbox, requested
from tests.helpers import ApiClient, Trio

UNAVAILABLE = "The target is not taking introductions like this right now."


def set_prefs(api: ApiClient, member: str, **body: Any) -> TestResponse:
    response = api.put(f"/v1/members/{member}/target-preferences", body, member=member)
    assert response.status_code == 200, response.json
    return response


def assert_stopped(api: ApiClient, deps: Deps, trio: Trio, intro: str) -> None:
    body = assert_problem(api.act(intro, "consent", trio.introducer), 422, "target_unavailable")
    assert body["detail"] == UNAVAILABLE
    # Nothing reached the target, ever.
    assert [m for m in outbox(deps, intro) if m.to_member_id == trio.target] == []
    assert api.get(f"/v1/introductions/{intro}", member=trio.target).status_code == 404
    assert api.get(f"/v1/introductions/{intro}", member=trio.introducer).json["state"] == (
        "declined"
    )


def test_preferences_default_to_open(api: ApiClient, trio: Trio) -> None:
    response = api.get(f"/v1/members/{trio.target}/target-preferences", member=trio.target)
    assert response.status_code == 200
    assert response.json == {
        "member_id": trio.target, "accepting_introductions": True, "max_requests": None,
        "period_days": 30, "min_trust": None, "blocked_topics": [], "updated_at": None,
    }  # fmt: skip


def test_preferences_are_private_to_the_member_and_operator(api: ApiClient, trio: Trio) -> None:
    path = f"/v1/members/{trio.target}/target-preferences"
    assert_problem(api.get(path, member=trio.requester), 403, "not_yourself")
    assert_problem(api.put(path, {}, member=trio.introducer), 403, "not_yourself")
    by_operator = api.put(path, {"blocked_topics": ["  Crypto ", "crypto", "Sales"]})
    assert by_operator.status_code == 200
    assert by_operator.json["blocked_topics"] == ["crypto", "sales"]
    assert api.get(path).json["blocked_topics"] == ["crypto", "sales"]


@pytest.mark.parametrize(
    "body",
    [
        {"min_trust": 6},
        {"max_requests": 0},
        {"period_days": 0},
        {"blocked_topics": "crypto"},
        {"blocked_topics": [""]},
        {"accepting_introductions": "maybe"},
        {"colour": "red"},
    ],
)
def test_bad_preferences_are_clear_errors(api: ApiClient, trio: Trio, body: Any) -> None:
    response = api.put(f"/v1/members/{trio.target}/target-preferences", body, member=trio.target)
    assert_problem(response, 422, "validation_failed")


def test_not_accepting_stops_the_request_at_consent(api: ApiClient, deps: Deps, trio: Trio) -> None:
    set_prefs(api, trio.target, accepting_introductions=False)
    # The requester is not told at request time: they learn nothing about her rules.
    intro = requested(api, trio)
    assert_stopped(api, deps, trio, intro)


def test_min_trust_uses_the_targets_own_trust_in_the_introducer(
    api: ApiClient, deps: Deps, trio: Trio
) -> None:
    set_prefs(api, trio.target, min_trust=4)
    intro = requested(api, trio)
    # Tia has no relationship with Ben at all: stopped.
    assert_stopped(api, deps, trio, intro)
    other = api.member("Ola")
    api.trust(other, trio.introducer, 3)
    api.trust(trio.target, trio.introducer, 4)
    response = api.request(Trio(other, trio.introducer, trio.target))
    assert api.act(response.json["id"], "consent", trio.introducer).status_code == 200


def test_min_trust_below_the_level_stops(api: ApiClient, deps: Deps, trio: Trio) -> None:
    api.trust(trio.target, trio.introducer, 2)
    set_prefs(api, trio.target, min_trust=3)
    assert_stopped(api, deps, trio, requested(api, trio))


def test_a_blocked_topic_stops_and_others_pass(api: ApiClient, deps: Deps, trio: Trio) -> None:
    set_prefs(api, trio.target, blocked_topics=["Recruiting"])
    response = api.request(trio, topics=["advice", " RECRUITING "])
    assert response.status_code == 201
    assert response.json["topics"] == ["advice", "recruiting"]
    assert_stopped(api, deps, trio, response.json["id"])


def test_unblocked_topics_go_through_and_the_target_never_sees_them(
    api: ApiClient, trio: Trio
) -> None:
    set_prefs(api, trio.target, blocked_topics=["recruiting"])
    intro = api.request(trio, topics=["advice"]).json["id"]
    assert api.act(intro, "consent", trio.introducer).status_code == 200
    seen = api.get(f"/v1/introductions/{intro}", member=trio.target).json
    assert "topics" not in seen


def test_at_most_n_requests_reach_the_target_per_period(
    api: ApiClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    set_prefs(api, trio.target, max_requests=1, period_days=10)
    first = requested(api, trio)
    assert api.act(first, "consent", trio.introducer).status_code == 200
    cara = api.member("Cara")
    api.trust(cara, trio.introducer, 3)
    second = api.request(Trio(cara, trio.introducer, trio.target)).json["id"]
    assert_stopped(api, deps, trio, second)
    clock.advance(timedelta(days=11))
    dan = api.member("Dan")
    api.trust(dan, trio.introducer, 3)
    third = api.request(Trio(dan, trio.introducer, trio.target)).json["id"]
    assert api.act(third, "consent", trio.introducer).status_code == 200


def test_every_rule_gives_the_same_answer(api: ApiClient, trio: Trio) -> None:
    bodies = []
    for prefs, topics in (
        ({"accepting_introductions": False}, []),
        ({"min_trust": 5}, []),
        ({"blocked_topics": ["x"]}, ["x"]),
    ):
        set_prefs(api, trio.target, **prefs)
        other = api.member("Req")
        api.trust(other, trio.introducer, 3)
        intro = api.request(Trio(other, trio.introducer, trio.target), topics=topics).json["id"]
        response = api.act(intro, "consent", trio.introducer)
        bodies.append(response.json)
    assert bodies[0] == bodies[1] == bodies[2]


def test_requester_sees_only_the_neutral_outcome_at_the_deadline(
    api: ApiClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    set_prefs(api, trio.target, accepting_introductions=False)
    intro = requested(api, trio)
    api.act(intro, "consent", trio.introducer)
    seen = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    assert seen["state"] == "requested"
    clock.advance(timedelta(days=7))
    seen = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    assert seen["state"] == "not_made" and seen["closed_at"] is None
    [note] = [m for m in outbox(deps, intro) if m.to_member_id == trio.requester and
              m.template == "not_made"]  # fmt: skip
    assert note.next_attempt_at.isoformat() == seen["consent_deadline"]


def test_topics_are_validated(api: ApiClient, trio: Trio) -> None:
    for topics in ("advice", [""], ["x" * 61], [str(i) for i in range(11)]):
        assert_problem(api.request(trio, topics=topics), 422, "validation_failed")


def test_consent_by_link_says_only_that_the_target_is_not_taking_these(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    set_prefs(api, trio.target, blocked_topics=["sales"])
    intro = api.request(trio, topics=["sales"]).json["id"]
    [ask] = [m for m in outbox(deps, intro) if m.template == "ask_introducer"]
    found = re.search(r"/l/(\S+)", ask.body_text)
    assert found is not None
    page = client.get(f"/l/{found.group(1)}").get_data(as_text=True)
    action, csrf = re.findall(
        r'<form method="post" action="([^"]+)">\s*<input[^>]*value="(\w+)"', page
    )[0]
    done = client.post(action, data={"csrf": csrf})
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "is not taking introductions like this right now" in html
    assert "sales" not in html.lower() and "topic" not in html.lower()
    assert [m for m in outbox(deps, intro) if m.to_member_id == trio.target] == []
