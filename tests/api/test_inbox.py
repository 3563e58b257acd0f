"""GET /v1/members/{id}/inbox: each member's own list, with the usual visibility."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from service.clock import FrozenClock
from service.deps import Deps
from tests.api.expect import assert_problem
from tests.api.intro_flows import connected, requested
from tests.helpers import ApiClient, Trio, make_trio


def inbox(api: ApiClient, member: str, **query: Any) -> dict[str, Any]:
    path = f"/v1/members/{member}/inbox"
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = api.get(path, member=member)
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    return body


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["introduction"]["id"] for i in items]


def test_new_request_waits_on_the_introducer_and_not_on_the_target(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    clock.advance(timedelta(hours=2))
    ben = inbox(api, trio.introducer)
    assert ids(ben["waiting_on_me"]) == [intro]
    item = ben["waiting_on_me"][0]
    assert item["age_seconds"] == 7200
    assert item["deadline"] == item["introduction"]["consent_deadline"]
    assert item["finished_at"] is None
    ann = inbox(api, trio.requester)
    assert ids(ann["waiting_on_others"]) == [intro] and ann["waiting_on_me"] == []
    # The target has not heard of it yet: it is nowhere in her inbox.
    tia = inbox(api, trio.target)
    assert tia["waiting_on_me"] == tia["waiting_on_others"] == tia["finished_recently"] == []


def test_opting_in_waits_on_each_side_until_they_confirm(api: ApiClient, trio: Trio) -> None:
    intro = requested(api, trio)
    assert api.act(intro, "consent", trio.introducer).status_code == 200
    assert ids(inbox(api, trio.requester)["waiting_on_me"]) == [intro]
    assert ids(inbox(api, trio.target)["waiting_on_me"]) == [intro]
    assert ids(inbox(api, trio.introducer)["waiting_on_others"]) == [intro]
    assert api.act(intro, "opt-in", trio.requester).status_code == 200
    ann = inbox(api, trio.requester)
    assert ann["waiting_on_me"] == [] and ids(ann["waiting_on_others"]) == [intro]
    item = inbox(api, trio.target)["waiting_on_me"][0]
    # The target does not learn whether the requester confirmed, nor the reason.
    assert item["introduction"]["opted_in"] == {"target": False}
    assert "reason" not in item["introduction"]
    assert item["deadline"] == item["introduction"]["opt_in_deadline"]


def test_connected_is_finished_and_shows_contacts_only_to_the_pair(
    api: ApiClient, trio: Trio
) -> None:
    intro = connected(api, trio)
    ann = inbox(api, trio.requester)
    assert ids(ann["finished_recently"]) == [intro]
    assert "contact" in ann["finished_recently"][0]["introduction"]["target"]
    ben = inbox(api, trio.introducer)["finished_recently"][0]["introduction"]
    assert "contact" not in ben["target"] and "contact" not in ben["requester"]
    assert "@" not in str(inbox(api, trio.introducer))


def test_finished_drops_out_after_the_window(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    intro = connected(api, trio)
    clock.advance(timedelta(days=10))
    assert ids(inbox(api, trio.requester, days=11)["finished_recently"]) == [intro]
    assert inbox(api, trio.requester, days=9)["finished_recently"] == []
    clock.advance(timedelta(days=21))
    assert inbox(api, trio.requester)["finished_recently"] == []


def test_requester_sees_not_made_and_not_the_decline(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    api.act(intro, "decline", trio.introducer, {"note": "Ann oversells."})
    clock.advance(timedelta(days=8))
    ann = inbox(api, trio.requester)
    [item] = ann["finished_recently"]
    assert item["introduction"]["state"] == "not_made"
    assert item["finished_at"] == item["introduction"]["consent_deadline"]
    assert "oversells" not in str(ann) and "declined" not in str(ann)


def test_only_the_member_themself_reads_their_inbox(api: ApiClient, trio: Trio) -> None:
    path = f"/v1/members/{trio.requester}/inbox"
    assert_problem(api.get(path, member=trio.introducer), 404, "member_not_found")
    assert_problem(api.get(path), 404, "member_not_found")
    response = api.get("/v1/members/mem_nobody/inbox", member="mem_nobody")
    assert_problem(response, 403, "unknown_acting_member")


def test_inbox_of_another_workspace_is_not_found(
    api: ApiClient, trio: Trio, client: FlaskClient, deps: Deps
) -> None:
    other = ApiClient.for_new_workspace(client, deps, "Other")
    theirs = make_trio(other)
    response = other.get(f"/v1/members/{trio.requester}/inbox", member=theirs.requester)
    assert_problem(response, 404, "member_not_found")


def test_bad_days_is_a_clear_error(api: ApiClient, trio: Trio) -> None:
    for bad in ("0", "366", "soon"):
        response = api.get(f"/v1/members/{trio.requester}/inbox?days={bad}", member=trio.requester)
        assert_problem(response, 422, fields={"query.days"})
