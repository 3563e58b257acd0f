"""Feedback after a connected introduction, reputation, and a target's negative rating."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from service.clock import FrozenClock
from service.deps import Deps
from tests.api.intro_flows import connected, outbox, requested
from tests.helpers import ApiClient, Trio

SECRET = "He spent the whole call pitching me; please never again."


def feedback(api: ApiClient, intro: str, member: str | None, **body: Any) -> Any:
    return api.post(f"/v1/introductions/{intro}/feedback", body, member=member)


def trust(api: ApiClient, a: str, b: str) -> int:
    response = api.get(f"/v1/members/{a}/relationships/{b}")
    assert response.status_code == 200, response.json
    return int(response.json["trust"])  # type: ignore[index]


def test_requester_and_target_rate_a_connected_introduction(api: ApiClient, trio: Trio) -> None:
    intro = connected(api, trio)
    for member, role in ((trio.requester, "requester"), (trio.target, "target")):
        response = feedback(api, intro, member, rating="positive", comment="Great chat.")
        assert response.status_code == 200, response.json
        assert response.json["author_role"] == role
        assert response.json["rating"] == "positive"


def test_sending_feedback_again_replaces_it(api: ApiClient, trio: Trio) -> None:
    intro = connected(api, trio)
    first = feedback(api, intro, trio.requester, rating="neutral", comment="Okay.")
    again = feedback(api, intro, trio.requester, rating="positive")
    assert again.status_code == 200
    assert again.json["rating"] == "positive"
    assert again.json["comment"] is None
    assert again.json["created_at"] == first.json["created_at"]
    items = api.get(f"/v1/introductions/{intro}/feedback").json["items"]
    assert [(i["author_id"], i["rating"]) for i in items] == [(trio.requester, "positive")]


def test_introducer_cannot_rate_the_introduction(api: ApiClient, trio: Trio) -> None:
    intro = connected(api, trio)
    response = feedback(api, intro, trio.introducer, rating="positive")
    assert response.status_code == 403
    assert response.json["code"] == "feedback_not_allowed"


def test_operator_cannot_rate_for_a_member(api: ApiClient, trio: Trio) -> None:
    intro = connected(api, trio)
    response = feedback(api, intro, None, rating="positive")
    assert response.status_code == 403
    assert response.json["code"] == "feedback_not_allowed"


def test_a_stranger_does_not_learn_the_introduction_exists(api: ApiClient, trio: Trio) -> None:
    intro = connected(api, trio)
    stranger = api.member("Sid")
    response = feedback(api, intro, stranger, rating="negative")
    assert response.status_code == 404
    assert response.json["code"] == "introduction_not_found"


def test_no_feedback_before_the_introduction_is_connected(api: ApiClient, trio: Trio) -> None:
    intro = requested(api, trio)
    response = feedback(api, intro, trio.requester, rating="positive")
    assert response.status_code == 422
    assert response.json["code"] == "introduction_not_connected"


def test_feedback_window_closes_after_thirty_days(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    intro = connected(api, trio)
    clock.advance(timedelta(days=30))
    assert feedback(api, intro, trio.target, rating="positive").status_code == 200
    clock.advance(timedelta(seconds=1))
    response = feedback(api, intro, trio.target, rating="negative")
    assert response.status_code == 422
    assert response.json["code"] == "feedback_window_closed"
    assert "30 days" in response.json["detail"]


@pytest.mark.parametrize("body", [{"rating": "great"}, {}, {"rating": "positive", "stars": 5}])
def test_bad_feedback_gets_a_clear_problem(api: ApiClient, trio: Trio, body: Any) -> None:
    intro = connected(api, trio)
    response = api.post(f"/v1/introductions/{intro}/feedback", body, member=trio.target)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "validation_failed"
    assert set(response.json["errors"]) & {"rating", "stars"}


def test_comments_stay_with_their_author_and_the_operator(
    api: ApiClient, trio: Trio, deps: Deps
) -> None:
    intro = connected(api, trio)
    feedback(api, intro, trio.target, rating="negative", comment=SECRET)
    feedback(api, intro, trio.requester, rating="positive", comment="Lovely.")

    def listed(member: str | None) -> list[dict[str, Any]]:
        response = api.get(f"/v1/introductions/{intro}/feedback", member=member)
        assert response.status_code == 200
        return list(response.json["items"])

    assert [i["comment"] for i in listed(trio.target)] == [SECRET]
    assert [i["comment"] for i in listed(trio.requester)] == ["Lovely."]
    assert listed(trio.introducer) == []
    assert sorted(i["comment"] for i in listed(None)) == sorted([SECRET, "Lovely."])
    for member in trio.all.values():
        seen = api.get(f"/v1/introductions/{intro}", member=member).get_data(as_text=True)
        assert SECRET not in seen
    for message in outbox(deps):
        assert SECRET not in message.body_text + message.body_html + message.subject


def test_target_negative_rating_tells_the_introducer_and_lowers_trust_once(
    api: ApiClient, trio: Trio, deps: Deps
) -> None:
    api.trust(trio.introducer, trio.requester, 3)
    intro = connected(api, trio)
    before = {m.id for m in outbox(deps, intro)}
    assert feedback(api, intro, trio.target, rating="negative", comment=SECRET).status_code == 200
    new = [m for m in outbox(deps, intro) if m.id not in before]
    assert [(m.template, m.to_member_id) for m in new] == [
        ("feedback_negative_introducer", trio.introducer)
    ]
    assert 'from "worked together" to "acquainted"' in new[0].body_text
    assert trust(api, trio.introducer, trio.requester) == 2
    # Changing the rating back and forth neither repeats the drop nor the email.
    feedback(api, intro, trio.target, rating="neutral")
    feedback(api, intro, trio.target, rating="negative")
    assert trust(api, trio.introducer, trio.requester) == 2
    assert len(outbox(deps, intro)) == len(before) + 1


def test_the_requester_is_not_told_about_the_negative_rating(
    api: ApiClient, trio: Trio, deps: Deps
) -> None:
    api.trust(trio.introducer, trio.requester, 3)
    intro = connected(api, trio)
    before = {m.id for m in outbox(deps)}
    feedback(api, intro, trio.target, rating="negative")
    new = [m for m in outbox(deps) if m.id not in before]
    assert {m.to_member_id for m in new} == {trio.introducer}
    view = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    assert "negative" not in json.dumps(view)


def test_trust_set_again_after_the_request_is_not_lowered(
    api: ApiClient, trio: Trio, deps: Deps, clock: FrozenClock
) -> None:
    api.trust(trio.introducer, trio.requester, 2)
    intro = connected(api, trio)
    clock.advance(timedelta(minutes=5))
    api.trust(trio.introducer, trio.requester, 4)
    feedback(api, intro, trio.target, rating="negative")
    assert trust(api, trio.introducer, trio.requester) == 4
    notice = [m for m in outbox(deps, intro) if m.template == "feedback_negative_introducer"]
    assert len(notice) == 1
    assert "went down" not in notice[0].body_text


def test_trust_never_goes_below_met_once(api: ApiClient, trio: Trio) -> None:
    api.trust(trio.introducer, trio.requester, 1)
    intro = connected(api, trio)
    feedback(api, intro, trio.target, rating="negative")
    assert trust(api, trio.introducer, trio.requester) == 1


def test_positive_feedback_never_raises_trust(api: ApiClient, trio: Trio) -> None:
    api.trust(trio.introducer, trio.requester, 3)
    intro = connected(api, trio)
    feedback(api, intro, trio.target, rating="positive")
    feedback(api, intro, trio.requester, rating="positive")
    assert trust(api, trio.introducer, trio.requester) == 3


def test_requester_negative_rating_does_not_touch_trust(
    api: ApiClient, trio: Trio, deps: Deps
) -> None:
    api.trust(trio.introducer, trio.requester, 3)
    intro = connected(api, trio)
    feedback(api, intro, trio.requester, rating="negative")
    assert trust(api, trio.introducer, trio.requester) == 3
    assert not [m for m in outbox(deps, intro) if m.template == "feedback_negative_introducer"]


def test_reputation_counts_the_targets_rating_of_the_requester(api: ApiClient, trio: Trio) -> None:
    intro = connected(api, trio)
    feedback(api, intro, trio.target, rating="negative")
    feedback(api, intro, trio.requester, rating="positive")
    ann = api.get(f"/v1/members/{trio.requester}/reputation", member=trio.requester).json
    assert ann["as_requester"] == {
        "positive": 0, "neutral": 0, "negative": 1, "rated": 1, "score": round(1 / 3, 4),
    }  # fmt: skip
    ben = api.get(f"/v1/members/{trio.introducer}/reputation").json
    assert ben["as_introducer"]["rated"] == 2
    assert ben["as_introducer"]["score"] == 0.5


def test_reputation_is_for_the_member_and_the_operator_only(api: ApiClient, trio: Trio) -> None:
    response = api.get(f"/v1/members/{trio.requester}/reputation", member=trio.introducer)
    assert response.status_code == 403
    assert response.json["code"] == "not_yourself"
    assert api.get(f"/v1/members/{trio.requester}/reputation").status_code == 200


def test_negative_history_shows_in_the_next_assessment(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    intro = connected(api, trio)
    feedback(api, intro, trio.target, rating="negative")
    other = api.member("Uma")
    api.trust(trio.introducer, other, 5)
    clock.advance(timedelta(hours=1))
    second = api.request(trio, target_id=other)
    assert second.status_code == 201, second.json
    assert "risk" not in second.json
    risk = api.get(f"/v1/introductions/{second.json['id']}", member=trio.introducer).json["risk"]
    assert "1 of Ann's last 1 introduction got negative feedback." in risk["reasons"]
    # familiarity 40 + stake 20 + track round(40 * (0.5 - 1/3)) = 7
    assert (risk["score"], risk["level"]) == (67, "high")


def test_feedback_answer_carries_no_contact_details(api: ApiClient, trio: Trio) -> None:
    intro = connected(api, trio)
    response = feedback(api, intro, trio.requester, rating="positive")
    assert "@example.com" not in response.get_data(as_text=True)


def test_a_new_requests_risk_reads_the_requesters_ratings_and_open_requests(
    api: ApiClient, trio: Trio
) -> None:
    intro = connected(api, trio)
    feedback(api, intro, trio.target, rating="negative")
    other = api.member("Other")
    api.trust(trio.introducer, other, 4)
    assert api.request(trio, target_id=other).status_code == 201
    third = api.member("Third")
    api.trust(trio.introducer, third, 4)
    response = api.request(trio, target_id=third)
    assert response.status_code == 201
    reasons = api.get(f"/v1/introductions/{response.json['id']}", member=trio.introducer).json[
        "risk"
    ]["reasons"]
    assert any("1 of " in r and "last 1 introduction got negative feedback" in r for r in reasons)
    assert any("1 other open request" in r for r in reasons), reasons
