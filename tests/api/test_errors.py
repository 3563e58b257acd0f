"""Every bad input gets one clear problem+json answer, and never a 500."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.expect import assert_problem
from tests.helpers import ApiClient, Trio


@dataclass
class World:
    api: ApiClient
    trio: Trio
    intro: str


@pytest.fixture
def world(api: ApiClient, trio: Trio) -> World:
    created = api.request(trio)
    assert created.status_code == 201
    return World(api, trio, created.json["id"])


def _body_endpoints(w: World) -> list[tuple[str, str, str | None]]:
    """(method, path, acting member) of every endpoint that reads a JSON body."""
    t = w.trio
    return [
        ("POST", "/v1/members", None),
        ("PATCH", f"/v1/members/{t.requester}", None),
        ("PUT", f"/v1/members/{t.requester}/relationships/{t.target}", None),
        ("POST", "/v1/introductions", t.requester),
        ("POST", f"/v1/introductions/{w.intro}/consent", t.introducer),
        ("POST", f"/v1/introductions/{w.intro}/decline", t.introducer),
        ("POST", f"/v1/introductions/{w.intro}/withdraw", t.requester),
        ("POST", f"/v1/introductions/{w.intro}/opt-in", t.requester),
    ]


BAD_BODIES: dict[str, tuple[bytes, int, str]] = {
    "malformed": (b'{"name": ', 400, "malformed_json"),
    "invalid_utf8": (b'{"name": "\xff\xfe"}', 400, "malformed_json"),
    "nan": (b'{"name": NaN}', 422, "validation_failed"),
    "deep_nesting": (b"[" * 50_000 + b"]" * 50_000, 400, "malformed_json"),
    "deep_object": (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, 400, "malformed_json"),
    "array": (b"[]", 422, "validation_failed"),
    "string": (b'"hello"', 422, "validation_failed"),
    "null": (b"null", 422, "validation_failed"),
    "number": (b"42", 422, "validation_failed"),
    "unknown_field": (b'{"surprise": 1}', 422, "validation_failed"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_every_body_endpoint_answers_bad_json_with_a_problem(
    world: World, client: FlaskClient, case: str
) -> None:
    data, status, code = BAD_BODIES[case]
    for method, path, member in _body_endpoints(world):
        response = client.open(
            path,
            method=method,
            data=data,
            content_type="application/json",
            headers=world.api.headers(member),
        )
        body = assert_problem(response, status, code)
        if case == "unknown_field":
            assert "surprise" in body["errors"], (method, path)
    # Nothing was changed by any of it.
    state = world.api.get(f"/v1/introductions/{world.intro}").json["state"]
    assert state == "requested"


def test_missing_body_is_a_field_error_not_a_crash(world: World, client: FlaskClient) -> None:
    headers = world.api.headers()
    body = assert_problem(client.post("/v1/members", headers=headers), 422, "validation_failed")
    assert {"external_ref", "name", "contact"} <= body["errors"].keys()
    as_text = client.post("/v1/members", data="name=x", headers=headers, content_type="text/plain")
    assert_problem(as_text, 422, "validation_failed", fields={"name"})


def test_a_body_over_the_size_limit_is_413(world: World, client: FlaskClient) -> None:
    huge = json.dumps({"name": "a" * (300 * 1024)})
    response = client.post(
        "/v1/members", data=huge, content_type="application/json", headers=world.api.headers()
    )
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 10_000),
        ("external_ref", "r" * 5_000),
        ("headline", "h" * 100_000),
        ("contact", {"email": "a" * 400 + "@example.com"}),
        ("contact", {"email": "ann@example.com", "links": ["https://x.example/" + "p" * 600]}),
        ("contact", {"email": "ann@example.com", "phone": "1" * 100}),
    ],
)
def test_huge_strings_are_field_errors(world: World, field: str, value: object) -> None:
    body = {"external_ref": "ok", "name": "Ok", "contact": {"email": "ok@example.com"}}
    body[field] = value
    problem = assert_problem(world.api.post("/v1/members", body), 422)
    assert any(key.startswith(field) for key in problem["errors"]), problem


def test_huge_reason_and_blurb_are_field_errors(world: World) -> None:
    response = world.api.request(world.trio, reason="r" * 2001, blurb="b" * 50_000)
    assert_problem(response, 422, "validation_failed", fields={"reason", "blurb"})


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/v1/members", {"external_ref": 1, "name": [], "contact": "x"}, {"external_ref", "name"}),
        ("/v1/members", {"external_ref": "r", "name": "n", "contact": {"email": 5}}, {"contact"}),
        (
            "/v1/members",
            {
                "external_ref": "r",
                "name": "n",
                "contact": {"email": "a@b.co", "links": "https://one.example"},
            },
            {"contact"},
        ),  # fmt: skip
        (
            "/v1/members",
            {"external_ref": "r", "name": None, "contact": {"email": "a@b.co"}},
            {"name"},
        ),  # fmt: skip
    ],
)
def test_wrong_types_are_field_errors(
    world: World, path: str, body: dict[str, object], fields: set[str]
) -> None:
    assert_problem(world.api.post(path, body), 422, "validation_failed", fields=fields)


@pytest.mark.parametrize("trust", [True, 3.5, "3", 0, 6, -1, 10**40, None])
def test_trust_must_be_an_integer_from_1_to_5(world: World, trust: object) -> None:
    t = world.trio
    response = world.api.put(
        f"/v1/members/{t.requester}/relationships/{t.target}", {"trust": trust}
    )
    assert_problem(response, 422, "validation_failed", fields={"trust"})
    missing = world.api.get(f"/v1/members/{t.requester}/relationships/{t.target}")
    assert_problem(missing, 404, "relationship_not_found")


def test_invalid_contact_details_are_field_errors(world: World) -> None:
    body = {
        "external_ref": "r",
        "name": "n",
        "contact": {"email": "not-an-email", "phone": "call me", "links": ["javascript:alert(1)"]},
    }
    problem = assert_problem(world.api.post("/v1/members", body), 422, "invalid_input")
    assert {"contact.email", "contact.phone", "contact.links"} <= problem["errors"].keys()


@pytest.mark.parametrize(
    "body",
    [
        {"external_ref": "nul\u0000", "name": "Ok", "contact": {"email": "ok@example.com"}},
        {"external_ref": "ok", "name": "N\u0000ul", "contact": {"email": "ok@example.com"}},
        {"external_ref": "ok", "name": "Ok", "contact": {"email": "ok@example.com",
                                                        "links": ["https://x.example/\u0000"]}},
    ],
)  # fmt: skip
def test_nul_characters_are_refused_the_same_on_every_database(
    world: World, body: dict[str, object]
) -> None:
    assert_problem(world.api.post("/v1/members", body), 422, "validation_failed")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/members/ab%00cd",
        "/v1/members/" + "m" * 5_000,
        "/v1/members/%F0%9F%98%80",
        "/v1/members/%FF%FE",
        "/v1/members/'%20OR%201=1--",
        "/v1/introductions/ab%00cd",
        "/v1/introductions/" + "i" * 5_000,
        "/v1/introductions/%FF%FE",
        "/v1/introductions/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_bad_ids_are_404_problems(world: World, path: str) -> None:
    body = assert_problem(world.api.get(path), 404)
    assert body["code"] in ("member_not_found", "introduction_not_found", "not_found")


def test_bad_ids_in_relationship_paths_are_404_problems(world: World) -> None:
    t = world.trio
    for other in ("nobody", "x%00y", "z" * 3000):
        path = f"/v1/members/{t.requester}/relationships/{other}"
        nul = "%00" in other
        assert_problem(world.api.put(path, {"trust": 3}), 404, "not_found" if nul else
                       "member_not_found")  # fmt: skip
        for response in (world.api.get(path), world.api.delete(path)):
            assert_problem(response, 404, "not_found" if nul else "relationship_not_found")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer vouch_x_y",
        "Bearer vouch_000000000000_not-the-secret",
        "Bearer " + "k" * 20_000,
        "Bearer\tkey",
        "Bearer \u00e9\u00e8",
    ],
)
def test_bad_authorization_headers_are_401_problems(
    world: World, client: FlaskClient, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/v1/members", headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_valid_key_with_a_wrong_secret_is_401(world: World, client: FlaskClient) -> None:
    prefix = world.api.key.split("_")[1]
    forged = f"vouch_{prefix}_{'A' * 43}"
    response = client.get("/v1/members", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401, "unauthenticated")


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        ("", 400, "invalid_acting_member"),
        ("   ", 400, "invalid_acting_member"),
        ("m" * 10_000, 400, "invalid_acting_member"),
        ("\x01mem", 400, "invalid_acting_member"),
        ("mem_doesnotexist", 403, "unknown_acting_member"),
    ],
)
def test_bad_acting_member_headers_are_problems(
    world: World, client: FlaskClient, value: str, status: int, code: str
) -> None:
    headers = {**world.api.headers(), "Acting-Member": value}
    assert_problem(client.get("/v1/members", headers=headers), status, code)


def test_acting_member_of_another_workspace_looks_like_an_unknown_member(
    world: World, client: FlaskClient
) -> None:
    other = ApiClient.for_new_workspace(client, _deps_of(client), "Other")
    outsider = other.member("Olga")
    headers = {**world.api.headers(), "Acting-Member": outsider}
    body = assert_problem(client.get("/v1/members", headers=headers), 403, "unknown_acting_member")
    unknown = {**world.api.headers(), "Acting-Member": "mem_neverexisted000000000"}
    same = assert_problem(client.get("/v1/members", headers=unknown), 403)
    assert body["detail"] == same["detail"], "existence elsewhere must not show"


def _deps_of(client: FlaskClient):  # type: ignore[no-untyped-def]
    from api.composition import EXTENSION

    return client.application.extensions[EXTENSION]


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = [
    "!!!",
    "abc",
    "%FF",
    _cursor(b"[1, 2]"),
    _cursor(b'{"a": 1}'),
    _cursor(b'["2026-01-01T00:00:00", "naive"]'),
    _cursor(b'["not a date", "x"]'),
    _cursor(b'["2026-01-01T00:00:00+00:00", 5]'),
    _cursor(b'["2026-01-01T00:00:00+00:00", "x", "y"]'),
    _cursor(b"\xff\xfe"),
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_bad_cursors_are_400_on_every_list(world: World, cursor: str) -> None:
    for path in _list_paths(world):
        response = world.api.get(f"{path}?cursor={cursor}")
        assert_problem(response, 400, "invalid_cursor")


def _list_paths(world: World) -> list[str]:
    return [
        "/v1/members",
        "/v1/introductions",
        f"/v1/members/{world.trio.requester}/relationships",
    ]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "limit=-1",
                                   "cursor=" + "c" * 600])  # fmt: skip
def test_bad_paging_arguments_are_field_errors(world: World, query: str) -> None:
    field = query.split("=")[0]
    for path in _list_paths(world):
        problem = assert_problem(world.api.get(f"{path}?{query}"), 422, "validation_failed")
        assert f"query.{field}" in problem["errors"], problem


def test_bad_list_filters_are_field_errors(world: World) -> None:
    problem = assert_problem(world.api.get("/v1/introductions?state=bogus"), 422)
    assert "query.state" in problem["errors"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/members"),
        ("PUT", "/v1/members"),
        ("POST", "/v1/members/{requester}"),
        ("PATCH", "/v1/introductions"),
        ("PUT", "/v1/introductions/{intro}"),
        ("DELETE", "/v1/introductions/{intro}"),
        ("GET", "/v1/introductions/{intro}/consent"),
        ("PUT", "/v1/introductions/{intro}/opt-in"),
        ("POST", "/v1/members/{requester}/relationships/{target}"),
    ],
)
def test_wrong_methods_are_405_with_allow(
    world: World, client: FlaskClient, method: str, path: str
) -> None:
    url = path.format(intro=world.intro, **world.trio.all)
    response = client.open(url, method=method, headers=world.api.headers(), json={})
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers.get("Allow")


@pytest.mark.parametrize(
    "path", ["/v1/nope", "/v1/introductions/x/approve", "/v2/members", "/nope", "/v1/"]
)
def test_unknown_paths_are_404_problems(world: World, path: str) -> None:
    assert_problem(world.api.get(path), 404, "not_found")


def test_unknown_v1_paths_without_a_key_ask_for_one(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/nope"), 401, "unauthenticated")


SQL = "Robert'); DROP TABLE members;-- \" OR 1=1"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'


def test_sql_and_html_in_text_fields_are_stored_and_returned_verbatim(world: World) -> None:
    body = {
        "external_ref": SQL,
        "name": HTML,
        "headline": SQL + HTML,
        "contact": {"email": "bobby@example.com"},
    }
    created = world.api.post("/v1/members", body)
    assert created.status_code == 201, created.json
    assert created.mimetype == "application/json"
    fetched = world.api.get(f"/v1/members/{created.json['id']}").json
    assert (fetched["external_ref"], fetched["name"], fetched["headline"]) == (
        SQL, HTML, SQL + HTML,
    )  # fmt: skip
    found = world.api.get("/v1/members", query_string={"external_ref": SQL}).json["items"]
    assert [m["id"] for m in found] == [created.json["id"]]

    t = world.trio
    world.api.post(f"/v1/introductions/{world.intro}/withdraw", {}, member=t.requester)
    intro = world.api.request(t, reason=SQL, blurb=HTML)
    assert intro.status_code == 201, intro.json
    again = world.api.get(f"/v1/introductions/{intro.json['id']}", member=t.introducer).json
    assert (again["reason"], again["blurb"]) == (SQL, HTML)
    assert len(world.api.get("/v1/members").json["items"]) == 4, "the table is still there"


# Rule violations of request creation: 422 with a machine-readable code.


def test_unknown_introducer_or_target_is_unknown_member(world: World) -> None:
    problem = assert_problem(
        world.api.request(world.trio, introducer_id="mem_nobody", target_id="mem_noone"),
        422,
        "unknown_member",
    )
    assert {"introducer_id", "target_id"} <= problem["errors"].keys()


@pytest.mark.parametrize("same", ["introducer_as_target", "self_as_introducer", "self_as_target"])
def test_three_distinct_members_are_required(world: World, same: str) -> None:
    t = world.trio
    overrides = {
        "introducer_as_target": {"target_id": t.introducer},
        "self_as_introducer": {"introducer_id": t.requester},
        "self_as_target": {"target_id": t.requester},
    }[same]
    assert_problem(world.api.request(t, **overrides), 422, "members_not_distinct")


def test_asking_someone_you_have_no_relationship_with_is_refused(world: World) -> None:
    t = world.trio
    world.api.delete(f"/v1/members/{t.requester}/relationships/{t.introducer}")
    assert_problem(world.api.request(t), 422, "no_relationship_with_introducer")


def test_introducer_who_does_not_know_the_target_and_one_who_shields_them_look_the_same(
    world: World,
) -> None:
    t = world.trio
    stranger = world.api.member("Stan")
    no_edge = assert_problem(world.api.request(t, target_id=stranger), 422, "target_not_reachable")
    world.api.trust(t.introducer, stranger, 5, introducible=False)
    shielded = assert_problem(world.api.request(t, target_id=stranger), 422)
    assert shielded == no_edge


def test_a_second_open_request_for_the_same_target_is_a_duplicate(world: World) -> None:
    assert_problem(world.api.request(world.trio), 422, "duplicate_open_request")


def test_the_open_request_cap_stops_the_sixth_request(world: World) -> None:
    t = world.trio
    for n in range(4):
        target = world.api.member(f"Target{n}")
        world.api.trust(t.introducer, target, 3)
        assert world.api.request(t, target_id=target).status_code == 201
    sixth = world.api.member("Sixth")
    world.api.trust(t.introducer, sixth, 3)
    assert_problem(world.api.request(t, target_id=sixth), 422, "open_request_cap_reached")
    world.api.post(f"/v1/introductions/{world.intro}/withdraw", {}, member=t.requester)
    assert world.api.request(t, target_id=sixth).status_code == 201, "a closed one frees a slot"


# Roles: 403 with a code.


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("consent", "requester"),
        ("consent", "target"),
        ("decline", "requester"),
        ("withdraw", "introducer"),
    ],
)
def test_only_the_right_party_may_act(world: World, action: str, who: str) -> None:
    response = world.api.act(world.intro, action, world.trio.all[who])
    if who == "target":
        # The target cannot even see a request before consent.
        assert_problem(response, 404, "introduction_not_found")
        return
    assert_problem(response, 403, "not_your_action")


def test_outsider_acting_on_an_introduction_gets_404(world: World) -> None:
    outsider = world.api.member("Otto")
    response = world.api.act(world.intro, "consent", outsider)
    assert_problem(response, 404, "introduction_not_found")


@pytest.mark.parametrize("action", ["consent", "decline", "withdraw", "opt-in"])
def test_workflow_actions_need_an_acting_member(world: World, action: str) -> None:
    response = world.api.post(f"/v1/introductions/{world.intro}/{action}", {})
    assert_problem(response, 403, "acting_member_required")


def test_requesting_needs_an_acting_member(world: World) -> None:
    t = world.trio
    body = {"introducer_id": t.introducer, "target_id": t.target, "reason": "r", "blurb": "b"}
    assert_problem(world.api.post("/v1/introductions", body), 403, "acting_member_required")


def test_members_cannot_add_members(world: World) -> None:
    body = {"external_ref": "x", "name": "X", "contact": {"email": "x@example.com"}}
    response = world.api.post("/v1/members", body, member=world.trio.requester)
    assert_problem(response, 403, "operator_only")


def test_members_cannot_change_someone_else(world: World) -> None:
    t = world.trio
    response = world.api.patch(f"/v1/members/{t.target}", {"name": "Evil"}, member=t.requester)
    assert_problem(response, 403, "not_yourself")


@pytest.mark.parametrize(
    ("setup", "action", "who", "event", "state"),
    [
        ([], "opt-in", "requester", "opt_in", "requested"),
        ([("consent", "introducer")], "consent", "introducer", "consent", "opting_in"),
        ([("decline", "introducer")], "consent", "introducer", "consent", "declined"),
        ([("withdraw", "requester")], "consent", "introducer", "consent", "withdrawn"),
        (
            [("consent", "introducer"), ("opt-in", "target"), ("opt-in", "requester")],
            "withdraw",
            "requester",
            "withdraw",
            "connected",
        ),
    ],
)
def test_illegal_transitions_are_409_naming_event_and_state(
    world: World,
    setup: list[tuple[str, str]],
    action: str,
    who: str,
    event: str,
    state: str,
) -> None:
    for step, actor in setup:
        assert world.api.act(world.intro, step, world.trio.all[actor]).status_code == 200
    problem = assert_problem(
        world.api.act(world.intro, action, world.trio.all[who]), 409, "illegal_transition"
    )
    assert event in problem["detail"] and state in problem["detail"]


def test_opting_in_twice_is_a_conflict(world: World) -> None:
    t = world.trio
    world.api.act(world.intro, "consent", t.introducer)
    assert world.api.act(world.intro, "opt-in", t.target).status_code == 200
    assert_problem(world.api.act(world.intro, "opt-in", t.target), 409, "already_opted_in")


# Random JSON at every body endpoint: whatever arrives, the answer is never a 500.

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    *("external_ref", "name", "headline", "contact", "email", "phone", "links", "trust"),
    *("introducible", "context", "introducer_id", "target_id", "reason", "blurb", "note"),
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.integers(min_value=0, max_value=7),
    body=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=6) | JSON_VALUES,
)
def test_random_json_never_causes_a_server_error(world: World, endpoint: int, body: object) -> None:
    method, path, member = _body_endpoints(world)[endpoint]
    response = world.api.client.open(
        path, method=method, json=body, headers=world.api.headers(member)
    )
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert_problem(response, response.status_code)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(["/v1/members", "/v1/introductions"]),
    query=st.dictionaries(
        st.sampled_from(["limit", "cursor", "state", "member_id", "external_ref"]),
        st.text(max_size=80),
        max_size=3,
    ),
)
def test_random_query_arguments_never_cause_a_server_error(
    world: World, path: str, query: dict[str, str]
) -> None:
    if path == "/v1/members":
        query.pop("state", None)
        query.pop("member_id", None)
    else:
        query.pop("external_ref", None)
    response = world.api.get(path, query_string=query)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert_problem(response, response.status_code)


@pytest.mark.parametrize("query", ["stat=opting_in", "limits=5", "cursor=&foo=1"])
def test_unknown_query_arguments_are_field_errors_not_ignored(world: World, query: str) -> None:
    problem = assert_problem(world.api.get(f"/v1/introductions?{query}"), 422, "validation_failed")
    assert any(key.startswith("query.") for key in problem["errors"]), problem
