"""The SMTP mailer: one Flask-Mail connection per batch, with a timeout.

Flask-Mail opens `smtplib.SMTP(server, port)` with no timeout, so a silent
server would hang the worker forever, and starts TLS without checking the
server's certificate; `_TimeoutConnection` passes a timeout and a verifying
TLS context (system CAs, or VOUCH_MAIL_TLS_CA_FILE for a private relay). Replies
are classified for the delivery worker: 4xx, timeouts and dropped connections
are worth retrying, 5xx are not. The Message-ID comes from the outbox row, so a
resend after a crash carries the same one.

Flask-Mail owns the configuration and the connection (`Connection.__enter__`,
`configure_host`, QUIT). The message itself is built here with the stdlib
`email` helpers (`build_message`) and handed to the connection as bytes:
Flask-Mail's `Message.as_bytes()` goes through `email.policy.SMTP`'s header
registry, which re-parses every header of every MIME part, plus a
`multipart/mixed` wrapper, a boundary regex compiled per message and
`socket.getfqdn()` for a Message-ID we replace anyway. That was about 1.3 ms of
CPU per email, most of the worker's time; `build_message` takes about 50 us.
"""

from __future__ import annotations

import binascii
import logging
import secrets
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from flask import Flask
from flask_mail import Connection, Mail

from service.mailer import Outcome, OutgoingEmail, SendResult

log = logging.getLogger(__name__)

# RFC 5321 4.5.3.1.6: a line of a message is at most 998 octets plus CRLF.
MAX_LINE = 998
# Subjects up to this length fit on one header line ("Subject: " + 68 < 78).
SHORT_SUBJECT = 68
# Characters that make an address more than a bare `local@domain`.
_NOT_BARE = frozenset(' \t\r\n<>()[],;:"\\')


def smtp_configured(app: Flask) -> bool:
    return bool(app.config.get("MAIL_SERVER"))


class UnsendableMessage(ValueError):
    """The email cannot be put on the wire (a newline in a header, an address that
    cannot be written in ASCII). Permanent: sending again would fail the same way."""


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    data: bytes


class _TimeoutConnection(Connection):
    def __init__(self, mail: Any, timeout: float, ca_file: str | None) -> None:
        super().__init__(mail)
        self.timeout = timeout
        self.ca_file = ca_file

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        host: smtplib.SMTP
        # smtplib alone does not check the server's certificate; this context does.
        # Built only when TLS is used: loading the system CAs costs milliseconds.
        context = None
        if mail.use_ssl or mail.use_tls:
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

    def send_envelope(self, envelope: Envelope) -> None:
        """MAIL, RCPT and DATA for one prebuilt message on this connection. With
        MAIL_SUPPRESS_SEND there is no host and nothing is sent, as in Flask-Mail."""
        if self.host is not None:
            self.host.sendmail(envelope.sender, [envelope.recipient], envelope.data)
        self.num_emails += 1


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
    if isinstance(exc, UnsendableMessage):
        return Outcome.FAILED, f"unsendable: {exc}"
    if isinstance(exc, TimeoutError):
        return Outcome.RETRY, "SMTP timeout"
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Outcome.RETRY, f"{type(exc).__name__}: {exc}"
    return Outcome.RETRY, type(exc).__name__


def _no_newline(value: str, what: str) -> str:
    if "\n" in value or "\r" in value:
        raise UnsendableMessage(f"newline in {what}")
    return value


def ascii_address(address: str) -> str:
    """A bare address for the envelope and the To header; an internationalised
    domain is written in IDNA, a non-ASCII local part cannot be sent without
    SMTPUTF8 and is refused."""
    _no_newline(address, "address")
    if address.isascii() and not _NOT_BARE.intersection(address):
        return address
    addr = parseaddr(address)[1]
    if not addr or "@" not in addr:
        raise UnsendableMessage(f"not an address: {address!r}")
    local, domain = addr.rsplit("@", 1)
    if not local.isascii():
        raise UnsendableMessage("non-ASCII local part needs SMTPUTF8")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsendableMessage(f"bad domain: {exc}") from exc
    return f"{local}@{domain}"


def sender_header(sender: str) -> str:
    """`Name <address>`, the name RFC 2047-encoded when it is not ASCII."""
    name, addr = parseaddr(_no_newline(sender, "sender"))
    return formataddr((name, ascii_address(addr)), charset="utf-8")


def subject_header(subject: str) -> str:
    _no_newline(subject, "subject")
    if subject.isascii():
        if len(subject) <= SHORT_SUBJECT:
            return subject
        return Header(subject, header_name="Subject").encode(linesep="\r\n")
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def text_part(text: str, subtype: str) -> bytes:
    """One text part: 7bit when it is ASCII with short lines (readable as is),
    otherwise quoted-printable, which is 7-bit clean for any server."""
    body = _crlf(text)
    if body.isascii() and all(len(line) <= MAX_LINE for line in body.split("\r\n")):
        encoding, payload = "7bit", body.encode("ascii")
    else:
        encoding = "quoted-printable"
        payload = binascii.b2a_qp(body.encode("utf-8"), istext=True)
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + payload


def build_message(m: OutgoingEmail, from_header: str, to_header: str) -> bytes:
    """The email as sent: multipart/alternative with the text and the HTML
    versions, CRLF line endings, the outbox row's Message-ID."""
    # The boundary never occurs in the content, so it needs no search (the stdlib
    # compiles a regex per message for that): "=_" cannot appear in quoted-printable
    # (where "=" is followed by two hex digits or a line break), and a 7bit part
    # would have to contain 96 random bits drawn at send time.
    boundary = f"=_vouch_{secrets.token_hex(12)}"
    head = (
        f"Subject: {subject_header(m.subject)}\r\n"
        f"From: {from_header}\r\n"
        f"To: {to_header}\r\n"
        f"Date: {formatdate(localtime=True)}\r\n"
        f"Message-ID: {_no_newline(m.message_id, 'Message-ID')}\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
        "\r\n"
    )
    delimiter = f"\r\n--{boundary}\r\n".encode("ascii")
    return b"".join(
        (
            head.encode("ascii"),
            delimiter[2:],
            text_part(m.body_text, "plain"),
            delimiter,
            text_part(m.body_html, "html"),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )


class SmtpMailer:
    """Sends a batch over one Flask-Mail connection; never raises for a delivery problem."""

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
        sender = app.config.get("MAIL_DEFAULT_SENDER")
        if not sender:
            raise ValueError("VOUCH_MAIL_DEFAULT_SENDER is required with VOUCH_MAIL_SERVER")
        if isinstance(sender, tuple | list):
            sender = formataddr((sender[0], sender[1]))
        self.sender = str(sender)
        self.from_header = sender_header(self.sender)
        self.envelope_from = ascii_address(parseaddr(self.sender)[1])

    def envelope(self, m: OutgoingEmail) -> Envelope:
        to_addr = ascii_address(m.to_addr)
        return Envelope(self.envelope_from, to_addr, build_message(m, self.from_header, to_addr))

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[SendResult]:
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
                envelope = self.envelope(m)
            except UnsendableMessage as exc:
                # Nothing went on the wire: this email fails, the connection goes on.
                results.append(SendResult(m.outbox_id, *classify(exc)))
                continue
            try:
                connection.send_envelope(envelope)
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
