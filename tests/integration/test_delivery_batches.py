"""Whole batches: sent rows are marked by one UPDATE per batch, a crash after the
server accepted a batch resends it under the same Message-IDs, one bad email does
not hold back the rest of its batch, and claims take expired leases first."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from api.mail import Envelope, SmtpMailer, _TimeoutConnection
from service import delivery
from service.clock import FrozenClock
from service.delivery import (
    DeliveryPolicy,
    claim_due,
    deliver_batch,
    deliver_due,
    record_results,
)
from service.deps import Deps
from service.mailer import Outcome, OutgoingEmail, SendResult
from service.models import OutboxMessage, Workspace
from tests.integration.smtp import SmtpServer


@pytest.fixture
def app_config(smtp_app_config: dict[str, Any]) -> dict[str, Any]:
    """This module's app sends through the loopback SMTP server."""
    return smtp_app_config


POLICY = DeliveryPolicy(batch_size=10)


def queue(deps: Deps, count: int, **changes: Any) -> list[str]:
    """`count` due emails, written one second apart (oldest first); their ids."""
    now = deps.clock.now()
    ids = []
    with deps.uow() as uow:
        if uow.session.get(Workspace, "ws_batch") is None:
            uow.session.add(Workspace(id="ws_batch", name="batch", created_at=now))
            uow.session.flush()
        for i in range(count):
            at = now - timedelta(seconds=count - i)
            fields: dict[str, Any] = {
                "id": f"msg_{i:04d}", "workspace_id": "ws_batch", "dedupe_key": f"batch:{i}",
                "kind": "email", "template": "batch", "to_addr": f"person{i}@example.com",
                "subject": f"Message {i}", "body_text": "hello", "body_html": "<p>hello</p>",
                "status": "queued", "attempts": 0, "next_attempt_at": at, "created_at": at,
            }  # fmt: skip
            fields.update(changes)
            uow.session.add(OutboxMessage(**fields))
            ids.append(fields["id"])
        uow.commit()
    return ids


def rows(deps: Deps) -> dict[str, OutboxMessage]:
    with deps.session_factory() as session:
        return {r.id: r for r in session.scalars(select(OutboxMessage))}


def test_every_row_of_every_batch_is_marked_sent(
    app: Flask, deps: Deps, smtp: SmtpServer, clock: FrozenClock
) -> None:
    ids = queue(deps, 25)
    report = deliver_due(deps, SmtpMailer(app), POLICY, random.Random(1))
    assert (report.claimed, report.sent, report.retried, report.failed) == (25, 25, 0, 0)
    for row in rows(deps).values():
        assert (row.status, row.attempts, row.delivered_via) == ("sent", 1, "smtp")
        assert row.sent_at == clock.now() and row.lease_until is None and row.last_error is None
    assert sorted(smtp.inbox.message_ids()) == [f"<outbox-{i}@vouch.test>" for i in ids]


def test_a_crash_after_the_server_accepted_a_batch_resends_it_under_the_same_message_ids(
    app: Flask, deps: Deps, smtp: SmtpServer, clock: FrozenClock
) -> None:
    queue(deps, 10)
    claimed = claim_due(deps, POLICY)
    SmtpMailer(app).send_batch(claimed)  # 250 for all ten, then the worker dies
    assert {r.status for r in rows(deps).values()} == {"sending"}

    assert deliver_due(deps, SmtpMailer(app), POLICY).claimed == 0  # the lease holds
    clock.advance(POLICY.lease + timedelta(seconds=1))
    assert deliver_due(deps, SmtpMailer(app), POLICY).sent == 10
    assert {(r.status, r.attempts) for r in rows(deps).values()} == {("sent", 2)}
    # At least once: each email twice, both times under its outbox row's Message-ID.
    assert Counter(smtp.inbox.message_ids()) == {m.message_id: 2 for m in claimed}


def test_a_row_cancelled_while_its_batch_was_out_stays_cancelled(
    app: Flask, deps: Deps, smtp: SmtpServer
) -> None:
    ids = queue(deps, 5)
    claimed = claim_due(deps, POLICY)
    results = SmtpMailer(app).send_batch(claimed)
    with deps.uow() as uow:  # an erasure cancels one of them meanwhile
        uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == ids[2]).values(status="cancelled")
        )
        uow.commit()
    report = record_results(deps, POLICY, results, "smtp", random.Random(1))
    assert report.sent == 4
    statuses = {i: r.status for i, r in rows(deps).items()}
    assert statuses.pop(ids[2]) == "cancelled"
    assert set(statuses.values()) == {"sent"}


def test_refused_emails_do_not_hold_back_the_rest_of_their_batch(
    app: Flask, deps: Deps, smtp: SmtpServer, clock: FrozenClock
) -> None:
    ids = queue(deps, 6)
    # The first two DATA commands get these replies (emails go oldest first).
    smtp.inbox.script.extend(["550 5.1.1 No such mailbox", "451 4.3.0 Try again later"])
    report = deliver_due(deps, SmtpMailer(app), POLICY, random.Random(1))
    assert (report.sent, report.retried, report.failed) == (4, 1, 1)
    after = rows(deps)
    assert after[ids[0]].status == "failed" and "550" in (after[ids[0]].last_error or "")
    retried = after[ids[1]]
    assert (retried.status, retried.attempts) == ("queued", 1)
    assert "451" in (retried.last_error or "") and retried.next_attempt_at > clock.now()
    assert {after[i].status for i in ids[2:]} == {"sent"}


def test_an_email_that_cannot_be_written_fails_alone_and_the_batch_goes_on(
    app: Flask, deps: Deps, smtp: SmtpServer
) -> None:
    ids = queue(deps, 4)
    with deps.uow() as uow:
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(to_addr="zoë@example.com")
        )
        uow.commit()
    report = deliver_due(deps, SmtpMailer(app), POLICY, random.Random(1))
    assert (report.sent, report.retried, report.failed) == (3, 0, 1)
    bad = rows(deps)[ids[1]]
    assert bad.status == "failed" and "SMTPUTF8" in (bad.last_error or "")
    assert len(smtp.inbox.messages) == 3


def test_claims_take_expired_leases_first_then_due_rows_oldest_first(
    deps: Deps, clock: FrozenClock
) -> None:
    now = clock.now()
    due = queue(deps, 4)
    later = queue(deps, 1, id="msg_later", dedupe_key="batch:later",
                  next_attempt_at=now + timedelta(minutes=1))  # fmt: skip
    leased = queue(deps, 1, id="msg_leased", dedupe_key="batch:leased", status="sending",
                   attempts=1, lease_until=now + timedelta(minutes=1))  # fmt: skip
    expired = queue(deps, 1, id="msg_expired", dedupe_key="batch:expired", status="sending",
                    attempts=1, lease_until=now - timedelta(seconds=1))  # fmt: skip

    # Four rows are due before the expired lease, and the batch holds three: the
    # dead worker's claim still goes out now. A batch is sent oldest first.
    first = claim_due(deps, DeliveryPolicy(batch_size=3))
    assert [m.outbox_id for m in first] == [due[0], due[1], expired[0]]
    rest = claim_due(deps, DeliveryPolicy(batch_size=10))
    assert [m.outbox_id for m in rest] == due[2:]  # nothing else is due
    after = rows(deps)
    assert after[later[0]].status == "queued" and after[leased[0]].attempts == 1
    assert after[expired[0]].attempts == 2


def test_a_row_that_keeps_killing_its_worker_ends_failed_without_being_sent(
    app: Flask, deps: Deps, smtp: SmtpServer, clock: FrozenClock
) -> None:
    ids = queue(deps, 2)
    policy = DeliveryPolicy(batch_size=10, max_attempts=2)
    for _ in range(2):  # two claims, and each time the worker dies before sending
        assert len(claim_due(deps, policy)) == 2
        clock.advance(policy.lease + timedelta(seconds=1))
    assert claim_due(deps, policy) == []  # the third claim gives up on both
    after = rows(deps)
    for row_id in ids:
        assert (after[row_id].status, after[row_id].attempts) == ("failed", 3)
        assert after[row_id].last_error == "no result recorded (gave up)"
        assert after[row_id].lease_until is None
    assert deliver_due(deps, SmtpMailer(app), policy).claimed == 0
    assert smtp.inbox.messages == []


def test_a_connection_dropped_mid_batch_leaves_the_rest_for_the_next_try(
    app: Flask, deps: Deps, smtp: SmtpServer, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = queue(deps, 5)
    send = _TimeoutConnection.send_envelope
    calls = []

    def drop_on_third(self: _TimeoutConnection, envelope: Envelope) -> None:
        calls.append(envelope.recipient)
        if len(calls) == 3:
            raise ConnectionResetError("connection reset by peer")
        send(self, envelope)

    monkeypatch.setattr(_TimeoutConnection, "send_envelope", drop_on_third)
    report = deliver_due(deps, SmtpMailer(app), POLICY, random.Random(1))
    assert (report.sent, report.retried, report.failed) == (2, 3, 0)
    assert len(calls) == 3  # nothing more was tried on the dead connection
    after = rows(deps)
    assert [after[i].status for i in ids] == ["sent", "sent", "queued", "queued", "queued"]
    assert all("ConnectionResetError" in (after[i].last_error or "") for i in ids[2:])

    monkeypatch.setattr(_TimeoutConnection, "send_envelope", send)
    clock.advance(timedelta(hours=1))
    assert deliver_due(deps, SmtpMailer(app), POLICY).sent == 3
    assert len(smtp.inbox.messages) == 5


class ExplodingMailer:
    transport = "smtp"

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult]:
        raise RuntimeError("a bug in the mailer")


def test_a_mailer_that_raises_puts_its_batch_back_for_later(deps: Deps, clock: FrozenClock) -> None:
    ids = queue(deps, 3)
    report = deliver_batch(deps, ExplodingMailer(), POLICY, random.Random(1))
    assert (report.claimed, report.sent, report.retried) == (3, 0, 3)
    after = rows(deps)
    assert {(after[i].status, after[i].last_error) for i in ids} == {("queued", "RuntimeError")}


def test_a_failure_reported_for_a_row_cancelled_meanwhile_changes_nothing(deps: Deps) -> None:
    ids = queue(deps, 1)
    claim_due(deps, POLICY)
    with deps.uow() as uow:
        uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == ids[0]).values(status="cancelled")
        )
        uow.commit()
    results = [SendResult(ids[0], Outcome.RETRY, "SMTP 451")]
    report = record_results(deps, POLICY, results, "smtp", random.Random(1))
    assert (report.sent, report.retried, report.failed) == (0, 0, 0)
    assert rows(deps)[ids[0]].status == "cancelled"


class CountingStop(threading.Event):
    """A stop event that counts the worker's pauses between cycles (and never sleeps)."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses += 1
        return super().wait(0)


def test_the_worker_loop_survives_a_failing_cycle_and_drains_a_backlog_without_pausing(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = CountingStop()
    errors: list[BaseException] = []
    full = delivery.MAX_BATCHES_PER_CALL * POLICY.batch_size
    cycles = iter([RuntimeError("database down"), full, full, 7])

    def cycle(*args: Any, **kwargs: Any) -> delivery.CycleReport:
        outcome = next(cycles)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome < full:
            stop.set()
        return delivery.CycleReport(delivery=delivery.DeliveryReport(claimed=outcome))

    monkeypatch.setattr(delivery, "run_cycle", cycle)
    delivery.run_forever(
        deps, ExplodingMailer(), POLICY, stop, poll_seconds=60, on_error=errors.append
    )
    assert [str(e) for e in errors] == ["database down"]
    assert stop.pauses == 2  # after the failure and after the last, partial cycle


def test_a_batch_of_rows_given_up_on_does_not_stop_the_drain(
    app: Flask, deps: Deps, smtp: SmtpServer, clock: FrozenClock
) -> None:
    now = clock.now()
    for n in range(2):  # dead workers' claims, on their last attempt
        queue(deps, 1, id=f"msg_poison{n}", dedupe_key=f"batch:poison{n}", status="sending",
              attempts=2, lease_until=now - timedelta(seconds=1))  # fmt: skip
    (good,) = queue(deps, 1)
    report = deliver_due(deps, SmtpMailer(app), DeliveryPolicy(batch_size=2, max_attempts=2))
    assert (report.claimed, report.failed, report.sent) == (3, 2, 1)
    after = rows(deps)
    assert after[good].status == "sent"
    assert {after[f"msg_poison{n}"].status for n in range(2)} == {"failed"}
    assert len(smtp.inbox.messages) == 1
