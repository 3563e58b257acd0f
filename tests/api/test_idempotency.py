"""`Idempotency-Key` on POST: a retry returns the first response and changes nothing.

Decisions pinned here: the fingerprint covers method, path, Acting-Member and
the raw body; only successful (2xx) responses are stored, so a request that
failed (a 4xx) may be retried with the same key after fixing it; keys are
scoped to the API key that sent them and live 24 hours.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.clock import FrozenClock
from service.deps import Deps
from service.models import Introduction, Member, OutboxMessage
from service.use_cases.workspaces import create_api_key
from tests.api.expect import assert_problem
from tests.helpers import ApiClient, Trio

KEY = {"Idempotency-Key": "3f1c6e0a-retry-me"}


def _count(deps: Deps, model: Any) -> int:
    with deps.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _member_body(ref: str = "dana-1") -> dict[str, Any]:
    return {"external_ref": ref, "name": "Dana", "contact": {"email": "dana@example.com"}}


def test_same_key_and_body_replays_the_first_response_and_creates_one_row(
    api: ApiClient, deps: Deps
) -> None:
    before = _count(deps, Member)
    first = api.post("/v1/members", _member_body(), **KEY)
    second = api.post("/v1/members", _member_body(), **KEY)
    assert first.status_code == second.status_code == 201
    assert second.get_data() == first.get_data()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(deps, Member) == before + 1


def test_a_retried_request_creates_one_introduction_and_one_set_of_emails(
    api: ApiClient, trio: Trio, deps: Deps
) -> None:
    body = {"introducer_id": trio.introducer, "target_id": trio.target, "reason": "r",
            "blurb": "b"}  # fmt: skip
    first = api.post("/v1/introductions", body, member=trio.requester, **KEY)
    emails = _count(deps, OutboxMessage)
    replay = api.post("/v1/introductions", body, member=trio.requester, **KEY)
    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json
    assert _count(deps, Introduction) == 1
    assert _count(deps, OutboxMessage) == emails


def test_a_retried_consent_replays_instead_of_a_conflict(api: ApiClient, trio: Trio) -> None:
    intro = api.request(trio).json["id"]
    path = f"/v1/introductions/{intro}/consent"
    first = api.post(path, {"note": "hi"}, member=trio.introducer, **KEY)
    again = api.post(path, {"note": "hi"}, member=trio.introducer, **KEY)
    assert first.status_code == again.status_code == 200
    assert again.json == first.json
    without_key = api.post(path, {"note": "hi"}, member=trio.introducer)
    assert_problem(without_key, 409, "illegal_transition")


@pytest.mark.parametrize("change", ["body", "path", "acting_member"])
def test_same_key_with_a_different_request_is_422(
    api: ApiClient, trio: Trio, deps: Deps, change: str
) -> None:
    intro = api.request(trio).json["id"]
    path = f"/v1/introductions/{intro}/consent"
    assert api.post(path, {"note": "a"}, member=trio.introducer, **KEY).status_code == 200
    if change == "body":
        other = api.post(path, {"note": "b"}, member=trio.introducer, **KEY)
    elif change == "path":
        other = api.post(f"/v1/introductions/{intro}/decline", {"note": "a"},
                         member=trio.introducer, **KEY)  # fmt: skip
    else:
        other = api.post(path, {"note": "a"}, member=trio.requester, **KEY)
    assert_problem(other, 422, "idempotency_key_reused")
    shown = api.get(f"/v1/introductions/{intro}", member=trio.introducer).json
    assert shown["state"] == "opting_in" and shown["introducer_note"] == "a"


def test_a_reused_key_on_member_creation_creates_nothing(api: ApiClient, deps: Deps) -> None:
    api.post("/v1/members", _member_body("first"), **KEY)
    before = _count(deps, Member)
    assert_problem(api.post("/v1/members", _member_body("second"), **KEY), 422,
                   "idempotency_key_reused")  # fmt: skip
    assert _count(deps, Member) == before


@pytest.mark.parametrize("key", ["k" * 256, "", "tab\there", "bell\x07"])
def test_a_key_that_is_too_long_empty_or_unprintable_is_400(
    api: ApiClient, client: FlaskClient, deps: Deps, key: str
) -> None:
    headers = {**api.headers(), "Idempotency-Key": key}
    response = client.post("/v1/members", json=_member_body(), headers=headers)
    assert_problem(response, 400, "invalid_idempotency_key")
    assert _count(deps, Member) == 0


def test_a_key_of_255_characters_is_accepted(api: ApiClient) -> None:
    key = {"Idempotency-Key": "k" * 255}
    assert api.post("/v1/members", _member_body(), **key).status_code == 201
    assert api.post("/v1/members", _member_body(), **key).headers["Idempotent-Replayed"] == "true"


def test_keys_belong_to_the_api_key_that_sent_them(
    api: ApiClient, client: FlaskClient, deps: Deps
) -> None:
    first = api.post("/v1/members", _member_body("a"), **KEY)
    second_key = create_api_key(deps, api.workspace_id, "second app")
    sibling = ApiClient(client, second_key.key, api.workspace_id)
    own = sibling.post("/v1/members", _member_body("b"), **KEY)
    assert own.status_code == 201, "another API key's key does not collide"
    assert "Idempotent-Replayed" not in own.headers
    assert own.json["id"] != first.json["id"]
    stranger = ApiClient.for_new_workspace(client, deps, "Elsewhere")
    theirs = stranger.post("/v1/members", _member_body("a"), **KEY)
    assert theirs.status_code == 201
    assert theirs.json["id"] != first.json["id"]
    assert "Idempotent-Replayed" not in theirs.headers


def test_a_failed_request_does_not_burn_the_key(api: ApiClient, deps: Deps) -> None:
    bad = _member_body()
    bad["contact"] = {"email": "not-an-email"}
    assert_problem(api.post("/v1/members", bad, **KEY), 422, "invalid_input")
    fixed = api.post("/v1/members", _member_body(), **KEY)
    assert fixed.status_code == 201
    assert _count(deps, Member) == 1


def test_a_key_can_be_reused_after_it_expires(
    api: ApiClient, clock: FrozenClock, deps: Deps
) -> None:
    assert api.post("/v1/members", _member_body("a"), **KEY).status_code == 201
    clock.advance(timedelta(hours=24, seconds=1))
    later = api.post("/v1/members", _member_body("b"), **KEY)
    assert later.status_code == 201
    assert "Idempotent-Replayed" not in later.headers
    assert _count(deps, Member) == 2
