"""`vouch worker` (the outbox delivery loop) and `vouch demo` (a workspace to click through).

The worker picks its mailer from the config: SMTP when VOUCH_MAIL_SERVER is set,
otherwise the dev mailbox (refused in production, where emails must really go
out). `vouch serve` runs the same loop in a background thread in mailbox mode,
so a newcomer needs one process.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import WSGIRequestHandler

from api.composition import deps
from api.links import redact
from api.mail import SmtpMailer, smtp_configured
from service.delivery import DeliveryPolicy, run_cycle, run_forever
from service.mailer import MailboxMailer, Mailer
from service.webhook_sender import UrllibSender

log = logging.getLogger(__name__)


class RedactingRequestHandler(WSGIRequestHandler):
    """The dev server's request log, with link tokens replaced (tokens are never logged)."""

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's name
        super().log(type, "%s", redact(message % args if args else message))


def uses_mailbox(app: Flask) -> bool:
    return not smtp_configured(app)


def build_mailer(app: Flask) -> Mailer:
    if smtp_configured(app):
        return SmtpMailer(app)
    if app.config.get("ENV") == "production":
        raise click.ClickException(
            "VOUCH_MAIL_SERVER is not set. In production emails must go to a real SMTP "
            "server; the dev mailbox is for development only."
        )
    return MailboxMailer()


def delivery_policy(app: Flask) -> DeliveryPolicy:
    cfg = app.config
    return DeliveryPolicy(
        batch_size=int(cfg["WORKER_BATCH_SIZE"]),
        lease=timedelta(seconds=float(cfg["WORKER_LEASE_SECONDS"])),
        max_attempts=int(cfg["WORKER_MAX_ATTEMPTS"]),
        backoff_base=timedelta(seconds=float(cfg["WORKER_BACKOFF_BASE_SECONDS"])),
        backoff_max=timedelta(seconds=float(cfg["WORKER_BACKOFF_MAX_SECONDS"])),
    )


def webhook_sender(app: Flask) -> UrllibSender:
    return UrllibSender(timeout=float(app.config["WEBHOOK_TIMEOUT_SECONDS"]))


def start_background_worker(app: Flask) -> threading.Event:
    """Run the worker loop in a daemon thread (dev mailbox mode); set the event to stop."""
    stop = threading.Event()
    mailer = build_mailer(app)
    policy = delivery_policy(app)
    app_deps = app.extensions["vouch"]
    poll = float(app.config["WORKER_POLL_SECONDS"])
    thread = threading.Thread(
        target=run_forever,
        args=(app_deps, mailer, policy, stop),
        kwargs={"poll_seconds": poll, "webhooks": webhook_sender(app)},
        name="vouch-worker",
        daemon=True,
    )
    thread.start()
    return stop


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Deliver queued emails, send reminders and expire overdue introductions."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    mailer = build_mailer(app)
    policy = delivery_policy(app)
    if once:
        report = run_cycle(deps(), mailer, policy, webhooks=webhook_sender(app))
        d, w = report.delivery, report.webhooks
        click.echo(
            f"expired {report.expired}, reminded {report.reminded}; "
            f"sent {d.sent}, to retry {d.retried}, failed {d.failed} (via {mailer.transport}); "
            f"webhooks delivered {w.delivered}, to retry {w.retried}, failed {w.failed}"
        )
        return
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"received {signal.Signals(signum).name}: finishing the current batch")
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"worker running (via {mailer.transport}); stop with Ctrl+C or SIGTERM")
    run_forever(
        deps(),
        mailer,
        policy,
        stop,
        poll_seconds=float(app.config["WORKER_POLL_SECONDS"]),
        webhooks=webhook_sender(app),
    )
    click.echo("worker stopped")


def register(group: click.Group) -> None:
    from api.demo import demo

    group.add_command(worker)
    group.add_command(demo)
