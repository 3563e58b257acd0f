"""Finding introductions for the admin page, and one introduction in full.

The admin sees every workspace. It never sees contact details here (emails of
recipients are masked) nor the decliner's private note, which belongs to the
introducer alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.deps import Deps
from service.errors import NotFound
from service.models import (
    AuditEvent,
    Introduction,
    OutboxMessage,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from service.pagination import DEFAULT_LIMIT, Page, page_from_rows, paginate
from service.repository import members_by_id
from service.states import State
from service.use_cases.admin_masking import mask_email, mask_emails_in

RISK_COLUMNS = ("risk_level", "risk_score", "risk_reasons")


@dataclass(frozen=True)
class IntroFilter:
    state: str | None = None
    workspace_id: str | None = None
    # Any party: requester, introducer or target.
    member_id: str | None = None
    created_from: datetime | None = None
    # Exclusive upper bound.
    created_before: datetime | None = None


@dataclass(frozen=True)
class IntroRow:
    id: str
    workspace_id: str
    workspace_name: str
    state: str
    requester: str
    introducer: str
    target: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    # The actor in words: "Ann (requester)" for a party, else the audit label.
    who: str
    channel: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class EmailRow:
    id: str
    kind: str
    template: str
    to_member_id: str | None
    to_name: str
    to_masked: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class IntroDetail:
    intro: IntroRow
    requester_id: str
    introducer_id: str
    target_id: str
    reason: str
    blurb: str
    introducer_note: str | None
    declined_by: str | None
    consent_deadline: datetime
    opt_in_deadline: datetime | None
    requester_opted_in_at: datetime | None
    target_opted_in_at: datetime | None
    consented_at: datetime | None
    connected_at: datetime | None
    closed_at: datetime | None
    waiting_on: str | None
    risk: dict[str, Any] | None
    timeline: list[TimelineEntry]
    emails: list[EmailRow]


def search_introductions(
    deps: Deps, filters: IntroFilter, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[IntroRow]:
    """Introductions across workspaces, newest first, narrowed by `filters`."""
    stmt = select(Introduction)
    f = filters
    if f.state:
        stmt = stmt.where(Introduction.state == f.state)
    if f.workspace_id:
        stmt = stmt.where(Introduction.workspace_id == f.workspace_id)
    if f.member_id:
        stmt = stmt.where(
            or_(
                Introduction.requester_id == f.member_id,
                Introduction.introducer_id == f.member_id,
                Introduction.target_id == f.member_id,
            )
        )
    if f.created_from:
        stmt = stmt.where(Introduction.created_at >= f.created_from)
    if f.created_before:
        stmt = stmt.where(Introduction.created_at < f.created_before)
    stmt = paginate(stmt, Introduction.created_at, Introduction.id, cursor, limit)
    with deps.uow() as uow:
        intros = list(uow.session.scalars(stmt).all())
        intros, next_cursor = page_from_rows(intros, limit, lambda i: (i.created_at, i.id))
        names = _names(uow.session, intros)
        workspaces = workspace_names(uow.session, {i.workspace_id for i in intros})
        rows = [intro_row(i, names, workspaces) for i in intros]
    return Page(items=rows, next_cursor=next_cursor)


def introduction_detail(deps: Deps, intro_id: str) -> IntroDetail:
    """One introduction with its audit timeline, risk assessment and every outbox row."""
    with deps.uow() as uow:
        s = uow.session
        intro = s.get(Introduction, intro_id)
        if intro is None:
            raise NotFound(f"No introduction {intro_id!r}.", code="introduction_not_found")
        members = members_by_id(s, {intro.requester_id, intro.introducer_id, intro.target_id})
        names = {m.id: m.name for m in members.values()}
        workspaces = workspace_names(s, {intro.workspace_id})
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.introduction_id == intro.id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
        messages = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.introduction_id == intro.id)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ).all()
        deliveries = s.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.introduction_id == intro.id)
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        ).all()
        urls = (
            dict(
                s.execute(
                    select(WebhookEndpoint.id, WebhookEndpoint.url).where(
                        WebhookEndpoint.id.in_({d.endpoint_id for d in deliveries})
                    )
                ).all()
            )
            if deliveries
            else {}
        )
        return IntroDetail(
            intro=intro_row(intro, names, workspaces),
            requester_id=intro.requester_id,
            introducer_id=intro.introducer_id,
            target_id=intro.target_id,
            reason=intro.reason,
            blurb=intro.blurb,
            introducer_note=intro.introducer_note,
            declined_by=intro.declined_by,
            consent_deadline=intro.consent_deadline,
            opt_in_deadline=intro.opt_in_deadline,
            requester_opted_in_at=intro.requester_opted_in_at,
            target_opted_in_at=intro.target_opted_in_at,
            consented_at=intro.consented_at,
            connected_at=intro.connected_at,
            closed_at=intro.closed_at,
            waiting_on=waiting_on(intro, names),
            risk=_risk(intro),
            timeline=[_entry(e, _parties(intro, names)) for e in events],
            emails=sorted(
                [email_row(m, names) for m in messages]
                + [webhook_row(d, urls) for d in deliveries],
                key=lambda e: (e.created_at, e.id),
            ),
        )


def waiting_on(intro: Introduction, names: dict[str, str]) -> str | None:
    """In plain words, what an open introduction is waiting for (None once closed)."""
    if intro.state == State.REQUESTED.value:
        who = names.get(intro.introducer_id, "the introducer")
        return f"{who} (introducer) to consent or decline, by {_when(intro.consent_deadline)}"
    if intro.state == State.OPTING_IN.value:
        missing = []
        if intro.requester_opted_in_at is None:
            missing.append(f"{names.get(intro.requester_id, 'the requester')} (requester)")
        if intro.target_opted_in_at is None:
            missing.append(f"{names.get(intro.target_id, 'the target')} (target)")
        deadline = (
            f" by {intro.opt_in_deadline:%Y-%m-%d %H:%M} UTC" if intro.opt_in_deadline else ""
        )
        return " and ".join(missing) + " to opt in" + deadline
    return None


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def email_row(m: OutboxMessage, names: dict[str, str]) -> EmailRow:
    return EmailRow(
        id=m.id,
        kind=m.kind,
        template=m.template,
        to_member_id=m.to_member_id,
        to_name=names.get(m.to_member_id or "", ""),
        to_masked=mask_email(m.to_addr) if m.kind == "email" else m.to_addr,
        subject=m.subject,
        status=m.status,
        attempts=m.attempts,
        next_attempt_at=m.next_attempt_at,
        last_error=mask_emails_in(m.last_error),
        created_at=m.created_at,
        sent_at=m.sent_at,
    )


def webhook_row(d: WebhookDelivery, urls: dict[str, str]) -> EmailRow:
    """A webhook delivery in the shape of an email row: its event, endpoint and outcome."""
    code = f"HTTP {d.last_status_code}" if d.last_status_code else ""
    return EmailRow(
        id=d.id,
        kind="webhook",
        template=d.event_type,
        to_member_id=None,
        to_name="",
        to_masked=urls.get(d.endpoint_id, d.endpoint_id),
        subject=code,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_error=mask_emails_in(d.last_error),
        created_at=d.created_at,
        sent_at=d.delivered_at,
    )


def _risk(intro: Introduction) -> dict[str, Any] | None:
    # The risk columns come with the risk assessment feature; absent before it.
    risk = {c: getattr(intro, c, None) for c in RISK_COLUMNS}
    return risk if any(v is not None for v in risk.values()) else None


def _parties(intro: Introduction, names: dict[str, str]) -> dict[str, str]:
    roles = {intro.requester_id: "requester", intro.introducer_id: "introducer",
             intro.target_id: "target"}  # fmt: skip
    return {f"member:{m}": f"{names.get(m, m)} ({role})" for m, role in roles.items()}


def _entry(e: AuditEvent, parties: dict[str, str]) -> TimelineEntry:
    return TimelineEntry(
        at=e.created_at, actor=e.actor, who=parties.get(e.actor, e.actor), channel=e.channel,
        action=e.action, from_state=e.from_state, to_state=e.to_state,
        detail={k: mask_emails_in(str(v)) for k, v in (e.detail or {}).items()},
    )  # fmt: skip


def _names(session: Session, intros: list[Introduction]) -> dict[str, str]:
    ids = {m for i in intros for m in (i.requester_id, i.introducer_id, i.target_id)}
    if not ids:
        return {}
    return {m.id: m.name for m in members_by_id(session, ids).values()}


def workspace_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(Workspace.id, Workspace.name).where(Workspace.id.in_(ids)))
    return {id_: name for id_, name in rows}


def intro_row(i: Introduction, names: dict[str, str], workspaces: dict[str, str]) -> IntroRow:
    return IntroRow(
        id=i.id,
        workspace_id=i.workspace_id,
        workspace_name=workspaces.get(i.workspace_id, i.workspace_id),
        state=i.state,
        requester=names.get(i.requester_id, i.requester_id),
        introducer=names.get(i.introducer_id, i.introducer_id),
        target=names.get(i.target_id, i.target_id),
        created_at=i.created_at,
        updated_at=i.updated_at,
    )
