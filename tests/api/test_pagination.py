"""Cursor pagination on every list: `limit`, `cursor`, `next_cursor`, newest first.

Walking a list page by page gives every item exactly once, in the same order
as one big page, even when rows share a timestamp and when new rows arrive
while the client is walking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from service.clock import FrozenClock
from service.pagination import DEFAULT_LIMIT
from tests.api.expect import assert_problem
from tests.helpers import ApiClient, Trio

Maker = Callable[[ApiClient, Trio, int], tuple[str, str | None]]


def _walk(api: ApiClient, path: str, limit: int, member: str | None = None) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(1000):
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = api.get(path, member=member, query_string=query)
        assert page.status_code == 200, page.json
        items = page.json["items"]
        assert len(items) <= limit
        seen += [_key(item) for item in items]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return seen
        assert items, "a page with a next_cursor is never empty"
    raise AssertionError("pagination never ended")


def _key(item: dict[str, str]) -> str:
    return item.get("id") or item["to_id"]


def _members(api: ApiClient, trio: Trio, n: int) -> tuple[str, str | None]:
    for i in range(n):
        api.member(f"Extra{i}")
    return "/v1/members", None


def _relationships(api: ApiClient, trio: Trio, n: int) -> tuple[str, str | None]:
    for i in range(n):
        api.trust(trio.requester, api.member(f"Known{i}"), 1 + i % 5)
    return f"/v1/members/{trio.requester}/relationships", None


def _introductions(api: ApiClient, trio: Trio, n: int) -> tuple[str, str | None]:
    requester = None
    for i in range(n):
        if i % 5 == 0:  # the open-request cap is 5 per requester
            requester = api.member(f"Asker{i}")
            api.trust(requester, trio.introducer, 3)
        target = api.member(f"Target{i}")
        api.trust(trio.introducer, target, 4)
        body = {"introducer_id": trio.introducer, "target_id": target, "reason": "r",
                "blurb": "b"}  # fmt: skip
        assert api.post("/v1/introductions", body, member=requester).status_code == 201
    return "/v1/introductions", trio.introducer


LISTS: dict[str, Maker] = {
    "members": _members,
    "relationships": _relationships,
    "introductions": _introductions,
}


@pytest.mark.parametrize("which", sorted(LISTS))
@pytest.mark.parametrize("limit", [1, 3, 7])
def test_walking_pages_gives_every_item_once_in_order(
    api: ApiClient, trio: Trio, clock: FrozenClock, which: str, limit: int
) -> None:
    path, member = LISTS[which](api, trio, 6)
    clock.advance(timedelta(seconds=1))
    LISTS[which](api, trio, 6)  # a second batch, all sharing one timestamp
    everything = api.get(path, member=member, query_string={"limit": 100}).json
    assert everything["next_cursor"] is None
    expected = [_key(i) for i in everything["items"]]
    assert len(expected) >= 12 and len(set(expected)) == len(expected)
    assert _walk(api, path, limit, member) == expected


@pytest.mark.parametrize("which", sorted(LISTS))
@pytest.mark.parametrize("advance", [timedelta(0), timedelta(minutes=1)])
def test_rows_added_during_a_walk_cause_no_duplicates_or_gaps(
    api: ApiClient, trio: Trio, clock: FrozenClock, which: str, advance: timedelta
) -> None:
    path, member = LISTS[which](api, trio, 10)
    before = [
        _key(i) for i in api.get(path, member=member, query_string={"limit": 100}).json["items"]
    ]
    first = api.get(path, member=member, query_string={"limit": 4}).json
    clock.advance(advance)
    LISTS[which](api, trio, 5)
    seen = [_key(i) for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(path, member=member, query_string={"limit": 4, "cursor": cursor}).json
        seen += [_key(i) for i in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)), "no item twice"
    assert set(before) <= set(seen), "no item that existed at the start is skipped"
    assert [k for k in seen if k in before] == before, "the original order holds"


@pytest.mark.parametrize("which", sorted(LISTS))
def test_default_page_size_and_maximum(api: ApiClient, trio: Trio, which: str) -> None:
    path, member = LISTS[which](api, trio, DEFAULT_LIMIT + 1)
    page = api.get(path, member=member).json
    assert len(page["items"]) == DEFAULT_LIMIT
    assert page["next_cursor"]
    assert_problem(api.get(path, member=member, query_string={"limit": 101}), 422)


def test_an_empty_list_has_no_next_cursor(api: ApiClient) -> None:
    page = api.get("/v1/introductions").json
    assert page == {"items": [], "next_cursor": None}


def test_a_cursor_from_one_list_used_on_another_is_harmless(api: ApiClient, trio: Trio) -> None:
    _members(api, trio, 5)
    cursor = api.get("/v1/members", query_string={"limit": 2}).json["next_cursor"]
    page = api.get("/v1/introductions", query_string={"cursor": cursor})
    assert page.status_code == 200
    assert page.json["items"] == []


def test_a_members_list_of_introductions_is_paged_within_what_they_see(
    api: ApiClient, trio: Trio
) -> None:
    _introductions(api, trio, 7)
    # The target of none of these sees nothing; the introducer of all sees all seven.
    assert _walk(api, "/v1/introductions", 2, trio.target) == []
    assert len(_walk(api, "/v1/introductions", 2, trio.introducer)) == 7


@pytest.mark.parametrize("cursor", ["!!", "bm90LWpzb24", "WzEsMl0"])
def test_a_bad_cursor_is_a_400_problem(api: ApiClient, cursor: str) -> None:
    assert_problem(api.get("/v1/members", query_string={"cursor": cursor}), 400, "invalid_cursor")


@pytest.mark.parametrize("which", sorted(LISTS))
def test_an_empty_cursor_is_the_first_page(api: ApiClient, trio: Trio, which: str) -> None:
    path, member = LISTS[which](api, trio, 3)
    first = api.get(path, member=member, query_string={"limit": 2}).json
    empty = api.get(path, member=member, query_string={"limit": 2, "cursor": ""})
    assert empty.status_code == 200, empty.json
    assert empty.json == first
