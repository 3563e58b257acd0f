"""Warm paths: who could introduce me, warmest first, revealing names only."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from service.clock import FrozenClock
from tests.api.intro_flows import connected, declined
from tests.helpers import ApiClient, Trio


def paths(api: ApiClient, me: str, to: str, acting: str | None = "me", **params: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in {"to": to, **params}.items())
    member = me if acting == "me" else acting
    return api.get(f"/v1/members/{me}/paths?{query}", member=member)


def names(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.json
    return [[m["name"] for m in item["via"]] for item in response.json["items"]]


@pytest.fixture
def people(api: ApiClient) -> dict[str, str]:
    return {n: api.member(n) for n in ("Ann", "Ben", "Cal", "Dee", "Eve", "Tia")}


def test_one_hop_paths_ranked_by_their_weakest_link(api: ApiClient, people: dict[str, str]) -> None:
    p = people
    api.trust(p["Ann"], p["Ben"], 3)
    api.trust(p["Ben"], p["Tia"], 4)  # weakest 3
    api.trust(p["Ann"], p["Cal"], 5)
    api.trust(p["Cal"], p["Tia"], 5)  # weakest 5
    api.trust(p["Ann"], p["Dee"], 5)
    api.trust(p["Dee"], p["Tia"], 2)  # weakest 2
    response = paths(api, p["Ann"], p["Tia"])
    assert names(response) == [["Cal"], ["Ben"], ["Dee"]]
    assert [i["rank"] for i in response.json["items"]] == [1, 2, 3]
    assert {i["hops"] for i in response.json["items"]} == {1}


def test_reputation_as_introducer_breaks_ties(api: ApiClient, people: dict[str, str]) -> None:
    p = people
    for introducer in ("Ben", "Cal"):
        api.trust(p["Ann"], p[introducer], 4)
        api.trust(p[introducer], p["Tia"], 4)
    # Ben made an introduction that went badly.
    api.trust(p["Eve"], p["Ben"], 3)
    api.trust(p["Ben"], p["Dee"], 3)
    bad = Trio(requester=p["Eve"], introducer=p["Ben"], target=p["Dee"])
    intro = connected(api, bad)
    api.post(f"/v1/introductions/{intro}/feedback", {"rating": "negative"}, member=p["Dee"])
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Cal"], ["Ben"]]


def test_not_introducible_targets_are_never_shown(api: ApiClient, people: dict[str, str]) -> None:
    p = people
    api.trust(p["Ann"], p["Ben"], 5)
    api.trust(p["Ben"], p["Tia"], 5, introducible=False)
    api.trust(p["Ann"], p["Cal"], 2)
    api.trust(p["Cal"], p["Tia"], 2)
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Cal"]]


@pytest.mark.parametrize(
    "policy",
    [
        {"accepting_requests": False},
        {"min_trust": 4},
        {"max_requests_per_week": 1},
    ],
)
def test_introducers_whose_policy_would_refuse_are_left_out(
    api: ApiClient, people: dict[str, str], policy: dict[str, Any]
) -> None:
    p = people
    for introducer in ("Ben", "Cal"):
        api.trust(p["Ann"], p[introducer], 4)
        api.trust(p[introducer], p["Tia"], 4)
    api.trust(p["Ben"], p["Ann"], 3)
    if "max_requests_per_week" in policy:
        api.trust(p["Eve"], p["Ben"], 3)
        api.trust(p["Ben"], p["Dee"], 3)
        asked = api.request(Trio(requester=p["Eve"], introducer=p["Ben"], target=p["Dee"]))
        assert asked.status_code == 201
    assert api.put(f"/v1/members/{p['Ben']}/policy", policy).status_code == 200
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Cal"]]


def test_introducer_in_cool_down_is_left_out(
    api: ApiClient, people: dict[str, str], clock: FrozenClock
) -> None:
    p = people
    for introducer in ("Ben", "Cal"):
        api.trust(p["Ann"], p[introducer], 4)
        api.trust(p[introducer], p["Tia"], 4)
    declined(api, Trio(requester=p["Ann"], introducer=p["Ben"], target=p["Tia"]))
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Cal"]]
    # Held for 7 days, then 30 days of cool-down from when Ann was told.
    clock.advance(timedelta(days=37) - timedelta(seconds=1))
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Cal"]]
    clock.advance(timedelta(seconds=2))
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Ben"], ["Cal"]]


def test_an_open_request_and_a_held_decline_look_the_same(
    api: ApiClient, people: dict[str, str]
) -> None:
    p = people
    for introducer in ("Ben", "Cal", "Dee"):
        api.trust(p["Ann"], p[introducer], 4)
        api.trust(p[introducer], p["Tia"], 4)
    api.trust(p["Dee"], p["Eve"], 4)
    asked = api.request(Trio(requester=p["Ann"], introducer=p["Ben"], target=p["Tia"]))
    assert asked.status_code == 201
    before = paths(api, p["Ann"], p["Tia"]).get_data(as_text=True)
    api.act(asked.json["id"], "decline", p["Ben"], {"note": "No."})
    after = paths(api, p["Ann"], p["Tia"]).get_data(as_text=True)
    assert before == after
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Cal"], ["Dee"]]


def test_two_hop_chains_only_when_no_one_hop_exists(api: ApiClient, people: dict[str, str]) -> None:
    p = people
    api.trust(p["Ann"], p["Ben"], 4)
    api.trust(p["Ben"], p["Cal"], 3)
    api.trust(p["Cal"], p["Tia"], 5)  # Ann -> Ben -> Cal -> Tia, weakest 3
    api.trust(p["Ann"], p["Dee"], 5)
    api.trust(p["Dee"], p["Eve"], 5)
    api.trust(p["Eve"], p["Tia"], 4)  # Ann -> Dee -> Eve -> Tia, weakest 4
    response = paths(api, p["Ann"], p["Tia"])
    assert names(response) == [["Dee", "Eve"], ["Ben", "Cal"]]
    assert {i["hops"] for i in response.json["items"]} == {2}
    api.trust(p["Ben"], p["Tia"], 1)
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Ben"]]


def test_two_hop_chains_respect_introducible_and_policies(
    api: ApiClient, people: dict[str, str]
) -> None:
    p = people
    api.trust(p["Ann"], p["Ben"], 4)
    api.trust(p["Ben"], p["Cal"], 3, introducible=False)
    api.trust(p["Cal"], p["Tia"], 5)
    api.trust(p["Ann"], p["Dee"], 5)
    api.trust(p["Dee"], p["Eve"], 5)
    api.trust(p["Eve"], p["Tia"], 4)
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Dee", "Eve"]]
    # Eve only takes requests from people she trusts at 5; Dee vouches for Ann.
    api.put(f"/v1/members/{p['Eve']}/policy", {"min_trust": 5})
    assert names(paths(api, p["Ann"], p["Tia"])) == []
    api.trust(p["Eve"], p["Dee"], 5)
    assert names(paths(api, p["Ann"], p["Tia"])) == [["Dee", "Eve"]]


def test_answer_reveals_names_but_no_trust_levels_or_contacts(
    api: ApiClient, people: dict[str, str]
) -> None:
    p = people
    api.trust(p["Ann"], p["Ben"], 2)
    api.trust(p["Ben"], p["Tia"], 5)
    response = paths(api, p["Ann"], p["Tia"])
    body = response.get_data(as_text=True)
    ben = {"id": p["Ben"], "name": "Ben", "headline": "Ben's headline"}
    assert json.loads(body) == {"to": p["Tia"], "items": [{"rank": 1, "hops": 1, "via": [ben]}]}
    assert "trust" not in body
    assert "@example.com" not in body
    assert not re.search(r"\b5\b", body)


def test_limit_keeps_the_warmest(api: ApiClient, people: dict[str, str]) -> None:
    p = people
    for level, introducer in enumerate(("Ben", "Cal", "Dee"), start=2):
        api.trust(p["Ann"], p[introducer], 5)
        api.trust(p[introducer], p["Tia"], level)
    assert names(paths(api, p["Ann"], p["Tia"], limit=2)) == [["Dee"], ["Cal"]]


def test_no_path_is_an_empty_list(api: ApiClient, people: dict[str, str]) -> None:
    assert names(paths(api, people["Ann"], people["Tia"])) == []


@pytest.mark.parametrize("acting", [None, "other"])
def test_only_the_member_themself_asks(
    api: ApiClient, people: dict[str, str], acting: str | None
) -> None:
    actor = people["Ben"] if acting == "other" else None
    response = paths(api, people["Ann"], people["Tia"], acting=actor)
    assert response.status_code == 403
    assert response.json["code"] == "not_yourself"


def test_bad_queries_get_clear_problems(api: ApiClient, people: dict[str, str]) -> None:
    ann = people["Ann"]
    missing = api.get(f"/v1/members/{ann}/paths", member=ann)
    assert missing.status_code == 422
    assert "query.to" in missing.json["errors"]
    self_path = paths(api, ann, ann)
    assert self_path.status_code == 422
    assert self_path.json["code"] == "members_not_distinct"
    unknown = paths(api, ann, "mem_nobody")
    assert unknown.status_code == 404
    assert unknown.json["code"] == "member_not_found"
    too_many = paths(api, ann, people["Tia"], limit=500)
    assert too_many.status_code == 422
    assert "query.limit" in too_many.json["errors"]
