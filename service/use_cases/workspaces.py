"""Workspaces and API keys: creation, authentication, revocation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from service import api_keys, audit, repository
from service.actors import Actor
from service.deps import Deps
from service.errors import Forbidden, NotFound, Unauthenticated
from service.models import ApiKey, Workspace, new_id


@dataclass(frozen=True)
class IssuedKey:
    workspace_id: str
    key_id: str
    prefix: str
    key: str


def create_workspace(deps: Deps, name: str, *, by: str = "cli") -> IssuedKey:
    """A new workspace and its first API key (the key is returned once, never stored)."""
    now = deps.clock.now()
    with deps.uow() as uow:
        ws = Workspace(id=new_id("ws"), name=name, created_at=now)
        uow.session.add(ws)
        uow.session.flush()
        issued = _issue_key(uow.session, ws.id, "first key", now)
        actor = Actor(workspace_id=ws.id, member_id=None, channel=by, credential=by)
        audit.record(uow.session, actor, "workspace.created", now, detail={"name": name})
        uow.commit()
    return issued


def create_api_key(deps: Deps, workspace_id: str, label: str, *, by: str = "cli") -> IssuedKey:
    now = deps.clock.now()
    with deps.uow() as uow:
        repository.get_workspace(uow.session, workspace_id)
        issued = _issue_key(uow.session, workspace_id, label, now)
        actor = Actor(workspace_id=workspace_id, member_id=None, channel=by, credential=by)
        audit.record(uow.session, actor, "api_key.created", now, detail={"prefix": issued.prefix})
        uow.commit()
    return issued


def _issue_key(session: Any, workspace_id: str, label: str, now: Any) -> IssuedKey:
    key, prefix, digest = api_keys.generate_key()
    row = ApiKey(
        id=new_id("key"),
        workspace_id=workspace_id,
        prefix=prefix,
        secret_hash=digest,
        label=label,
        created_at=now,
    )
    session.add(row)
    return IssuedKey(workspace_id=workspace_id, key_id=row.id, prefix=prefix, key=key)


def revoke_api_key(deps: Deps, workspace_id: str, prefix: str, *, by: str = "cli") -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        row = repository.api_key_by_prefix(uow.session, prefix)
        if row is None or row.workspace_id != workspace_id:
            raise NotFound("No such API key.", code="api_key_not_found")
        if row.revoked_at is None:
            row.revoked_at = now
            actor = Actor(workspace_id=workspace_id, member_id=None, channel=by, credential=by)
            audit.record(uow.session, actor, "api_key.revoked", now, detail={"prefix": prefix})
        uow.commit()


def list_api_keys(deps: Deps, workspace_id: str) -> list[dict[str, Any]]:
    with deps.uow() as uow:
        rows = uow.session.scalars(
            select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.created_at)
        ).all()
        return [
            {"id": r.id, "prefix": r.prefix, "label": r.label, "created_at": r.created_at,
             "revoked_at": r.revoked_at}
            for r in rows
        ]  # fmt: skip


@dataclass(frozen=True)
class Credential:
    workspace_id: str
    key_id: str
    prefix: str


def authenticate(deps: Deps, key: str, acting_member: str | None = None) -> Credential:
    """The workspace a presented API key belongs to, or Unauthenticated; and, when
    given, the acting member must be a live member of it.

    Every /v1 request comes through here, so it is one statement (the key, and the
    acting member joined to it), read as a plain row in autocommit.
    """
    prefix = api_keys.split_key(key)
    row = None
    if prefix:
        with deps.single_read() as conn:
            row = repository.credential_row(conn, prefix, acting_member)
    # Hash even when no row matched, so timing does not tell prefixes apart.
    stored = row.secret_hash if row is not None else "0" * 64
    if not api_keys.matches(key, stored) or row is None or row.revoked_at is not None:
        raise Unauthenticated("The API key is missing, malformed, unknown or revoked.")
    if acting_member is not None and (row.member_id is None or row.member_erased_at is not None):
        raise Forbidden("The Acting-Member is not a member of this workspace.",
                        code="unknown_acting_member")  # fmt: skip
    return Credential(workspace_id=row.workspace_id, key_id=row.key_id, prefix=prefix or "")
