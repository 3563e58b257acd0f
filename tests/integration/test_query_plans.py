"""The hot reads use the indexes they were written for, on both databases.

The query plan is read with EXPLAIN from the statement the use case really
runs (captured from the engine). On PostgreSQL sequential scans are switched
off for the EXPLAIN, so the plan shows which index the planner would pick on a
large table rather than the scan it prefers on a small one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from api.composition import ENGINE
from service.actors import Actor
from service.deps import Deps
from service.use_cases import introductions as intros
from tests.helpers import ApiClient, Trio


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan(engine: Engine, backend: str, statement: str, parameters: Any) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if backend == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(str(row[0]) for row in cursor.fetchall())
    finally:
        raw.close()


def test_a_members_page_walks_their_rows_not_the_workspace(
    app: Flask, api: ApiClient, trio: Trio, deps: Deps, backend: str
) -> None:
    for i in range(3):
        target = api.member(f"Target{i}")
        api.trust(trio.introducer, target, 4)
        assert api.request(trio, target_id=target).status_code == 201
    engine: Engine = app.extensions[ENGINE]
    actor = Actor(
        workspace_id=api.workspace_id, member_id=trio.requester, channel="api", credential="t"
    )
    with captured(engine) as seen:
        page = intros.list_introductions(deps, actor, limit=20)
    assert len(page.items) == 3
    statement, parameters = next(s for s in seen if "FROM introductions" in s[0])
    shown = plan(engine, backend, statement, parameters)
    if backend == "sqlite":
        # The workspace's date index would mean reading every introduction in it.
        assert "ix_introductions_workspace_created" not in shown, shown
        assert "SCAN introductions" not in shown, shown
        assert "ix_introductions_requester_id" in shown, shown
        assert "sqlite_autoindex_introductions_1 (id=?)" in shown, shown
    else:
        # On a table this small PostgreSQL's costs say little about the outer
        # join order (bench/profile.py --db postgres shows it at scale); each
        # role's branch must still be an index walk.
        assert "Seq Scan" not in shown, shown
        assert "ix_introductions_introducer_created" in shown, shown


def test_loading_the_edges_of_a_request_uses_the_primary_key(
    app: Flask, api: ApiClient, trio: Trio, backend: str
) -> None:
    engine: Engine = app.extensions[ENGINE]
    with captured(engine) as seen:
        assert api.request(trio).status_code == 201
    statement, parameters = next(s for s in seen if "FROM relationships" in s[0])
    shown = plan(engine, backend, statement, parameters)
    assert "SCAN relationships" not in shown, shown
    assert "Seq Scan" not in shown, shown
