"""The benchmark's SMTP sink (bench/smtp_sink.py) is a real SMTP server: smtplib
and the worker's own mailer talk to it as to any other, and it counts what it
accepted, so a benchmark cannot report emails that never arrived."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from subprocess import Popen

import pytest
from flask import Flask

from api.mail import SmtpMailer
from bench.smtp_sink import start_sink, stop_sink
from service.mailer import Outcome, OutgoingEmail


@pytest.fixture
def sink() -> Iterator[tuple[Popen[bytes], int]]:
    process, port = start_sink()
    yield process, port
    if process.poll() is None:
        stop_sink(process)


def test_the_sink_speaks_smtp_and_counts_what_it_accepted(sink: tuple[Popen[bytes], int]) -> None:
    process, port = sink
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        assert client.docmd("MAIL", "FROM:<a@example.com>")[0] == 503  # EHLO first
        assert client.ehlo()[0] == 250 and client.has_extn("pipelining")
        assert client.docmd("RCPT", "TO:<b@example.com>")[0] == 503  # MAIL first
        assert client.docmd("DATA")[0] == 503
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: one\r\n\r\n.\r\nhi\r\n")
        client.sendmail("a@example.com", ["b@example.com", "c@example.com"], b"x" * 100_000)
        assert client.mail("a@example.com")[0] == 250
        assert client.rset()[0] == 250  # an abandoned transaction is not a message
        assert client.noop()[0] == 250 and client.docmd("HELP")[0] == 500
        assert client.mail("a@example.com")[0] == 250 and client.rcpt("b@example.com")[0] == 250
        assert client.data(b"")[0] == 250  # an empty body
    assert stop_sink(process) == 3


def test_the_worker_mailer_delivers_a_batch_into_it(sink: tuple[Popen[bytes], int]) -> None:
    process, port = sink
    app = Flask(__name__)
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="vouch@example.com"
    )
    batch = [
        OutgoingEmail(f"m{i}", f"<outbox-m{i}@x.test>", f"p{i}@x.test", "Hi", "a\n.\n", "<p>b</p>")
        for i in range(5)
    ]
    results = SmtpMailer(app).send_batch(batch)
    assert [r.outcome for r in results] == [Outcome.SENT] * 5
    assert stop_sink(process) == 5
