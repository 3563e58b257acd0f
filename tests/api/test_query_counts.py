"""How many SQL statements each hot endpoint runs, so an N+1 cannot creep back.

The counts are exact on purpose: a change that adds a query must change this
file too, and say why. (They include the API key and Acting-Member lookup.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from api.composition import ENGINE
from tests.helpers import ApiClient, Trio


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.extensions[ENGINE]

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def busy_requester(api: ApiClient, trio: Trio) -> tuple[Trio, list[str]]:
    """Ann with several introductions in several states."""
    intros = []
    for i in range(4):
        target = api.member(f"Target{i}")
        api.trust(trio.introducer, target, 4)
        intro = api.request(trio, target_id=target).json["id"]
        intros.append(intro)
    api.act(intros[0], "consent", trio.introducer)
    api.act(intros[1], "decline", trio.introducer)
    return trio, intros


def test_get_introduction_statements(app: Flask, api: ApiClient, busy_requester) -> None:
    trio, intros = busy_requester
    with count_statements(app) as statements:
        assert api.get(f"/v1/introductions/{intros[0]}", member=trio.requester).status_code == 200
    assert len(statements) == EXPECTED["get"], statements


def test_list_introductions_statements_do_not_grow_with_the_page(
    app: Flask, api: ApiClient, busy_requester
) -> None:
    trio, _intros = busy_requester
    with count_statements(app) as statements:
        response = api.get("/v1/introductions?limit=20", member=trio.requester)
    assert len(response.json["items"]) == 4
    assert len(statements) == EXPECTED["list"], statements


def test_create_introduction_statements(app: Flask, api: ApiClient, trio: Trio) -> None:
    with count_statements(app) as statements:
        assert api.request(trio).status_code == 201
    assert len(statements) == EXPECTED["post"], statements


def test_consent_statements(app: Flask, api: ApiClient, trio: Trio) -> None:
    intro = api.request(trio).json["id"]
    with count_statements(app) as statements:
        assert api.act(intro, "consent", trio.introducer).status_code == 200
    assert len(statements) == EXPECTED["consent"], statements


def test_paths_statements(app: Flask, api: ApiClient, trio: Trio) -> None:
    with count_statements(app) as statements:
        response = api.get(
            f"/v1/members/{trio.requester}/paths?to={trio.target}", member=trio.requester
        )
    assert response.status_code == 200
    assert len(statements) == EXPECTED["paths"], statements


# Every request starts with 1: the API key and the Acting-Member, joined.
EXPECTED = {
    # + the introduction with its three people, in one query.
    "get": 2,
    # + one page of introductions, + everyone on it in one query (not one per row).
    "list": 3,
    # + the three people, + the three edges the checks read, suppression and no-go
    # lists, open requests, the introducer's policy and weekly count, the cool-down,
    # two inputs of the risk assessment (the ratings, the declines; the open count
    # comes from the checks), the insert, webhook endpoints, audit and outbox rows.
    "post": 15,
    # + the introduction with its people, the target's rules and suppression, the
    # swap (UPDATE ... RETURNING), webhook endpoints, two emails and the audit row.
    "consent": 9,
    # + the graph query and the policies, reputations and open requests of the
    # candidates.
    "paths": 10,
}
