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
    session: Session, actor: Actor, view: dict[str, Any], at: datetime
) -> bool:
    """Audit the contacts an introduction view carries; True when it carried any."""
    disclosed = False
    for party in ("requester", "target"):
        summary = view.get(party) or {}
        if "contact" in summary:
            record_disclosure(session, actor, summary["id"], at, introduction_id=view["id"])
            disclosed = True
    return disclosed
