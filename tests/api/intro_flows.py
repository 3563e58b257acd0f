"""Helpers for the risk, feedback, policy and paths tests: drive an introduction
to a given point, and read what reached the outbox."""

from __future__ import annotations

from sqlalchemy import select

from service.deps import Deps
from service.models import OutboxMessage
from tests.helpers import ApiClient, Trio


def requested(api: ApiClient, trio: Trio) -> str:
    response = api.request(trio)
    assert response.status_code == 201, response.json
    return str(response.json["id"])  # type: ignore[index]


def connected(api: ApiClient, trio: Trio) -> str:
    intro = requested(api, trio)
    for action, member in (
        ("consent", trio.introducer),
        ("opt-in", trio.requester),
        ("opt-in", trio.target),
    ):
        response = api.act(intro, action, member)
        assert response.status_code == 200, response.json
    assert response.json["state"] == "connected"  # type: ignore[index]
    return intro


def declined(api: ApiClient, trio: Trio) -> str:
    intro = requested(api, trio)
    response = api.act(intro, "decline", trio.introducer, {"note": "Not now."})
    assert response.status_code == 200, response.json
    return intro


def outbox(deps: Deps, intro_id: str | None = None) -> list[OutboxMessage]:
    with deps.session_factory() as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.id)
        if intro_id is not None:
            stmt = stmt.where(OutboxMessage.introduction_id == intro_id)
        rows = list(session.scalars(stmt).all())
        session.expunge_all()
    return rows
