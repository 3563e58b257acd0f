"""Workspaces and API keys from the admin page.

Same rules as `service.use_cases.workspaces` (keys shown once, only their hash
kept, revocation immediate), but audited as the signed-in admin
(`admin:<username>`, channel `admin`) instead of the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from service import api_keys
from service.deps import Deps
from service.errors import InvalidInput, NotFound
from service.models import ApiKey, Introduction, Member, WebhookEndpoint, Workspace, new_id
from service.use_cases.admin_audit import record_admin
from service.use_cases.workspaces import IssuedKey

MAX_NAME = 200
MAX_LABEL = 200


@dataclass(frozen=True)
class WorkspaceRow:
    id: str
    name: str
    created_at: datetime
    members: int
    introductions: int
    active_keys: int


@dataclass(frozen=True)
class KeyRow:
    id: str
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def list_workspaces(deps: Deps) -> list[WorkspaceRow]:
    """Every workspace with its member, introduction and active-key counts, by name."""
    with deps.uow() as uow:
        s = uow.session
        members = _counts(s, Member.workspace_id)
        intros = _counts(s, Introduction.workspace_id)
        keys = {
            ws: int(n)
            for ws, n in s.execute(
                select(ApiKey.workspace_id, func.count())
                .where(ApiKey.revoked_at.is_(None))
                .group_by(ApiKey.workspace_id)
            ).all()
        }
        rows = s.scalars(select(Workspace).order_by(Workspace.name, Workspace.id)).all()
        return [
            WorkspaceRow(w.id, w.name, w.created_at, members.get(w.id, 0), intros.get(w.id, 0),
                         keys.get(w.id, 0))
            for w in rows
        ]  # fmt: skip


@dataclass(frozen=True)
class WebhookRow:
    id: str
    url: str
    events: list[str]
    created_at: datetime
    deleted_at: datetime | None


def workspace_webhooks(deps: Deps, workspace_id: str) -> list[WebhookRow]:
    """The workspace's webhook endpoints, deleted ones included (never their secrets);
    apps manage them through /v1/webhooks."""
    with deps.uow() as uow:
        rows = uow.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == workspace_id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        ).all()
        return [
            WebhookRow(w.id, w.url, [str(e) for e in w.events or []], w.created_at, w.deleted_at)
            for w in rows
        ]


def workspace_keys(deps: Deps, workspace_id: str) -> tuple[WorkspaceRow, list[KeyRow]]:
    """A workspace and all its keys, revoked ones included, oldest first."""
    with deps.uow() as uow:
        ws = _get(uow.session, workspace_id)
        keys = uow.session.scalars(
            select(ApiKey).where(ApiKey.workspace_id == ws.id).order_by(ApiKey.created_at)
        ).all()
        row = WorkspaceRow(ws.id, ws.name, ws.created_at, 0, 0,
                           sum(1 for k in keys if k.revoked_at is None))  # fmt: skip
        return row, [KeyRow(k.id, k.prefix, k.label, k.created_at, k.revoked_at) for k in keys]


def create_workspace(deps: Deps, username: str, name: str) -> str:
    """A new, empty workspace (create its keys on its page). Returns its id."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(
            "A workspace needs a name.", errors={"name": [f"1 to {MAX_NAME} characters."]}
        )
    now = deps.clock.now()
    with deps.uow() as uow:
        ws = Workspace(id=new_id("ws"), name=name, created_at=now)
        uow.session.add(ws)
        uow.session.flush()
        record_admin(uow.session, username, "workspace.created", now, workspace_id=ws.id,
                     detail={"name": name})  # fmt: skip
        uow.commit()
        return ws.id


def create_key(deps: Deps, username: str, workspace_id: str, label: str) -> IssuedKey:
    """A new API key; the full key is in the result only, never stored or shown again."""
    label = label.strip()
    if len(label) > MAX_LABEL:
        raise InvalidInput("The label is too long.", errors={"label": [f"At most {MAX_LABEL}."]})
    now = deps.clock.now()
    with deps.uow() as uow:
        ws = _get(uow.session, workspace_id)
        key, prefix, digest = api_keys.generate_key()
        row = ApiKey(
            id=new_id("key"), workspace_id=ws.id, prefix=prefix, secret_hash=digest,
            label=label, created_at=now,
        )  # fmt: skip
        uow.session.add(row)
        record_admin(uow.session, username, "api_key.created", now, workspace_id=ws.id,
                     detail={"prefix": prefix, "label": label})  # fmt: skip
        uow.commit()
        return IssuedKey(workspace_id=ws.id, key_id=row.id, prefix=prefix, key=key)


def revoke_key(deps: Deps, username: str, workspace_id: str, key_id: str) -> str:
    """Revoke a key at once (idempotent: revoking a revoked key changes nothing).
    Returns its prefix."""
    now = deps.clock.now()
    with deps.uow() as uow:
        row = uow.session.get(ApiKey, key_id)
        if row is None or row.workspace_id != workspace_id:
            raise NotFound("No such API key in this workspace.", code="api_key_not_found")
        if row.revoked_at is None:
            row.revoked_at = now
            record_admin(uow.session, username, "api_key.revoked", now,
                         workspace_id=workspace_id, detail={"prefix": row.prefix})  # fmt: skip
        uow.commit()
        return row.prefix


def _get(session: Session, workspace_id: str) -> Workspace:
    ws = session.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound(f"No workspace {workspace_id!r}.", code="workspace_not_found")
    return ws


def _counts(session: Session, column: InstrumentedAttribute[str]) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {ws: int(n) for ws, n in rows}
