"""Faults: the database away for a moment, hostile request bodies, and markup or
SQL in every text field. Every answer is a clean problem+json, never a 500,
and the service recovers by itself."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from api import create_app
from api.composition import ENGINE, EXTENSION
from service import db
from service.clock import FrozenClock
from service.deps import Deps
from service.models import Member, OutboxMessage
from service.schema import upgrade
from tests.conftest import config_for
from tests.databases import POSTGRES_URL
from tests.helpers import ApiClient, Trio, make_trio

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.json
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    return body


# The database away for a moment ----------------------------------------------


@pytest.fixture
def own_postgres_database() -> Iterator[tuple[str, Any]]:
    """A database of its own, so blocking it cannot disturb other tests."""
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"vouch_fault_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url, admin
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _cut_off(admin: Any, name: str, *, allow: bool) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
    if not allow:
        _kill_connections(admin, name)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs VOUCH_TEST_POSTGRES_URL")
def test_database_outage_answers_503_and_recovers_without_restart(
    own_postgres_database: tuple[str, Any], tmp_path: Path
) -> None:
    url, admin = own_postgres_database
    name = make_url(url).database
    assert name is not None
    app = create_app(config_for(url, tmp_path), clock=FrozenClock())
    try:
        api = ApiClient.for_new_workspace(app.test_client(), app.extensions[EXTENSION])
        trio = make_trio(api)
        assert api.get("/v1/members").status_code == 200

        _cut_off(admin, name, allow=False)
        for _ in range(3):  # pooled connections were killed; new ones are refused
            down = api.get("/v1/members")
            body = assert_problem(down, 503, "service_unavailable")
            assert down.headers["Retry-After"]
            assert "Traceback" not in body["detail"]
        assert_problem(api.request(trio), 503, "service_unavailable")

        _cut_off(admin, name, allow=True)
        assert api.get("/v1/members").status_code == 200
        created = api.request(trio)
        assert created.status_code == 201, created.json
        listed = api.get("/v1/introductions", member=trio.requester).json
        assert [i["id"] for i in listed["items"]] == [created.json["id"]]  # nothing half-written
    finally:
        _cut_off(admin, name, allow=True)
        app.extensions[ENGINE].dispose()


def _kill_connections(admin: Any, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs VOUCH_TEST_POSTGRES_URL")
def test_pooled_connections_that_died_while_idle_are_replaced_without_an_error(
    own_postgres_database: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server restart kills the pool's idle connections: a connection idle past
    IDLE_PING_SECONDS is pinged first and replaced, so no request fails."""
    url, admin = own_postgres_database
    app = create_app(config_for(url, tmp_path), clock=FrozenClock())
    try:
        api = ApiClient.for_new_workspace(app.test_client(), app.extensions[EXTENSION])
        assert api.get("/v1/members").status_code == 200
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        _kill_connections(admin, make_url(url).database or "")
        assert [api.get("/v1/members").status_code for _ in range(3)] == [200] * 3
    finally:
        app.extensions[ENGINE].dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs VOUCH_TEST_POSTGRES_URL")
def test_connections_in_steady_use_are_not_pinged(
    own_postgres_database: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _admin = own_postgres_database
    app = create_app(config_for(url, tmp_path), clock=FrozenClock())
    engine = app.extensions[ENGINE]
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(
        engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn)
    )
    try:
        api = ApiClient.for_new_workspace(app.test_client(), app.extensions[EXTENSION])
        assert api.get("/v1/members").status_code == 200
        warm = len(pings)  # each new connection is pinged once
        for _ in range(5):
            assert api.get("/v1/members").status_code == 200
        assert len(pings) == warm
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        assert api.get("/v1/members").status_code == 200
        assert len(pings) > warm
    finally:
        engine.dispose()


# Hostile bodies ------------------------------------------------------------------


def test_ten_megabyte_body_is_refused_with_413(api: ApiClient, trio: Trio) -> None:
    huge = json.dumps({"name": "x" * (10 * 1024 * 1024)})
    for path, member in (("/v1/members", None), ("/v1/introductions", trio.requester)):
        response = api.client.post(
            path, data=huge, content_type="application/json", headers=api.headers(member)
        )
        assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_refused_as_malformed(api: ApiClient, trio: Trio, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    for body in (deep, '{"external_ref": ' + deep + "}"):
        response = api.client.post(
            "/v1/members", data=body, content_type="application/json", headers=api.headers()
        )
        assert_problem(response, 400, "malformed_json")
    response = api.client.post(
        "/v1/introductions",
        data='{"reason": ' + deep + "}",
        content_type="application/json",
        headers=api.headers(trio.requester),
    )
    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\xff\xfe"}',
        b"\xc3\x28",
        b'{"external_ref": "a", "name": "\xed\xa0\x80"}',  # a lone surrogate, UTF-8 encoded
        b"\x00\x00\x00",
    ],
)
def test_invalid_utf8_body_is_a_clean_400(api: ApiClient, raw: bytes) -> None:
    response = api.client.post(
        "/v1/members", data=raw, content_type="application/json", headers=api.headers()
    )
    assert_problem(response, 400, "malformed_json")


def test_invalid_utf8_in_headers_and_query_is_never_a_500(api: ApiClient, trio: Trio) -> None:
    bad = "%FF%FE%ED%A0%80"
    for path in (f"/v1/members?cursor={bad}", f"/v1/introductions?state={bad}",
                 f"/v1/members/{bad}", f"/v1/introductions/{bad}"):  # fmt: skip
        response = api.get(path, member=trio.requester)
        assert 400 <= response.status_code < 500
        assert_problem(response, response.status_code)
    headers = {**api.headers(), "Acting-Member": "\udcff"}
    response = api.client.get("/v1/members", headers=headers)
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


# Markup and SQL in every text field ----------------------------------------------------

HOSTILE = [
    "Robert'); DROP TABLE members;--",
    "' OR '1'='1",
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }} ${7*7} %s %(x)s",
]


def _hostile(i: int) -> str:
    return HOSTILE[i % len(HOSTILE)]


@pytest.mark.parametrize("shift", range(len(HOSTILE)))
def test_markup_and_sql_are_stored_verbatim_and_never_executed(
    api: ApiClient, deps: Deps, shift: int
) -> None:
    values = [_hostile(shift + i) for i in range(8)]
    people = []
    for n, who in enumerate(("requester", "introducer", "target")):
        body = {
            "external_ref": f"{values[0]}-{who}",
            "name": f"{values[1]} {who}",
            "headline": values[2],
            "contact": {"email": f"{who}{n}-{shift}@example.com", "phone": "+1 555 0100",
                        "links": [f"https://example.com/?q={values[3]}"]},
        }  # fmt: skip
        created = api.post("/v1/members", body)
        assert created.status_code == 201, created.json
        assert created.mimetype == "application/json"
        for key in ("external_ref", "name", "headline"):
            assert created.json[key] == body[key]
        fetched = api.get(f"/v1/members/{created.json['id']}").json
        assert fetched["contact"]["links"] == body["contact"]["links"]
        people.append(created.json["id"])
    requester, introducer, target = people
    rel = api.put(
        f"/v1/members/{requester}/relationships/{introducer}",
        {"trust": 3, "context": values[4]},
    )
    assert rel.status_code == 200 and rel.json["context"] == values[4]
    api.trust(introducer, target, 4)
    asked = api.request(Trio(requester, introducer, target), reason=values[5], blurb=values[6])
    assert asked.status_code == 201, asked.json
    assert asked.json["reason"] == values[5] and asked.json["blurb"] == values[6]
    intro = asked.json["id"]
    consented = api.act(intro, "consent", introducer, {"note": values[7]})
    assert consented.status_code == 200 and consented.json["introducer_note"] == values[7]

    with deps.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 3
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
        assert rows
        for row in rows:
            # Markup from users is escaped in HTML mail, and kept as typed in text mail.
            assert "<script" not in row.body_html and "<img" not in row.body_html
            if row.to_member_id == introducer:
                assert f"{values[1]} requester" in row.body_text
    listed = api.get(f"/v1/members?external_ref={values[0]}-target")
    assert [m["id"] for m in listed.json["items"]] == [target]


def test_sql_in_query_parameters_filters_nothing_extra(api: ApiClient, trio: Trio) -> None:
    response = api.get("/v1/members?external_ref=' OR '1'='1")
    assert response.status_code == 200
    assert response.json["items"] == []


@pytest.fixture
def app_with_small_limit(app_config: dict[str, Any], clock: FrozenClock) -> Iterator[Flask]:
    app = create_app({**app_config, "MAX_CONTENT_LENGTH": 1024}, clock=clock)
    yield app
    app.extensions[ENGINE].dispose()


def test_body_limit_is_configurable(app_with_small_limit: Flask) -> None:
    deps = app_with_small_limit.extensions[EXTENSION]
    api = ApiClient.for_new_workspace(app_with_small_limit.test_client(), deps)
    body = {"external_ref": "r", "name": "n" * 2000, "contact": {"email": "a@example.com"}}
    assert_problem(api.post("/v1/members", body), 413, "payload_too_large")
