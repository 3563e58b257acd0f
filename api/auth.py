"""API key authentication and the Acting-Member header, for every /v1 request."""

from __future__ import annotations

from flask import g, request

from api.composition import deps
from service.actors import Actor
from service.errors import BadRequest, NotFound, Unauthenticated
from service.use_cases import workspaces

MAX_MEMBER_ID = 64


def authenticate_request() -> None:
    """before_request hook: sets `g.actor` and `g.credential`, or raises."""
    if not request.path.startswith("/v1/"):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated("Send 'Authorization: Bearer <api key>'.")
    member_id = request.headers.get("Acting-Member")
    if member_id is not None:
        member_id = member_id.strip()
        if not member_id or len(member_id) > MAX_MEMBER_ID or not member_id.isprintable():
            # Checked after the key: an unauthenticated caller learns nothing here.
            workspaces.authenticate(deps(), key.strip())
            raise BadRequest("Acting-Member must be a member id.", code="invalid_acting_member")
    credential = workspaces.authenticate(deps(), key.strip(), member_id)
    if any("\x00" in str(value) for value in (request.view_args or {}).values()):
        # No id holds a NUL; PostgreSQL could not even look one up. Same 404 everywhere.
        raise NotFound("No such resource in this workspace.")
    g.credential = credential
    g.actor = Actor(
        workspace_id=credential.workspace_id,
        member_id=member_id,
        channel="api",
        credential=credential.prefix,
    )


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor
