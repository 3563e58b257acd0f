"""The Mailer port: how the delivery worker hands emails to a transport.

A mailer sends a whole batch over one connection and reports one result per
message; it never raises for a delivery problem. The SMTP adapter lives in
`api/mail.py`; `MailboxMailer` is the embedded dev mailbox (the outbox rows
themselves, marked `delivered_via = "mailbox"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from service.models import OutboxMessage


class Outcome(StrEnum):
    SENT = "sent"
    # Transient: a timeout, a dropped connection, an SMTP 4xx. Try again later.
    RETRY = "retry"
    # Permanent: an SMTP 5xx. Trying again would get the same answer.
    FAILED = "failed"


@dataclass(frozen=True)
class OutgoingEmail:
    outbox_id: str
    message_id: str
    to_addr: str
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class SendResult:
    outbox_id: str
    outcome: Outcome
    error: str | None = None


class Mailer(Protocol):
    # Stored on sent rows ("smtp", "mailbox"), so operators see where an email went.
    transport: str

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult]:
        """Send every message over one connection; one result per message, in order."""
        ...


def message_id(outbox_id: str, mail_domain: str) -> str:
    """The stable Message-ID of an outbox row: a resend carries the same one."""
    return f"<outbox-{outbox_id}@{mail_domain}>"


class MailboxMailer:
    """The dev mailbox: 'delivering' is marking the row as delivered to the mailbox.

    The stored row keeps subject, text and HTML, so `/dev/mailbox` reads it there.
    """

    transport = "mailbox"

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult]:
        return [SendResult(m.outbox_id, Outcome.SENT) for m in messages]


@dataclass(frozen=True)
class MailboxEntry:
    outbox_id: str
    to_addr: str
    subject: str
    body_text: str
    body_html: str
    status: str
    delivered_at: datetime | None


def read_mailbox(
    session_factory: sessionmaker[Session], *, limit: int = 100
) -> tuple[list[MailboxEntry], int]:
    """The dev mailbox, newest first, and how many emails still wait for the worker."""
    with session_factory() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "email", OutboxMessage.delivered_via == "mailbox")
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.created_at.desc())
            .limit(limit)
        ).all()
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "email", OutboxMessage.status.in_(["queued", "sending"]))
        )
        return [_entry(r) for r in rows], int(waiting or 0)


def read_mailbox_message(
    session_factory: sessionmaker[Session], outbox_id: str
) -> MailboxEntry | None:
    with session_factory() as session:
        row = session.get(OutboxMessage, outbox_id)
        if row is None or row.delivered_via != "mailbox":
            return None
        return _entry(row)


def _entry(row: OutboxMessage) -> MailboxEntry:
    return MailboxEntry(
        outbox_id=row.id,
        to_addr=row.to_addr,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        status=row.status,
        delivered_at=row.sent_at,
    )
