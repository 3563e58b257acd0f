"""The email as it goes on the wire (api/mail.py builds it with the stdlib, not
Flask-Mail's Message): what a mail client parses back out of it."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from flask import Flask

from api.mail import (
    SmtpMailer,
    UnsendableMessage,
    ascii_address,
    build_message,
    classify,
    sender_header,
    subject_header,
)
from service.mailer import Outcome, OutgoingEmail


def outgoing(**changes: str) -> OutgoingEmail:
    fields = {
        "outbox_id": "msg_1",
        "message_id": "<outbox-msg_1@vouch.test>",
        "to_addr": "ann@example.com",
        "subject": "Ben would like to introduce you",
        "body_text": "Hello Ann,\n\nBen asks: yes or no?\n",
        "body_html": '<html><body><p>Hello Ann,</p><a href="https://vouch.test/l/x">yes</a></body></html>\n',
    }
    fields.update(changes)
    return OutgoingEmail(**fields)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def wire(m: OutgoingEmail, sender: str = "Vouch <no-reply@vouch.test>") -> bytes:
    return build_message(m, sender_header(sender), ascii_address(m.to_addr))


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    # Parsed from the wire, line ends are CRLF, as they were with Flask-Mail.
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def test_headers_text_and_html_and_the_rows_message_id() -> None:
    raw = wire(outgoing())
    message = parse(raw)
    assert message["Message-ID"] == "<outbox-msg_1@vouch.test>"
    assert message["From"] == "Vouch <no-reply@vouch.test>"
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Ben would like to introduce you"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] is not None and message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "multipart/alternative"
    assert body(message, "plain") == "Hello Ann,\n\nBen asks: yes or no?\n"
    assert 'href="https://vouch.test/l/x"' in body(message, "html")
    assert message.defects == []
    # SMTP wants CRLF everywhere: no bare line feed anywhere in the message.
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_non_ascii_long_lines_and_lone_dots_survive_the_trip() -> None:
    text = "Zoë says hi.\n.\nFrom here on\n" + "x" * 1500 + "\n"
    html = "<p>Zoë</p>\n<p>" + "y" * 1200 + "</p>\n"
    subject = "Zoë would like to meet you — " + "and then some more words " * 4
    raw = wire(outgoing(body_text=text, body_html=html, subject=subject))
    message = parse(raw)
    assert body(message, "plain") == text
    assert body(message, "html") == html
    assert message["Subject"] == subject
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert raw.isascii()  # quoted-printable and RFC 2047: 7-bit clean for any server


def test_a_long_ascii_subject_is_folded_and_read_back_whole() -> None:
    subject = "About your introduction " * 6
    assert "\r\n " in subject_header(subject.strip())
    assert parse(wire(outgoing(subject=subject.strip())))["Subject"] == subject.strip()


def test_addresses_internationalised_domains_and_display_names() -> None:
    assert ascii_address("ann@example.com") == "ann@example.com"
    assert ascii_address("ann@bücher.example") == "ann@xn--bcher-kva.example"
    assert ascii_address("Ann <ann@example.com>") == "ann@example.com"
    assert sender_header("Zoë <no-reply@vouch.test>").startswith("=?utf-8?")
    assert parse(wire(outgoing(), "Zoë <no-reply@vouch.test>"))["From"] == (
        "Zoë <no-reply@vouch.test>"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to_addr", "zoë@example.com"),  # needs SMTPUTF8
        ("to_addr", "not an address"),
        ("to_addr", "ann@example.com\r\nBcc: eve@example.com"),
        ("subject", "Hello\r\nBcc: eve@example.com"),
        ("to_addr", "ann@ü" + "x" * 64 + ".example"),  # an IDNA label over 63 characters
    ],
)
def test_emails_that_cannot_go_on_the_wire_are_refused_for_good(field: str, value: str) -> None:
    m = outgoing(**{field: value})
    with pytest.raises(UnsendableMessage) as refused:
        wire(m)
    assert classify(refused.value)[0] is Outcome.FAILED


def test_with_sending_suppressed_nothing_goes_out_and_the_batch_counts_as_sent() -> None:
    app = Flask(__name__)
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_SUPPRESS_SEND=True,
        MAIL_DEFAULT_SENDER=("Vouch", "no-reply@vouch.test"),
    )  # fmt: skip
    mailer = SmtpMailer(app)  # port 9 (discard) is never connected to
    assert mailer.from_header == "Vouch <no-reply@vouch.test>"
    assert mailer.envelope_from == "no-reply@vouch.test"
    assert [r.outcome for r in mailer.send_batch([outgoing()])] == [Outcome.SENT]


def test_a_sender_is_required() -> None:
    app = Flask(__name__)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_DEFAULT_SENDER=None)
    with pytest.raises(ValueError, match="MAIL_DEFAULT_SENDER"):
        SmtpMailer(app)
