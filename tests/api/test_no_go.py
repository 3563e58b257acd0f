"""An introducer's no-go list: request creation and the warm-path search respect it."""

from __future__ import annotations

from tests.api.expect import assert_problem
from tests.helpers import ApiClient, Trio


def test_no_go_target_is_refused_like_an_unreachable_one(api: ApiClient, trio: Trio) -> None:
    put = api.put(f"/v1/members/{trio.introducer}/no-go/{trio.target}", member=trio.introducer)
    assert put.status_code == 200 and put.json["target"]["id"] == trio.target
    body = assert_problem(api.request(trio), 422, "target_not_reachable")
    api.trust(trio.introducer, trio.target, 4, introducible=False)
    assert assert_problem(api.request(trio), 422, "target_not_reachable") == body


def test_the_list_is_private_and_removable(api: ApiClient, trio: Trio) -> None:
    path = f"/v1/members/{trio.introducer}/no-go"
    assert_problem(api.put(f"{path}/{trio.target}", member=trio.requester), 403, "not_yourself")
    assert_problem(api.get(path, member=trio.target), 403, "not_yourself")
    assert api.put(f"{path}/{trio.target}").status_code == 200  # the operator
    assert api.put(f"{path}/{trio.target}", member=trio.introducer).status_code == 200
    listed = api.get(path, member=trio.introducer).json
    assert [i["target"]["id"] for i in listed["items"]] == [trio.target]
    assert "contact" not in listed["items"][0]["target"]
    assert api.delete(f"{path}/{trio.target}", member=trio.introducer).status_code == 204
    assert api.delete(f"{path}/{trio.target}", member=trio.introducer).status_code == 204
    assert api.get(path, member=trio.introducer).json["items"] == []
    assert api.request(trio).status_code == 201


def test_bad_no_go_entries_are_clear_errors(api: ApiClient, trio: Trio) -> None:
    path = f"/v1/members/{trio.introducer}/no-go"
    assert_problem(api.put(f"{path}/mem_nobody", member=trio.introducer), 404, "member_not_found")
    assert_problem(api.put(f"{path}/{trio.introducer}", member=trio.introducer), 422, "no_go_self")


def test_warm_paths_skip_no_go_targets(api: ApiClient, trio: Trio) -> None:
    path = f"/v1/members/{trio.requester}/paths?to={trio.target}"
    before = api.get(path, member=trio.requester)
    assert before.status_code == 200, before.json
    assert trio.introducer in str(before.json)
    api.put(f"/v1/members/{trio.introducer}/no-go/{trio.target}", member=trio.introducer)
    after = api.get(path, member=trio.requester)
    assert after.status_code == 200
    assert trio.introducer not in str(after.json)


def test_two_hop_paths_skip_a_no_go_step(api: ApiClient, trio: Trio) -> None:
    # Ann -> Ben -> Cy -> Tia, and Ben keeps Cy on his no-go list.
    cy = api.member("Cy")
    api.trust(trio.introducer, cy, 4)
    api.trust(cy, trio.target, 4)
    api.trust(trio.introducer, trio.target, 4, introducible=False)
    path = f"/v1/members/{trio.requester}/paths?to={trio.target}"
    assert cy in str(api.get(path, member=trio.requester).json)
    api.put(f"/v1/members/{trio.introducer}/no-go/{cy}", member=trio.introducer)
    assert cy not in str(api.get(path, member=trio.requester).json)
