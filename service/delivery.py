"""The outbox delivery worker: claim due emails, send them, record what happened.

Guarantee: at-least-once. A row is claimed (status `sending`, with a lease) and
committed before anything is sent; the result is recorded after the send. A
worker that dies in between leaves a leased row that any worker claims again
once the lease runs out, and the resend carries the same Message-ID
(`<outbox-{id}@{mail_domain}>`) so mail clients can fold the duplicate. The
duplicate window is between the SMTP server's 250 and the commit of `sent`.

Claims: on PostgreSQL the due rows are selected `FOR UPDATE SKIP LOCKED`, so
many workers share the outbox without waiting on each other or sending a row
twice. SQLite has no row locks: the batch is claimed by one conditional UPDATE
(`... WHERE id IN (...) AND <still due> RETURNING ...`: only rows still due are
claimed and returned), and one worker should run.

Per batch the worker runs a fixed number of statements, not one per email: the
claim (expired leases, then queued rows, each an index-ordered SELECT of ids;
one UPDATE ... RETURNING the rows to send; commit), then the results (one UPDATE
for every row sent, still guarded by `status = 'sending'`, the ORM only for the
few rows to retry or fail; commit).

Failures: a timeout, a dropped connection or an SMTP 4xx puts the row back in
the queue with exponential backoff and jitter; a 5xx fails it at once; after
`max_attempts` claims it is `failed`. `last_error` keeps the latest reason.
Every attempt is counted when the row is claimed, so a row that keeps killing
its worker also ends up `failed` instead of looping forever.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from service.deps import Deps
from service.mailer import Mailer, Outcome, OutgoingEmail, SendResult, message_id
from service.models import OutboxMessage
from service.webhook_delivery import WebhookReport, deliver_webhooks_due
from service.webhook_sender import WebhookSender

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500
# Bounds one `deliver_due` call, so a misconfigured zero backoff cannot spin forever.
MAX_BATCHES_PER_CALL = 100


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 12
    backoff_base: timedelta = timedelta(minutes=1)
    backoff_max: timedelta = timedelta(hours=6)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


@dataclass
class CycleReport:
    expired: int = 0
    reminded: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    webhooks: WebhookReport = field(default_factory=WebhookReport)


def backoff(attempts: int, policy: DeliveryPolicy, rng: random.Random) -> timedelta:
    """Delay before the next try after `attempts` tries: base * 2^(n-1), capped, then
    jittered to 50-100% so rows that failed together do not retry together."""
    exponent = min(max(attempts - 1, 0), 30)
    delay: timedelta = min(policy.backoff_base * (2**exponent), policy.backoff_max)
    jitter: float = 0.5 + rng.random() / 2
    return delay * jitter


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxMessage.kind == "email",
        or_(
            and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
            # A claim whose worker died: the lease ran out, anyone may take it.
            and_(OutboxMessage.status == "sending", OutboxMessage.lease_until <= now),
        ),
    )


@dataclass
class Claim:
    messages: list[OutgoingEmail]
    # Claimed rows past their last attempt, failed instead of sent.
    given_up: int = 0


def claim_due(deps: Deps, policy: DeliveryPolicy) -> list[OutgoingEmail]:
    """Claim up to `batch_size` due emails (commits the claim) and return them."""
    return claim_batch(deps, policy).messages


def claim_batch(deps: Deps, policy: DeliveryPolicy) -> Claim:
    """Claim up to `batch_size` due rows (commits the claim): the emails to send,
    and how many rows were given up on instead."""
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        candidates = _candidates(session, now, policy.batch_size)
        if not candidates:
            return Claim([])
        claimed = session.execute(
            update(OutboxMessage)
            # Still due: on SQLite another claim may have come in between.
            .where(OutboxMessage.id.in_(candidates), _due(now))
            .values(
                status="sending",
                lease_until=now + policy.lease,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(*_CLAIMED)
            .execution_options(synchronize_session=False)
        ).all()
        messages = []
        given_up = 0
        # Oldest first, so a person's emails arrive in the order they were written.
        for row in sorted(claimed, key=lambda r: (r.created_at, r.id)):
            if row.attempts > policy.max_attempts:
                _fail_claimed(
                    session, row.id, f"{row.last_error or 'no result recorded'} (gave up)"
                )
                given_up += 1
                continue
            messages.append(
                OutgoingEmail(
                    outbox_id=row.id,
                    message_id=message_id(row.id, deps.settings.mail_domain),
                    to_addr=row.to_addr,
                    subject=row.subject,
                    body_text=row.body_text,
                    body_html=row.body_html,
                )
            )
        uow.commit()
    return Claim(messages, given_up)


def _candidates(session: Session, now: datetime, limit: int) -> list[str]:
    """Ids of up to `limit` due emails: expired leases first (a dead worker's
    claims), then queued rows, each in `next_attempt_at` order.

    Two queries, each a range of the (status, next_attempt_at) index read in index
    order and stopped at `limit`. One query with an OR of both states, or with
    tie-breakers after `next_attempt_at`, has to sort every due row first (under
    FOR UPDATE, PostgreSQL cannot even keep the sort to the top rows): with 50,000
    queued emails that was 77 ms per batch on PostgreSQL and 25 ms on SQLite,
    growing with the backlog. Rows due at the same instant come in index order;
    a claimed batch is then sent oldest first (`created_at`, `id`)."""
    locking = session.get_bind().dialect.name == "postgresql"
    ids: list[str] = []
    for status, due in (
        ("sending", OutboxMessage.lease_until <= now),
        ("queued", OutboxMessage.next_attempt_at <= now),
    ):
        stmt = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == status, due, OutboxMessage.kind == "email")
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit - len(ids))
        )
        if locking:
            stmt = stmt.with_for_update(skip_locked=True)
        ids.extend(session.scalars(stmt).all())
        if len(ids) >= limit:
            break
    return ids


# What a claim reads back: enough to send, and to give up on a row.
_CLAIMED = (
    OutboxMessage.id,
    OutboxMessage.created_at,
    OutboxMessage.attempts,
    OutboxMessage.last_error,
    OutboxMessage.to_addr,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
)


def _fail_claimed(session: Session, outbox_id: str, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(status="failed", lease_until=None, last_error=error[:MAX_ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )


def _rows(session: Session, ids: Sequence[str]) -> list[OutboxMessage]:
    if not ids:
        return []
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return list(session.scalars(stmt.execution_options(populate_existing=True)).all())


def _fail(row: OutboxMessage, now: datetime, error: str) -> None:
    row.status = "failed"
    row.lease_until = None
    row.last_error = error[:MAX_ERROR_LENGTH]


def _chunks(ids: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def record_results(
    deps: Deps,
    policy: DeliveryPolicy,
    results: Sequence[SendResult],
    transport: str,
    rng: random.Random,
) -> DeliveryReport:
    """Write what the mailer reported. Rows no longer `sending` (say, cancelled by an
    erasure meanwhile) are left as they are.

    Sent rows are marked by one UPDATE per batch (the common case); only rows to
    retry or fail, each with its own error and backoff, go through the ORM."""
    now = deps.clock.now()
    report = DeliveryReport()
    sent = [r.outbox_id for r in results if r.outcome is Outcome.SENT]
    unsent = [r for r in results if r.outcome is not Outcome.SENT]
    with deps.uow() as uow:
        session = uow.session
        for ids in _chunks(sent):
            marked = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
                .values(
                    status="sent",
                    sent_at=now,
                    lease_until=None,
                    last_error=None,
                    delivered_via=transport,
                )
                .execution_options(synchronize_session=False)
            )
            report.sent += int(marked.rowcount)  # type: ignore[attr-defined]
        rows = {r.id: r for r in _rows(session, [r.outbox_id for r in unsent])}
        for result in unsent:
            row = rows.get(result.outbox_id)
            if row is None or row.status != "sending":
                continue
            error = (result.error or result.outcome.value)[:MAX_ERROR_LENGTH]
            if result.outcome is Outcome.FAILED:
                _fail(row, now, error)
                report.failed += 1
            elif row.attempts >= policy.max_attempts:
                _fail(row, now, f"{error} (gave up after {row.attempts} attempts)")
                report.failed += 1
            else:
                row.status = "queued"
                row.lease_until = None
                row.last_error = error
                row.next_attempt_at = now + backoff(row.attempts, policy, rng)
                report.retried += 1
        uow.commit()
    return report


def deliver_batch(
    deps: Deps, mailer: Mailer, policy: DeliveryPolicy, rng: random.Random | None = None
) -> DeliveryReport:
    """Claim one batch, send it over one connection, record the results."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    claim = claim_batch(deps, policy)
    messages = claim.messages
    if not messages:
        # A batch of rows given up on is still a full claim: more may be due.
        return DeliveryReport(claimed=claim.given_up, failed=claim.given_up)
    try:
        results = mailer.send_batch(messages)
    except Exception as exc:  # a mailer bug must not lose the batch: retry it later
        log.exception("mailer raised; the batch will be retried")
        results = [SendResult(m.outbox_id, Outcome.RETRY, type(exc).__name__) for m in messages]
    report = record_results(deps, policy, results, mailer.transport, rng)
    report.claimed = len(messages) + claim.given_up
    report.failed += claim.given_up
    log.info(
        "outbox batch: %d claimed, %d sent, %d to retry, %d failed",
        report.claimed, report.sent, report.retried, report.failed,
    )  # fmt: skip
    return report


def deliver_due(
    deps: Deps, mailer: Mailer, policy: DeliveryPolicy, rng: random.Random | None = None
) -> DeliveryReport:
    """Deliver batches until nothing more is due now."""
    total = DeliveryReport()
    for _ in range(MAX_BATCHES_PER_CALL):
        report = deliver_batch(deps, mailer, policy, rng)
        total.add(report)
        if report.claimed < policy.batch_size:
            break
    return total


def run_cycle(
    deps: Deps,
    mailer: Mailer,
    policy: DeliveryPolicy,
    rng: random.Random | None = None,
    *,
    webhooks: WebhookSender | None = None,
) -> CycleReport:
    """One pass of the worker: expire what is overdue, remind, then deliver emails
    (and webhooks, when a sender is given)."""
    from service.use_cases.introductions import expire_overdue
    from service.use_cases.reminders import send_due_reminders

    report = CycleReport()
    report.expired = expire_overdue(deps)
    report.reminded = send_due_reminders(deps)
    report.delivery = deliver_due(deps, mailer, policy, rng)
    if webhooks is not None:
        report.webhooks = deliver_webhooks_due(deps, webhooks, rng=rng)
    return report


def run_forever(
    deps: Deps,
    mailer: Mailer,
    policy: DeliveryPolicy,
    stop: threading.Event,
    *,
    poll_seconds: float = 5.0,
    on_error: Callable[[BaseException], None] | None = None,
    webhooks: WebhookSender | None = None,
) -> None:
    """Run cycles until `stop` is set. A failing cycle (database down...) is logged
    and retried after the poll interval; the loop itself never dies of it.

    A cycle that stopped at MAX_BATCHES_PER_CALL full batches left a backlog: the
    next cycle starts at once instead of after the poll interval (with the default
    50 per batch and a 5 s poll, pausing would hold a backlog under 1,000 emails/s
    however fast the sending)."""
    backlog = MAX_BATCHES_PER_CALL * policy.batch_size
    while not stop.is_set():
        more = False
        try:
            report = run_cycle(deps, mailer, policy, webhooks=webhooks)
            more = report.delivery.claimed >= backlog
        except Exception as exc:
            log.exception("worker cycle failed; retrying in %.0fs", poll_seconds)
            if on_error is not None:
                on_error(exc)
        if not more:
            stop.wait(poll_seconds)
