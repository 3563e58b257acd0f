"""Workspaces are sealed and members act only in their own role.

The cross-workspace matrix is built from the app's URL map, so every /v1
endpoint, including ones added later, is covered: another workspace's key
always gets a 404 for this workspace's ids (never a 403 that confirms they
exist, never data), and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.deps import Deps
from service.use_cases.workspaces import revoke_api_key
from tests.api.expect import assert_problem
from tests.helpers import ApiClient, Trio

SECRET_REASON = "VICTIM-REASON-must-not-leak"

# Plausible bodies, so the id lookup is what answers, not the validation.
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/v1/members/<string:member_id>"): {"name": "Mallory"},
    ("PUT", "/v1/members/<string:member_id>/relationships/<string:other_id>"): {"trust": 3},
    ("PUT", "/v1/members/<string:member_id>/policy"): {},
    ("POST", "/v1/introductions/<string:intro_id>/consent"): {"note": "x"},
    ("POST", "/v1/introductions/<string:intro_id>/decline"): {"note": "x"},
    ("POST", "/v1/introductions/<string:intro_id>/feedback"): {"rating": "negative"},
}

# Required query arguments, keyed by method and last path segment.
QUERIES: dict[tuple[str, str], dict[str, str]] = {("GET", "paths"): {"to": "mem_someone"}}


@dataclass
class Victim:
    api: ApiClient
    trio: Trio
    intro: str

    def secrets(self) -> list[str]:
        texts = [SECRET_REASON]
        for member_id in self.trio.all.values():
            texts.append(self.api.get(f"/v1/members/{member_id}").json["contact"]["email"])
        return texts


NOWHERE = Victim(
    api=None,  # type: ignore[arg-type]
    trio=Trio("mem_nowhere_requester", "mem_nowhere_introducer", "mem_nowhere_target"),
    intro="intro_nowhere",
)


@pytest.fixture
def victim(api: ApiClient, trio: Trio) -> Victim:
    created = api.request(trio, reason=SECRET_REASON)
    assert created.status_code == 201
    return Victim(api, trio, created.json["id"])


@pytest.fixture
def attacker(client: FlaskClient, deps: Deps) -> ApiClient:
    return ApiClient.for_new_workspace(client, deps, "Attacker")


def _v1_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    assert len(routes) >= 15
    return sorted(routes)


def _fill(rule: str, victim: Victim) -> str:
    values = {
        "member_id": victim.trio.requester,
        "other_id": victim.trio.target,
        "intro_id": victim.intro,
    }
    path = rule
    for name, value in values.items():
        path = path.replace(f"<string:{name}>", value).replace(f"<{name}>", value)
    # Ids of resources this test does not create (webhooks...): any id will do,
    # the answer must still be a plain 404.
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        path = path[:start] + "id_from_nowhere" + path[end + 1 :]
    return path


def _is_core(rule: str) -> bool:
    """The workflow's own resources: the operator gets a plain 404 there."""
    core = ("", "/relationships", "/relationships/<string:other_id>", "/consent", "/decline",
            "/withdraw", "/opt-in")  # fmt: skip
    for base in ("/v1/members/<string:member_id>", "/v1/introductions/<string:intro_id>"):
        if rule.startswith(base) and rule[len(base) :] in core:
            return True
    return False


def _call(api: ApiClient, method: str, path: str, body: Any, member: str | None) -> TestResponse:
    query = QUERIES.get((method, path.split("/")[-1]), {})
    return api.client.open(
        path,
        method=method,
        json=body if method != "GET" else None,
        headers=api.headers(member),
        query_string=query,
    )


def _assert_no_leak(response: TestResponse, victim_secrets: list[str]) -> None:
    text = response.get_data(as_text=True)
    for secret in victim_secrets:
        assert secret not in text


def test_another_workspace_gets_404_on_every_endpoint_and_changes_nothing(
    app: Flask, victim: Victim, attacker: ApiClient
) -> None:
    secrets = victim.secrets()
    before = victim.api.get(f"/v1/introductions/{victim.intro}").json
    attacker_member = attacker.member("Mallory")
    for method, rule in _v1_routes(app):
        path = _fill(rule, victim)
        if path == rule:
            continue  # collections: covered below
        body = BODIES.get((method, rule), {})
        for member in (None, attacker_member):
            response = _call(attacker, method, path, body, member)
            # A refusal before any lookup (a role check, a body check) is allowed only
            # when it is exactly the answer for ids that exist nowhere: it confirms nothing.
            made_up = _call(attacker, method, _fill(rule, NOWHERE), body, member)
            assert response.status_code in (403, 404, 422), (method, rule, member, response.json)
            problem = assert_problem(response, response.status_code)
            assert (response.status_code, problem["code"]) == (
                made_up.status_code, made_up.json["code"],
            ), (method, rule, member)  # fmt: skip
            if member is None and _is_core(rule):
                assert response.status_code == 404, (method, rule)
            _assert_no_leak(response, secrets)
    after = victim.api.get(f"/v1/introductions/{victim.intro}").json
    assert after == before
    for member_id in victim.trio.all.values():
        assert "contact" in victim.api.get(f"/v1/members/{member_id}").json, "nothing erased"
    assert victim.api.get(f"/v1/members/{victim.trio.requester}/relationships").json["items"]


def test_another_workspaces_lists_never_show_this_workspace(
    app: Flask, victim: Victim, attacker: ApiClient
) -> None:
    secrets = victim.secrets()
    ids = [victim.intro, *victim.trio.all.values()]
    for method, rule in _v1_routes(app):
        if method != "GET" or "<" in rule:
            continue
        response = attacker.get(rule)
        assert response.status_code == 200, (rule, response.json)
        text = response.get_data(as_text=True)
        assert not any(i in text for i in ids), rule
        _assert_no_leak(response, secrets)
    filtered = attacker.get("/v1/introductions", query_string={"member_id": victim.trio.requester})
    assert filtered.json["items"] == []


def test_another_workspace_cannot_use_this_workspaces_members_in_a_request(
    victim: Victim, attacker: ApiClient
) -> None:
    t = victim.trio
    mallory = attacker.member("Mallory")
    body = {"introducer_id": t.introducer, "target_id": t.target, "reason": "r", "blurb": "b"}
    refused = attacker.post("/v1/introductions", body, member=mallory)
    assert_problem(refused, 422, "unknown_member")
    as_them = attacker.post("/v1/introductions", body, member=t.requester)
    assert_problem(as_them, 403, "unknown_acting_member")
    edge = attacker.put(f"/v1/members/{mallory}/relationships/{t.target}", {"trust": 5})
    assert_problem(edge, 404, "member_not_found")


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    who: str
    allowed_codes: tuple[int, ...]
    body: Any = None


def _role_cases() -> list[Case]:
    intro = "/v1/introductions/{intro}"
    rel = "/v1/members/{requester}/relationships"
    return [
        Case("GET", intro, "target", (404,)),
        Case("GET", intro, "stranger", (404,)),
        Case("POST", intro + "/consent", "requester", (403,)),
        Case("POST", intro + "/consent", "target", (404,)),
        Case("POST", intro + "/consent", "stranger", (404,)),
        Case("POST", intro + "/decline", "requester", (403,)),
        Case("POST", intro + "/decline", "stranger", (404,)),
        Case("POST", intro + "/withdraw", "introducer", (403,)),
        Case("POST", intro + "/withdraw", "stranger", (404,)),
        Case("POST", intro + "/opt-in", "stranger", (404,)),
        Case("GET", rel, "introducer", (404,)),
        Case("GET", rel, "stranger", (404,)),
        Case("GET", rel + "/{introducer}", "introducer", (404,)),
        Case("GET", rel + "/{introducer}", "target", (404,)),
        Case("PUT", rel + "/{introducer}", "introducer", (404,), {"trust": 1}),
        Case("DELETE", rel + "/{introducer}", "stranger", (404,)),
        Case("PATCH", "/v1/members/{requester}", "stranger", (403,), {"name": "X"}),
        Case("POST", "/v1/members", "requester", (403,),
             {"external_ref": "x", "name": "X", "contact": {"email": "x@example.com"}}),
    ]  # fmt: skip


@pytest.mark.parametrize("case", _role_cases(), ids=lambda c: f"{c.method} {c.path} as {c.who}")
def test_a_wrong_acting_member_gets_404_or_403_and_never_data(
    api: ApiClient, victim: Victim, case: Case
) -> None:
    stranger = api.member("Sam")
    api.trust(stranger, victim.trio.requester, 5)
    who = {**victim.trio.all, "stranger": stranger}
    path = case.path.format(intro=victim.intro, **victim.trio.all)
    before = api.get(f"/v1/introductions/{victim.intro}").json
    edges = api.get(f"/v1/members/{victim.trio.requester}/relationships").json
    response = _call(api, case.method, path, case.body or {}, who[case.who])
    assert response.status_code in case.allowed_codes, response.json
    assert_problem(response, response.status_code)
    _assert_no_leak(response, victim.secrets())
    assert "trust" not in json.dumps(response.json)
    assert api.get(f"/v1/introductions/{victim.intro}").json == before
    assert api.get(f"/v1/members/{victim.trio.requester}/relationships").json == edges


def test_opting_in_is_only_for_the_requester_and_the_target(api: ApiClient, victim: Victim) -> None:
    t = victim.trio
    assert api.act(victim.intro, "consent", t.introducer).status_code == 200
    assert_problem(api.act(victim.intro, "opt-in", t.introducer), 403, "not_your_action")
    assert_problem(api.act(victim.intro, "withdraw", t.target), 403, "not_your_action")
    assert api.get(f"/v1/introductions/{victim.intro}").json["opted_in"] == {
        "requester": False,
        "target": False,
    }


def test_a_revoked_key_gets_401_everywhere(
    app: Flask, api: ApiClient, victim: Victim, deps: Deps
) -> None:
    prefix = api.key.split("_")[1]
    revoke_api_key(deps, api.workspace_id, prefix)
    for method, rule in _v1_routes(app):
        path = _fill(rule, victim)
        response = _call(api, method, path, BODIES.get((method, rule), {}), victim.trio.requester)
        assert_problem(response, 401, "unauthenticated")
        _assert_no_leak(response, [SECRET_REASON])


def test_revoking_one_key_leaves_the_others_working(
    client: FlaskClient, api: ApiClient, deps: Deps
) -> None:
    from service.use_cases.workspaces import create_api_key

    second = create_api_key(deps, api.workspace_id, "second")
    revoke_api_key(deps, api.workspace_id, api.key.split("_")[1])
    assert_problem(api.get("/v1/members"), 401)
    assert ApiClient(client, second.key, api.workspace_id).get("/v1/members").status_code == 200
