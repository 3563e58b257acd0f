"""The SMTP mailer: Flask-Mail over one connection per batch, with a timeout.

Flask-Mail opens `smtplib.SMTP(server, port)` with no timeout, so a silent
server would hang the worker forever, and starts TLS without checking the
server's certificate; `_TimeoutConnection` passes a timeout and a verifying
TLS context (system CAs, or VOUCH_MAIL_TLS_CA_FILE for a private relay). Replies
are classified for the delivery worker: 4xx, timeouts and dropped connections
are worth retrying, 5xx are not. The Message-ID comes from the outbox row, so a
resend after a crash carries the same one.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from typing import Any

from flask import Flask
from flask_mail import Connection, Mail, Message

from service.mailer import Outcome, OutgoingEmail, SendResult

log = logging.getLogger(__name__)


def smtp_configured(app: Flask) -> bool:
    return bool(app.config.get("MAIL_SERVER"))


class _TimeoutConnection(Connection):
    def __init__(self, mail: Any, timeout: float, ca_file: str | None) -> None:
        super().__init__(mail)
        self.timeout = timeout
        self.ca_file = ca_file

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        host: smtplib.SMTP
        # smtplib alone does not check the server's certificate; this context does.
        context = ssl.create_default_context(cafile=self.ca_file)
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout, context=context)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        if mail.use_tls:
            host.starttls(context=context)
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


def classify(exc: BaseException) -> tuple[Outcome, str]:
    """What a send error means for the row, and a short reason for operators."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        outcome = Outcome.RETRY if codes and all(400 <= c < 500 for c in codes) else Outcome.FAILED
        return outcome, f"recipient refused: {codes}"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        outcome = Outcome.FAILED if 500 <= exc.smtp_code < 600 else Outcome.RETRY
        return outcome, f"SMTP {exc.smtp_code} {text}".strip()
    if isinstance(exc, TimeoutError):
        return Outcome.RETRY, "SMTP timeout"
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Outcome.RETRY, f"{type(exc).__name__}: {exc}"
    return Outcome.RETRY, type(exc).__name__


class SmtpMailer:
    """Sends a batch through Flask-Mail; never raises for a delivery problem."""

    transport = "smtp"

    def __init__(self, app: Flask) -> None:
        self.app = app
        config = dict(app.config)
        # Flask-Mail suppresses sending whenever TESTING is on; we send for real
        # unless told otherwise.
        config.setdefault("MAIL_SUPPRESS_SEND", False)
        config["MAIL_PORT"] = int(config.get("MAIL_PORT") or 25)
        self.state = Mail().init_mail(config)
        app.extensions["mail"] = self.state
        self.timeout = float(app.config.get("MAIL_TIMEOUT") or 15)
        self.ca_file = app.config.get("MAIL_TLS_CA_FILE") or None
        self.sender = app.config.get("MAIL_DEFAULT_SENDER")
        if not self.sender:
            raise ValueError("VOUCH_MAIL_DEFAULT_SENDER is required with VOUCH_MAIL_SERVER")

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult]:
        with self.app.app_context():
            return self._send_all(messages)

    def _send_all(self, messages: Sequence[OutgoingEmail]) -> list[SendResult]:
        results: list[SendResult] = []
        connection = _TimeoutConnection(self.state, self.timeout, self.ca_file)
        try:
            connection.__enter__()
        except Exception as exc:
            outcome, error = classify(exc)
            # Cannot even connect: nothing was sent, so the whole batch is transient
            # unless the server refused us outright.
            return [SendResult(m.outbox_id, outcome, error) for m in messages]
        broken: tuple[Outcome, str] | None = None
        for m in messages:
            if broken is not None:
                results.append(SendResult(m.outbox_id, Outcome.RETRY, broken[1]))
                continue
            try:
                connection.send(self._message(m))
            except Exception as exc:
                outcome, error = classify(exc)
                results.append(SendResult(m.outbox_id, outcome, error))
                if not isinstance(
                    exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
                ):
                    broken = (outcome, error)  # the connection is gone: retry the rest later
                continue
            results.append(SendResult(m.outbox_id, Outcome.SENT))
        try:
            if connection.host is not None and broken is None:
                connection.host.quit()
            elif connection.host is not None:
                connection.host.close()
        except (smtplib.SMTPException, OSError):
            log.info("SMTP connection did not close cleanly")
        return results

    def _message(self, m: OutgoingEmail) -> Message:
        msg = Message(
            subject=m.subject,
            recipients=[m.to_addr],
            body=m.body_text,
            html=m.body_html,
            sender=self.sender,
            extra_headers={"Auto-Submitted": "auto-generated"},
        )
        msg.msgId = m.message_id
        return msg
