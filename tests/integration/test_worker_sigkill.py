"""A real `vouch worker` process killed with SIGKILL in the middle of a batch loses
nothing: once its lease runs out, the next worker sends what it had claimed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from service.clock import FrozenClock
from service.deps import Deps
from service.models import OutboxMessage, new_id
from tests.integration.smtp import Inbox, SmtpServer

EMAILS = 12


class SlowInbox(Inbox):
    """Accepts each message after a pause, so a batch is still going when killed."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.25)
        return await super().handle_DATA(server, session, envelope)


def _queue_emails(deps: Deps, clock: FrozenClock, workspace_id: str) -> set[str]:
    ids = set()
    with deps.uow() as uow:
        for n in range(EMAILS):
            row_id = new_id("msg")
            ids.add(row_id)
            uow.session.add(
                OutboxMessage(
                    id=row_id, workspace_id=workspace_id, introduction_id=None,
                    to_member_id=None, dedupe_key=f"sigkill:{n}", kind="email",
                    template="not_made", to_addr=f"person{n}@example.com",
                    subject="About your introduction", body_text="Text", body_html="<p>Html</p>",
                    status="queued", attempts=0, next_attempt_at=clock.now(),
                    created_at=clock.now(),
                )
            )  # fmt: skip
        uow.commit()
    return ids


def _worker(database_url: str, port: int, tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VOUCH_DATABASE_URL": database_url,
        "VOUCH_SECRET_KEY": "sigkill-test-secret",
        "VOUCH_INSTANCE_PATH": str(tmp_path),
        "VOUCH_MAIL_SERVER": "127.0.0.1",
        "VOUCH_MAIL_PORT": str(port),
        "VOUCH_MAIL_DEFAULT_SENDER": "vouch@example.com",
        "VOUCH_WORKER_LEASE_SECONDS": "2",
        "VOUCH_WORKER_POLL_SECONDS": "0.2",
        "VOUCH_WORKER_BATCH_SIZE": "50",
    }
    vouch = Path(sys.executable).parent / "vouch"
    return subprocess.Popen(
        [str(vouch), "worker", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def test_a_worker_killed_with_sigkill_mid_batch_loses_nothing(
    database_url: str, deps: Deps, clock: FrozenClock, api: Any, tmp_path: Path
) -> None:
    queued = _queue_emails(deps, clock, api.workspace_id)
    server = SmtpServer()
    server.inbox = SlowInbox()
    server.start()
    try:
        first = _worker(database_url, server.port, tmp_path)
        deadline = time.monotonic() + 60
        while len(server.inbox.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.inbox.messages) >= 2, "the worker never started sending"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.stdout is not None
        first.stdout.close()
        delivered_before = len(server.inbox.messages)
        assert delivered_before < EMAILS, "the batch finished before the kill"
        with deps.session_factory() as session:
            stuck = session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.status == "sending")
            ).all()
        assert stuck, "the killed worker should have left claimed rows behind"

        time.sleep(2.5)  # the dead worker's lease runs out
        second = _worker(database_url, server.port, tmp_path, "--once")
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output.decode()
    finally:
        server.stop()

    received = {str(m["Message-ID"]) for m in server.inbox.messages}
    domains = {mid.split("@", 1)[1] for mid in received}
    assert len(domains) == 1
    domain = domains.pop()
    expected = {f"<outbox-{row_id}@{domain}" for row_id in queued}
    assert expected == received, "every email arrived, each under its own stable Message-ID"
    with deps.session_factory() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert sorted(set(statuses)) == ["sent"]
