"""Every disclosure of a member's contact details is written to the audit log:
who saw whose details, when, through which channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service import audit
from service.actors import Actor

ACTION = "contact.disclosed"


def record_disclosure(
    session: Session,
    actor: Actor,
    subject_member_id: str,
    at: datetime,
    *,
    to: str | None = None,
    introduction_id: str | None = None,
) -> None:
    """`to` names the recipient (default: the actor) for disclosures by email."""
    audit.record(
        session,
        actor,
        ACTION,
        at,
        introduction_id=introduction_id,
        subject_member_id=subject_member_id,
        detail={"to": to or actor.label},
    )


def record_view_disclosures(
    session: Session, actor: Actor, views: list[dict[str, Any]], at: datetime
) -> bool:
    """Audit the contacts these introduction views carry, in one statement; True
    when they carried any."""
    rows = [
        audit.event_row(
            actor,
            ACTION,
            at,
            introduction_id=view["id"],
            subject_member_id=summary["id"],
            detail={"to": actor.label},
        )  # fmt: skip
        for view in views
        for summary in (view.get("requester") or {}, view.get("target") or {})
        if "contact" in summary
    ]
    audit.record_rows(session, rows)
    return bool(rows)


def carries_contacts(view: dict[str, Any]) -> bool:
    return any("contact" in (view.get(party) or {}) for party in ("requester", "target"))
