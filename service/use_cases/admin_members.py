"""Members on the admin page: search, a member's page, and the audited reveal.

Contact details are masked everywhere on the admin page. Revealing them is a
deliberate act (`reveal_contact`) that writes `contact.revealed` to the audit
log before returning them; nothing else here returns them in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from service import repository, reputation
from service.deps import Deps
from service.errors import NotFound
from service.models import Introduction, Member, Relationship, Workspace
from service.pagination import DEFAULT_LIMIT, Page, page_from_rows, paginate
from service.repository import members_by_id
from service.use_cases.admin_audit import record_admin
from service.use_cases.admin_introductions import IntroRow, intro_row, workspace_names
from service.use_cases.admin_masking import mask_email, mask_phone

MAX_QUERY = 200


@dataclass(frozen=True)
class MemberRow:
    id: str
    workspace_id: str
    workspace_name: str
    external_ref: str
    name: str
    headline: str
    email_masked: str
    erased: bool
    created_at: datetime


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str | None
    links: list[str]


@dataclass(frozen=True)
class RelationshipRow:
    member_id: str
    name: str
    trust: int
    introducible: bool


@dataclass(frozen=True)
class MemberDetail:
    member: MemberRow
    phone_masked: str | None
    links_count: int
    trusts: list[RelationshipRow]
    trusted_by: list[RelationshipRow]
    introductions: list[IntroRow]
    reputation_as_requester: dict[str, object]
    reputation_as_introducer: dict[str, object]


def search_members(
    deps: Deps,
    query: str = "",
    workspace_id: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[MemberRow]:
    """Members whose name, email or external_ref contains `query` (any case), or whose id
    is `query`; newest first."""
    stmt = select(Member)
    query = query.strip()[:MAX_QUERY]
    if query:
        pattern = f"%{_escape_like(query.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Member.name).like(pattern, escape="\\"),
                func.lower(Member.contact_email).like(pattern, escape="\\"),
                func.lower(Member.external_ref).like(pattern, escape="\\"),
                Member.id == query,
            )
        )
    if workspace_id:
        stmt = stmt.where(Member.workspace_id == workspace_id)
    stmt = paginate(stmt, Member.created_at, Member.id, cursor, limit)
    with deps.uow() as uow:
        members = list(uow.session.scalars(stmt).all())
        members, next_cursor = page_from_rows(members, limit, lambda m: (m.created_at, m.id))
        workspaces = workspace_names(uow.session, {m.workspace_id for m in members})
        rows = [_member_row(m, workspaces) for m in members]
    return Page(items=rows, next_cursor=next_cursor)


def member_detail(deps: Deps, member_id: str) -> MemberDetail:
    """A member with masked contact, relationships both ways, reputation, introductions."""
    with deps.uow() as uow:
        s = uow.session
        member = _get(s, member_id)
        out_rels = s.scalars(
            select(Relationship).where(Relationship.from_member_id == member.id)
        ).all()
        in_rels = s.scalars(
            select(Relationship).where(Relationship.to_member_id == member.id)
        ).all()
        intros = s.scalars(
            select(Introduction)
            .where(repository.involving(member.id))
            .order_by(Introduction.created_at.desc(), Introduction.id.desc())
            .limit(50)
        ).all()
        ids = {r.to_member_id for r in out_rels} | {r.from_member_id for r in in_rels}
        ids |= {m for i in intros for m in (i.requester_id, i.introducer_id, i.target_id)}
        names = {m.id: m.name for m in members_by_id(s, ids).values()} if ids else {}
        workspaces = workspace_names(s, {member.workspace_id})
        as_introducer = reputation.as_introducer(s, [member.id]).get(member.id)
        return MemberDetail(
            member=_member_row(member, workspaces),
            phone_masked=mask_phone(member.contact_phone),
            links_count=len(member.contact_links or []),
            trusts=[
                RelationshipRow(
                    r.to_member_id, names.get(r.to_member_id, "?"), r.trust, r.introducible
                )
                for r in out_rels
            ],
            trusted_by=[
                RelationshipRow(
                    r.from_member_id, names.get(r.from_member_id, "?"), r.trust, r.introducible
                )
                for r in in_rels
            ],  # fmt: skip
            introductions=[intro_row(i, names, workspaces) for i in intros],
            reputation_as_requester=reputation.as_requester(s, member.id).as_dict(),
            reputation_as_introducer=(as_introducer or reputation.Reputation()).as_dict(),
        )


def reveal_contact(deps: Deps, username: str, member_id: str) -> Contact:
    """The member's contact details in clear, after auditing `contact.revealed`."""
    now = deps.clock.now()
    with deps.uow() as uow:
        member = _get(uow.session, member_id)
        record_admin(
            uow.session, username, "contact.revealed", now,
            workspace_id=member.workspace_id, subject_member_id=member.id,
        )  # fmt: skip
        contact = Contact(
            email=member.contact_email,
            phone=member.contact_phone,
            links=[str(link) for link in member.contact_links or []],
        )
        uow.commit()
    return contact


def workspace_choices(deps: Deps) -> list[tuple[str, str]]:
    """(id, name) of every workspace, for filter drop-downs."""
    with deps.uow() as uow:
        rows = uow.session.execute(
            select(Workspace.id, Workspace.name).order_by(Workspace.name, Workspace.id)
        ).all()
        return [(id_, name) for id_, name in rows]


def _get(session: Session, member_id: str) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"No member {member_id!r}.", code="member_not_found")
    return member


def _member_row(m: Member, workspaces: dict[str, str]) -> MemberRow:
    erased = getattr(m, "erased_at", None) is not None
    return MemberRow(
        id=m.id,
        workspace_id=m.workspace_id,
        workspace_name=workspaces.get(m.workspace_id, m.workspace_id),
        external_ref=m.external_ref,
        name=m.name,
        headline=m.headline,
        email_masked=mask_email(m.contact_email) if m.contact_email else "",
        erased=erased,
        created_at=m.created_at,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
