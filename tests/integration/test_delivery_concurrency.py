"""Several workers share one outbox and no row is sent twice."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.mail import SmtpMailer
from service.delivery import DeliveryPolicy, claim_due, deliver_batch
from service.deps import Deps
from service.models import OutboxMessage, Workspace
from tests.integration.smtp import SmtpServer

ROWS = 120


@pytest.fixture
def app_config(smtp_app_config: dict[str, Any]) -> dict[str, Any]:
    """This module's app sends through the loopback SMTP server."""
    return smtp_app_config


def fill_outbox(deps: Deps, count: int) -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        uow.session.add(Workspace(id="ws_load", name="load", created_at=now))
        uow.session.flush()
        for i in range(count):
            uow.session.add(
                OutboxMessage(
                    id=f"msg_{i:05d}", workspace_id="ws_load", dedupe_key=f"load:{i}",
                    kind="email", template="load", to_addr=f"person{i}@example.com",
                    subject=f"Message {i}", body_text="hello", body_html="<p>hello</p>",
                    status="queued", attempts=0, next_attempt_at=now, created_at=now,
                )
            )  # fmt: skip
        uow.commit()


def test_two_workers_never_send_the_same_row(
    app: Flask, deps: Deps, smtp: SmtpServer, backend: str
) -> None:
    fill_outbox(deps, ROWS)
    policy = DeliveryPolicy(batch_size=7, lease=timedelta(minutes=5))
    if backend == "postgres":
        # Real concurrency: two threads claiming with FOR UPDATE SKIP LOCKED.
        def work() -> None:
            mailer = SmtpMailer(app)
            while deliver_batch(deps, mailer, policy).claimed:
                pass

        workers = [threading.Thread(target=work) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    else:
        # SQLite runs one worker; still, interleaved claims never overlap.
        first, second = claim_due(deps, policy), claim_due(deps, policy)
        assert not {m.outbox_id for m in first} & {m.outbox_id for m in second}
        SmtpMailer(app).send_batch(first + second)
        mailer = SmtpMailer(app)
        while deliver_batch(deps, mailer, policy).claimed:
            pass

    ids = smtp.inbox.message_ids()
    assert len(ids) == ROWS
    assert len(set(ids)) == ROWS
    with deps.session_factory() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    sent_or_leased = {"sent"} if backend == "postgres" else {"sent", "sending"}
    assert set(statuses) <= sent_or_leased
