"""Use cases for members and their relationships."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import audit, repository
from service.actors import Actor
from service.contacts import clean_contact
from service.deps import Deps
from service.disclosures import record_disclosure
from service.errors import Forbidden, NotFound, RuleViolation
from service.models import Member, Relationship, new_id
from service.pagination import Page, page_from_rows, paginate
from service.visibility import member_view

PROFILE_FIELDS = ("name", "headline", "external_ref")


def _operator_only(actor: Actor, what: str) -> None:
    if not actor.is_operator:
        raise Forbidden(f"Only the workspace operator can {what}.", code="operator_only")


def _duplicate_ref() -> RuleViolation:
    return RuleViolation(
        "Another member of this workspace has this external_ref.",
        code="duplicate_external_ref",
        errors={"external_ref": ["Already used in this workspace."]},
    )


def create_member(deps: Deps, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Add a person to the workspace (operator only)."""
    _operator_only(actor, "add members")
    contact = clean_contact(data.get("contact") or {})
    now = deps.clock.now()
    with deps.uow() as uow:
        member = Member(
            id=new_id("mem"),
            workspace_id=actor.workspace_id,
            external_ref=data["external_ref"],
            name=data["name"],
            headline=data.get("headline") or "",
            contact_email=contact["email"],
            contact_phone=contact["phone"],
            contact_links=contact["links"],
            created_at=now,
            updated_at=now,
        )
        uow.session.add(member)
        try:
            uow.session.flush()
        except IntegrityError:
            raise _duplicate_ref() from None
        audit.record(uow.session, actor, "member.created", now, subject_member_id=member.id)
        uow.commit()
    return member_view(member, with_contact=True)


def update_member(deps: Deps, actor: Actor, member_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Change a member's profile or contact (the operator, or the member themself)."""
    if not actor.is_operator and actor.member_id != member_id:
        raise Forbidden("Members can only change their own profile.", code="not_yourself")
    now = deps.clock.now()
    with deps.uow() as uow:
        member = repository.get_member(uow.session, actor.workspace_id, member_id)
        for field in PROFILE_FIELDS:
            if field in data:
                setattr(member, field, data[field] if data[field] is not None else "")
        if "contact" in data:
            merged = {
                "email": member.contact_email,
                "phone": member.contact_phone,
                "links": member.contact_links,
                **data["contact"],
            }
            contact = clean_contact(merged)
            member.contact_email = contact["email"]
            member.contact_phone = contact["phone"]
            member.contact_links = contact["links"]
        member.updated_at = now
        try:
            uow.session.flush()
        except IntegrityError:
            raise _duplicate_ref() from None
        changed = sorted(k for k in data if k in (*PROFILE_FIELDS, "contact"))
        audit.record(
            uow.session, actor, "member.updated", now,
            subject_member_id=member.id, detail={"fields": changed},
        )  # fmt: skip
        uow.commit()
    return member_view(member, with_contact=True)


def get_member(deps: Deps, actor: Actor, member_id: str) -> dict[str, Any]:
    """A member's profile; contact only for the operator, themself, or a connected counterpart."""
    with deps.uow() as uow:
        member = repository.get_member(uow.session, actor.workspace_id, member_id)
        is_self = actor.member_id == member.id
        with_contact = (
            actor.is_operator
            or is_self
            or (
                actor.member_id is not None
                and repository.connected_pair(uow.session, actor.member_id, member.id)
            )
        )
        view = member_view(member, with_contact=with_contact)
        if with_contact and not is_self:
            record_disclosure(uow.session, actor, member.id, deps.clock.now())
            uow.commit()
        return view


def list_members(
    deps: Deps,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None = None,
    external_ref: str | None = None,
) -> Page[dict[str, Any]]:
    """Members, newest first. Members acting see public profiles only (plus their own contact)."""
    stmt = select(Member).where(
        Member.workspace_id == actor.workspace_id, Member.erased_at.is_(None)
    )
    if external_ref is not None:
        stmt = stmt.where(Member.external_ref == external_ref)
    stmt = paginate(stmt, Member.created_at, Member.id, cursor, limit)
    with deps.uow() as uow:
        # Build the views inside the unit of work: leaving it expires the rows.
        rows = list(uow.session.scalars(stmt).all())
        rows, next_cursor = page_from_rows(rows, limit, lambda m: (m.created_at, m.id))
        items = [
            member_view(m, with_contact=actor.is_operator or actor.member_id == m.id) for m in rows
        ]
        if actor.is_operator and rows:
            now = deps.clock.now()
            for m in rows:
                record_disclosure(uow.session, actor, m.id, now)
            uow.commit()
    return Page(items, next_cursor)


def _relationship_view(rel: Relationship) -> dict[str, Any]:
    return {
        "from_id": rel.from_member_id,
        "to_id": rel.to_member_id,
        "trust": rel.trust,
        "introducible": rel.introducible,
        "context": rel.context,
        "created_at": rel.created_at,
        "updated_at": rel.updated_at,
    }


def _may_manage_edges_of(actor: Actor, from_id: str) -> None:
    # Trust levels are the truster's own: another member may not even learn
    # whether an edge exists, so they get the same 404 as a missing one.
    if not actor.is_operator and actor.member_id != from_id:
        raise NotFound("No such relationship.", code="relationship_not_found")


def put_relationship(
    deps: Deps, actor: Actor, from_id: str, to_id: str, data: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Set from_id's trust in to_id. Returns the relationship and whether it was created."""
    _may_manage_edges_of(actor, from_id)
    if from_id == to_id:
        raise RuleViolation(
            "A member cannot have a relationship with themself.", code="self_relationship"
        )
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        repository.get_member(session, actor.workspace_id, from_id)
        repository.get_member(session, actor.workspace_id, to_id)
        rel = repository.get_relationship(session, from_id, to_id)
        created = rel is None
        if rel is None:
            rel = Relationship(
                from_member_id=from_id,
                to_member_id=to_id,
                workspace_id=actor.workspace_id,
                created_at=now,
            )
            session.add(rel)
        rel.trust = data["trust"]
        rel.introducible = data.get("introducible", True)
        rel.context = data.get("context") or ""
        rel.updated_at = now
        audit.record(
            session, actor, "relationship.set", now,
            subject_member_id=from_id, detail={"to": to_id, "trust": rel.trust},
        )  # fmt: skip
        uow.commit()
    return _relationship_view(rel), created


def get_relationship(deps: Deps, actor: Actor, from_id: str, to_id: str) -> dict[str, Any]:
    _may_manage_edges_of(actor, from_id)
    with deps.uow() as uow:
        repository.get_member(uow.session, actor.workspace_id, from_id)
        rel = repository.get_relationship(uow.session, from_id, to_id)
        if rel is None or rel.workspace_id != actor.workspace_id:
            raise NotFound("No such relationship.", code="relationship_not_found")
        return _relationship_view(rel)


def list_relationships(
    deps: Deps, actor: Actor, from_id: str, *, limit: int, cursor: str | None = None
) -> Page[dict[str, Any]]:
    """The member's own outgoing relationships, newest first."""
    _may_manage_edges_of(actor, from_id)
    stmt = select(Relationship).where(Relationship.from_member_id == from_id)
    stmt = paginate(stmt, Relationship.created_at, Relationship.to_member_id, cursor, limit)
    with deps.uow() as uow:
        repository.get_member(uow.session, actor.workspace_id, from_id)
        rows = list(uow.session.scalars(stmt).all())
        rows, next_cursor = page_from_rows(rows, limit, lambda r: (r.created_at, r.to_member_id))
        items = [_relationship_view(r) for r in rows]
    return Page(items, next_cursor)


def delete_relationship(deps: Deps, actor: Actor, from_id: str, to_id: str) -> None:
    _may_manage_edges_of(actor, from_id)
    now = deps.clock.now()
    with deps.uow() as uow:
        repository.get_member(uow.session, actor.workspace_id, from_id)
        rel = repository.get_relationship(uow.session, from_id, to_id)
        if rel is None or rel.workspace_id != actor.workspace_id:
            raise NotFound("No such relationship.", code="relationship_not_found")
        uow.session.delete(rel)
        audit.record(
            uow.session, actor, "relationship.deleted", now,
            subject_member_id=from_id, detail={"to": to_id},
        )  # fmt: skip
        uow.commit()
