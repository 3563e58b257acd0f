"""STARTTLS and login against a real server: the certificate is verified (smtplib
alone would not), and a relay with a private CA works with VOUCH_MAIL_TLS_CA_FILE."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from sqlalchemy import select

from service.deps import Deps
from service.models import OutboxMessage
from tests.conftest import config_for
from tests.helpers import ApiClient, Trio
from tests.integration.flow import Worker
from tests.integration.smtp import Inbox, free_port


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class TlsServer:
    def __init__(self, folder: Path) -> None:
        self.cert, key = self_signed(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.inbox = Inbox()
        self.logins: list[bytes] = []
        self.port = free_port()
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=self._authenticate,
        )

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:  # fmt: skip
        ok = auth_data.login == b"vouch" and auth_data.password == b"s3cret"
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok)


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[TlsServer]:
    server = TlsServer(tmp_path)
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def app_config(database_url: str, tmp_path: Path, tls_smtp: TlsServer) -> dict[str, Any]:
    return config_for(
        database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=tls_smtp.port,
        MAIL_USE_TLS=True, MAIL_USERNAME="vouch", MAIL_PASSWORD="s3cret",
        MAIL_DEFAULT_SENDER="Vouch <no-reply@vouch.test>", MAIL_TIMEOUT=5,
    )  # fmt: skip


def statuses(deps: Deps) -> list[tuple[str, str | None]]:
    with deps.session_factory() as session:
        return [(r.status, r.last_error) for r in session.scalars(select(OutboxMessage))]


def test_starttls_with_a_trusted_certificate_and_login_delivers(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, tls_smtp: TlsServer
) -> None:
    app.config["MAIL_TLS_CA_FILE"] = str(tls_smtp.cert)
    api.request(trio)
    assert Worker.for_app(app, deps).cycle().delivery.sent == 1
    assert len(tls_smtp.inbox.messages) == 1 and tls_smtp.logins == [b"vouch"]


def test_an_untrusted_certificate_is_refused_and_the_email_waits(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, tls_smtp: TlsServer
) -> None:
    api.request(trio)
    assert Worker.for_app(app, deps).cycle().delivery.retried == 1
    ((status, error),) = statuses(deps)
    assert status == "queued" and "CERTIFICATE_VERIFY_FAILED" in (error or "")
    assert tls_smtp.inbox.messages == [] and tls_smtp.logins == []
