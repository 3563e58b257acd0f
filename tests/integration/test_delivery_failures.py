"""Delivery when things go wrong: outages, 4xx and 5xx replies, dead workers,
rolled-back changes. The SMTP server is real (aiosmtpd on loopback)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from api.mail import SmtpMailer
from service.actors import Actor
from service.clock import FrozenClock
from service.delivery import DeliveryPolicy, claim_due
from service.deps import Deps
from service.models import OutboxMessage
from service.use_cases import introductions
from tests.helpers import ApiClient, Trio
from tests.integration.flow import Worker
from tests.integration.smtp import SmtpServer


@pytest.fixture
def app_config(smtp_app_config: dict[str, Any]) -> dict[str, Any]:
    """This module's app sends through the loopback SMTP server."""
    return smtp_app_config


def outbox(deps: Deps) -> list[OutboxMessage]:
    with deps.session_factory() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_an_smtp_outage_delays_emails_and_loses_none_of_them(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    smtp.stop()
    created = api.request(trio)
    assert created.status_code == 201  # an outage never turns an API call into a 5xx
    consented = api.act(created.json["id"], "consent", trio.introducer)
    assert consented.status_code == 200
    worker = Worker.for_app(app, deps)
    for _ in range(3):
        report = worker.cycle()
        assert report.delivery.sent == 0
        clock.advance(timedelta(minutes=10))
    rows = outbox(deps)
    assert len(rows) == 3
    assert all(r.status == "queued" and r.attempts >= 2 for r in rows)
    assert all("Connection" in (r.last_error or "") for r in rows)

    smtp.start()
    clock.advance(timedelta(hours=7))
    assert worker.cycle().delivery.sent == 3
    assert all(r.status == "sent" for r in outbox(deps))
    assert sorted(smtp.inbox.message_ids()) == sorted(f"<outbox-{r.id}@vouch.test>" for r in rows)


def test_a_451_reply_is_retried_later_and_delivered_once(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    smtp.inbox.script.append("451 4.3.0 Try again later")
    api.request(trio)
    worker = Worker.for_app(app, deps)
    assert worker.cycle().delivery.retried == 1
    (row,) = outbox(deps)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "451" in (row.last_error or "")
    assert clock.now() + timedelta(seconds=30) <= row.next_attempt_at
    assert row.next_attempt_at <= clock.now() + timedelta(seconds=60)

    assert worker.cycle().delivery.claimed == 0  # not due yet
    clock.advance(timedelta(minutes=1))
    assert worker.cycle().delivery.sent == 1
    (row,) = outbox(deps)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(smtp.inbox.messages) == 1


def test_a_550_reply_fails_the_row_at_once_and_it_is_never_retried(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    smtp.inbox.script.append("550 5.1.1 No such mailbox")
    api.request(trio)
    worker = Worker.for_app(app, deps)
    assert worker.cycle().delivery.failed == 1
    clock.advance(timedelta(days=1))
    worker.cycle()
    (row,) = outbox(deps)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in (row.last_error or "")
    assert smtp.inbox.messages == [] and smtp.inbox.refused == 1


def test_a_row_that_keeps_getting_4xx_fails_after_the_maximum_attempts(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    smtp.inbox.script.extend(["421 4.7.0 Busy"] * 10)
    api.request(trio)
    worker = Worker.for_app(app, deps)
    worker.policy = DeliveryPolicy(max_attempts=3)
    for _ in range(5):
        worker.cycle()
        clock.advance(timedelta(hours=7))
    (row,) = outbox(deps)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in (row.last_error or "")
    assert smtp.inbox.refused == 3


def test_a_worker_killed_between_claim_and_send_loses_nothing(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    api.request(trio)
    worker = Worker.for_app(app, deps)
    claimed = claim_due(deps, worker.policy)  # ...and the worker dies here
    assert len(claimed) == 1
    assert worker.cycle().delivery.claimed == 0  # the lease still holds
    clock.advance(worker.policy.lease + timedelta(seconds=1))
    assert worker.cycle().delivery.sent == 1
    (row,) = outbox(deps)
    assert (row.status, row.attempts) == ("sent", 2)
    assert smtp.inbox.message_ids() == [claimed[0].message_id]


def test_a_worker_killed_after_the_server_accepted_resends_with_the_same_message_id(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    api.request(trio)
    worker = Worker.for_app(app, deps)
    claimed = claim_due(deps, worker.policy)
    worker.mailer.send_batch(claimed)  # 250, then the worker dies before recording it
    clock.advance(worker.policy.lease + timedelta(seconds=1))
    worker.cycle()
    assert [r.status for r in outbox(deps)] == ["sent"]
    # At-least-once: one duplicate, recognisable by its Message-ID.
    assert smtp.inbox.message_ids() == [claimed[0].message_id] * 2


def test_a_rolled_back_change_writes_no_email_and_sends_nothing(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer
) -> None:
    intro = api.request(trio).json["id"]
    Worker.for_app(app, deps).cycle()
    before = len(outbox(deps))
    actor = Actor(workspace_id=api.workspace_id, member_id=trio.introducer)

    event.listen(deps.session_factory, "before_commit", _boom)
    try:
        with pytest.raises(RuntimeError):
            introductions.consent(deps, actor, intro, note="hello")
    finally:
        event.remove(deps.session_factory, "before_commit", _boom)

    assert len(outbox(deps)) == before
    Worker.for_app(app, deps).cycle()
    assert len(smtp.inbox.messages) == 1  # only the first request's email
    state = api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"]
    assert state == "requested"


def _boom(session: Session) -> None:
    raise RuntimeError("crash at commit")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never says a word (no SMTP greeting)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        yield int(listener.getsockname()[1])


def test_a_server_that_never_answers_times_out_and_the_row_is_retried(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, silent_server: int
) -> None:
    api.request(trio)
    app.config.update(MAIL_PORT=silent_server, MAIL_TIMEOUT=0.5)
    worker = Worker.for_app(app, deps)
    assert isinstance(worker.mailer, SmtpMailer)
    assert worker.cycle().delivery.retried == 1
    (row,) = outbox(deps)
    assert row.status == "queued" and "timed out" in (row.last_error or "")
