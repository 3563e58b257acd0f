"""Queries the use cases share, and the compare-and-swap that moves a state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from service.actors import Actor
from service.errors import ConcurrentTransition, NotFound
from service.models import (
    ApiKey,
    IntroducerPolicy,
    Introduction,
    Member,
    Relationship,
    TargetPreferences,
    Workspace,
)
from service.states import State
from service.visibility import can_see

SettingsT = TypeVar("SettingsT", IntroducerPolicy, TargetPreferences)


def member_settings(
    session: Session, model: type[SettingsT], workspace_id: str, member_id: str
) -> SettingsT:
    """The member's settings row of this kind (their policy as introducer, their
    preferences as target), added to the session when they never set one; a 404
    when there is no such member."""
    get_member(session, workspace_id, member_id)
    row = session.get(model, member_id)
    if row is None:
        row = model(member_id=member_id, workspace_id=workspace_id)
        session.add(row)
    return row


def get_workspace(session: Session, workspace_id: str) -> Workspace:
    ws = session.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound("No such workspace.")
    return ws


def get_member(session: Session, workspace_id: str, member_id: str) -> Member:
    member = find_member(session, workspace_id, member_id)
    if member is None:
        raise NotFound(f"No member {member_id!r} in this workspace.", code="member_not_found")
    return member


def find_member(session: Session, workspace_id: str, member_id: str) -> Member | None:
    member = session.get(Member, member_id)
    if member is None or member.workspace_id != workspace_id:
        return None
    _pinned(session)[member.id] = member
    return member


def _pinned(session: Session) -> dict[str, Member]:
    """Members loaded in this session, kept alive for its life (see members_by_id)."""
    pinned: dict[str, Member] = session.info.setdefault("members", {})
    return pinned


_REQUESTER, _INTRODUCER, _TARGET = (aliased(Member) for _ in range(3))
_WITH_PARTIES = (
    select(Introduction, _REQUESTER, _INTRODUCER, _TARGET)
    .join(_REQUESTER, _REQUESTER.id == Introduction.requester_id)
    .join(_INTRODUCER, _INTRODUCER.id == Introduction.introducer_id)
    .join(_TARGET, _TARGET.id == Introduction.target_id)
    .where(Introduction.id == bindparam("intro_id"))
)


def get_visible_introduction(session: Session, actor: Actor, intro_id: str) -> Introduction:
    """The introduction if `actor` may see it; the same 404 whether it exists or not.

    One statement loads it with its three people, who stay pinned to the session
    (see members_by_id): the view, the emails and the risk need no more queries.
    """
    row = session.execute(_WITH_PARTIES, {"intro_id": intro_id}).first()
    if row is None or row[0].workspace_id != actor.workspace_id:
        raise NotFound(
            f"No introduction {intro_id!r} in this workspace.", code="introduction_not_found"
        )
    intro, *people = row
    _pinned(session).update({m.id: m for m in people})
    if not can_see(actor, intro):
        raise NotFound(
            f"No introduction {intro_id!r} in this workspace.", code="introduction_not_found"
        )
    return intro


def involving(member_id: str) -> ColumnElement[bool]:
    """Introductions in which `member_id` is the requester, the introducer or the target."""
    return or_(
        Introduction.requester_id == member_id,
        Introduction.introducer_id == member_id,
        Introduction.target_id == member_id,
    )


def get_relationship(session: Session, from_id: str, to_id: str) -> Relationship | None:
    # The session's own objects first; then what load_relationships found
    # missing (unless added since); then the database.
    key = session.identity_key(Relationship, (from_id, to_id))
    loaded = session.identity_map.get(key)
    if isinstance(loaded, Relationship):
        return loaded
    if (from_id, to_id) in _known_missing(session):
        pending = (
            o
            for o in session.new
            if isinstance(o, Relationship)
            and (o.from_member_id, o.to_member_id) == (from_id, to_id)
        )
        return next(pending, None)
    return session.get(Relationship, (from_id, to_id))


def load_relationships(session: Session, pairs: set[tuple[str, str]]) -> None:
    """Load these (from, to) edges in one statement, and keep them and which are
    missing for the session's life: get_relationship then asks nothing. For
    sessions that change edges only through the ORM (a Core DELETE would leave
    a loaded edge behind)."""
    # OR of pairs, not a tuple IN: SQLite would scan the table for the latter.
    rows = session.scalars(
        select(Relationship).where(
            or_(
                *(
                    and_(Relationship.from_member_id == a, Relationship.to_member_id == b)
                    for a, b in sorted(pairs)
                )
            )
        )
    ).all()
    found = {(r.from_member_id, r.to_member_id): r for r in rows}
    # Kept alive: the identity map holds objects weakly.
    session.info.setdefault("edges", []).extend(found.values())
    _known_missing(session).update(pairs - found.keys())


def _known_missing(session: Session) -> set[tuple[str, str]]:
    missing: set[tuple[str, str]] = session.info.setdefault("missing_edges", set())
    return missing


def members_by_id(session: Session, ids: set[str]) -> dict[str, Member]:
    """Members by id; those this session already loaded cost no query.

    The session's identity map holds rows weakly, so the members loaded here are
    also kept in `session.info` for the session's life: one use case builds the
    risk, the emails and the view from the same three people without reloading.
    """
    pinned = _pinned(session)
    found: dict[str, Member] = {}
    for member_id in ids:
        cached = pinned.get(member_id) or session.identity_map.get(
            session.identity_key(Member, member_id)
        )
        if isinstance(cached, Member):
            found[member_id] = cached
    missing = ids - found.keys()
    if missing:
        rows = session.scalars(select(Member).where(Member.id.in_(missing))).all()
        found.update({m.id: m for m in rows})
    pinned.update(found)
    return found


def connected_pair(session: Session, a: str, b: str) -> bool:
    """True when an introduction between a and b (as requester and target) is connected."""
    stmt = (
        select(Introduction.id)
        .where(
            Introduction.state == State.CONNECTED.value,
            or_(
                and_(Introduction.requester_id == a, Introduction.target_id == b),
                and_(Introduction.requester_id == b, Introduction.target_id == a),
            ),
        )
        .limit(1)
    )
    return session.scalar(stmt) is not None


def api_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


_KEYS, _MEMBERS = ApiKey.__table__, Member.__table__
# Plain Core (table columns, run on the connection): no ORM layer on the path
# every /v1 request takes.
_CREDENTIAL = (
    select(
        _KEYS.c.id,
        _KEYS.c.workspace_id,
        _KEYS.c.secret_hash,
        _KEYS.c.revoked_at,
        _MEMBERS.c.id.label("member_id"),
        _MEMBERS.c.erased_at.label("member_erased_at"),
    )
    .select_from(
        _KEYS.outerjoin(
            _MEMBERS,
            and_(
                _MEMBERS.c.id == bindparam("member_id"),
                _MEMBERS.c.workspace_id == _KEYS.c.workspace_id,
            ),
        )
    )
    .where(_KEYS.c.prefix == bindparam("prefix"))
)


@dataclass(frozen=True)
class CredentialRow:
    key_id: str
    workspace_id: str
    secret_hash: str
    revoked_at: datetime | None
    member_id: str | None
    member_erased_at: datetime | None


def credential_row(conn: Connection, prefix: str, member_id: str | None) -> CredentialRow | None:
    """The API key with this prefix and, joined to it, the acting member of the
    same workspace (None columns when there is no such member): one statement."""
    row = conn.execute(_CREDENTIAL, {"prefix": prefix, "member_id": member_id}).first()
    return CredentialRow(*row) if row is not None else None


def swap_state(
    session: Session,
    intro: Introduction,
    expected: State,
    new: State,
    at: datetime,
    **values: Any,
) -> None:
    """Move `intro` from `expected` to `new` only if nobody moved it first.

    `UPDATE ... WHERE id = :id AND state = :expected`: zero rows means another
    transaction won, and the caller gets a ConcurrentTransition (409).
    """
    # RETURNING refreshes `intro` (populate_existing) in the same statement.
    updated = session.execute(
        update(Introduction)
        .where(Introduction.id == intro.id, Introduction.state == expected.value)
        .values(
            state=new.value,
            state_version=Introduction.state_version + 1,
            updated_at=at,
            **values,
        )
        .returning(Introduction),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).scalar_one_or_none()
    if updated is None:
        raise ConcurrentTransition(
            "This introduction changed while you were acting on it; reload and try again."
        )
