"""Races on PostgreSQL, through a real HTTP server: each transition happens once.

Decision: these tests need PostgreSQL (SQLite serialises writers, so it cannot
show a race). They are marked `postgres` and FAIL, not skip, when
VOUCH_TEST_POSTGRES_URL is unset, so a CI that forgot PostgreSQL goes red.
`.ci/run` sets the variable; to run the rest of the suite without PostgreSQL
on purpose, deselect them explicitly: `pytest -m "not postgres"`.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from api import create_app
from api.composition import ENGINE, EXTENSION
from service.clock import FrozenClock
from service.deps import Deps
from service.models import AuditEvent, Introduction, OutboxMessage
from tests.conftest import config_for
from tests.databases import POSTGRES_URL, PostgresRunDatabase
from tests.helpers import ApiClient, Trio, make_trio

pytestmark = pytest.mark.postgres


@dataclass
class Server:
    url: str
    key: str
    deps: Deps
    api: ApiClient

    def call(
        self, method: str, path: str, body: Any, member: str | None, **headers: str
    ) -> tuple[int, Any]:
        if member:
            headers["Acting-Member"] = member
        return _http(method, self.url + path, body, {"Authorization": f"Bearer {self.key}",
                                                     **headers})  # fmt: skip


def _http(method: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    """One real HTTP request to the loopback server: (status, decoded JSON body)."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - an http://127.0.0.1 URL we built
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - same
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def pg_app(postgres_run: PostgresRunDatabase | None, tmp_path: Path) -> Iterator[Flask]:
    if postgres_run is None:
        pytest.fail(
            "VOUCH_TEST_POSTGRES_URL is not set: the concurrency tests need PostgreSQL. "
            "Run .ci/run, set the variable, or deselect them with -m 'not postgres'.",
            pytrace=False,
        )
    assert POSTGRES_URL
    app = create_app(config_for(postgres_run.fresh_url(), tmp_path), clock=FrozenClock())
    yield app
    app.extensions[ENGINE].dispose()


@pytest.fixture
def server(pg_app: Flask) -> Iterator[Server]:
    http = make_server("127.0.0.1", 0, pg_app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    deps: Deps = pg_app.extensions[EXTENSION]
    api = ApiClient.for_new_workspace(pg_app.test_client(), deps)
    try:
        yield Server(f"http://127.0.0.1:{http.server_port}", api.key, deps, api)
    finally:
        http.shutdown()
        thread.join()


def _all_at_once(n: int, action: Callable[[int], tuple[int, Any]]) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(n)

    def run(i: int) -> tuple[int, Any]:
        barrier.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def _count(deps: Deps, model: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(model).filter_by(**where)
    with deps.uow() as uow:
        return int(uow.session.scalar(stmt) or 0)


def _request(server: Server, trio: Trio) -> str:
    status, body = server.call("POST", "/v1/introductions", _body(trio), trio.requester)
    assert status == 201, body
    return str(body["id"])


def _body(trio: Trio) -> dict[str, str]:
    return {"introducer_id": trio.introducer, "target_id": trio.target, "reason": "r",
            "blurb": "b"}  # fmt: skip


def _new_trio(server: Server) -> Trio:
    return make_trio(server.api)


def test_fifty_simultaneous_consents_make_one_transition(server: Server) -> None:
    control_trio, trio = _new_trio(server), _new_trio(server)
    control = _request(server, control_trio)
    path = f"/v1/introductions/{control}/consent"
    assert server.call("POST", path, {"note": "n"}, control_trio.introducer)[0] == 200
    intro = _request(server, trio)

    results = _all_at_once(
        50,
        lambda _i: server.call(
            "POST", f"/v1/introductions/{intro}/consent", {"note": "n"}, trio.introducer
        ),
    )
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 49}, statuses
    codes = {body["code"] for status, body in results if status == 409}
    assert codes <= {"concurrent_transition", "illegal_transition"}
    assert _count(server.deps, Introduction, id=intro, state="opting_in") == 1
    assert (
        _count(server.deps, AuditEvent, introduction_id=intro, action="introduction.consent") == 1
    )
    assert _count(server.deps, OutboxMessage, introduction_id=intro) == _count(
        server.deps, OutboxMessage, introduction_id=control
    ), "one set of emails, like a single consent"


def test_both_parties_opting_in_at_once_connect_exactly_once(server: Server) -> None:
    for _round in range(5):
        trio = _new_trio(server)
        intro = _request(server, trio)
        path = f"/v1/introductions/{intro}"
        assert server.call("POST", f"{path}/consent", {}, trio.introducer)[0] == 200
        parties = [trio.requester, trio.target]
        results = _all_at_once(
            2, lambda i, p=path, who=parties: server.call("POST", f"{p}/opt-in", {}, who[i])
        )
        assert [status for status, _ in results] == [200, 200], results
        assert sorted(body["state"] for _, body in results) == ["connected", "opting_in"]
        assert _count(server.deps, Introduction, id=intro, state="connected") == 1
        connects = _count(
            server.deps, AuditEvent, introduction_id=intro, action="introduction.connect"
        )
        assert connects == 1
        connected_mails = _count(server.deps, OutboxMessage, introduction_id=intro,
                                 template="connected")  # fmt: skip
        assert connected_mails == 2, "one to each party"


def test_the_same_party_opting_in_many_times_at_once_counts_once(server: Server) -> None:
    trio = _new_trio(server)
    intro = _request(server, trio)
    server.call("POST", f"/v1/introductions/{intro}/consent", {}, trio.introducer)
    results = _all_at_once(
        20, lambda _i: server.call("POST", f"/v1/introductions/{intro}/opt-in", {}, trio.target)
    )
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 19}, statuses
    assert _count(server.deps, AuditEvent, introduction_id=intro, action="introduction.opt_in") == 1


@pytest.mark.parametrize("n", [2, 12])
def test_simultaneous_duplicate_requests_create_one(server: Server, n: int) -> None:
    trio = _new_trio(server)
    results = _all_at_once(
        n, lambda _i: server.call("POST", "/v1/introductions", _body(trio), trio.requester)
    )
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 422: n - 1}, results
    assert {body["code"] for status, body in results if status == 422} == {"duplicate_open_request"}
    assert _count(server.deps, Introduction, requester_id=trio.requester) == 1


def test_simultaneous_retries_with_one_idempotency_key_create_one(server: Server) -> None:
    trio = _new_trio(server)

    def post(_i: int) -> tuple[int, Any]:
        return server.call("POST", "/v1/introductions", _body(trio), trio.requester,
                           **{"Idempotency-Key": "same-key"})  # fmt: skip

    results = _all_at_once(10, post)
    created = [body for status, body in results if status == 201]
    assert created and all(body == created[0] for body in created), "replays are identical"
    others = {body["code"] for status, body in results if status != 201}
    assert others <= {"idempotency_key_in_flight"}, results
    assert _count(server.deps, Introduction, requester_id=trio.requester) == 1
