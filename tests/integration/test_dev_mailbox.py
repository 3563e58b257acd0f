"""One machine, no SMTP: emails land in the dev mailbox, readable at /dev/mailbox
with their links clickable; `vouch worker`, `vouch demo` and the in-process worker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api import create_app
from api.cli_worker import start_background_worker, worker
from api.composition import ENGINE
from api.demo import demo
from service.deps import Deps
from service.models import Introduction, OutboxMessage
from tests.conftest import config_for
from tests.helpers import ApiClient, Trio, make_trio
from tests.integration.flow import Worker, forms
from tests.integration.smtp import free_port

HREF = re.compile(r'<a href="https://vouch\.test(/l/[^"]+)">')


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """No MAIL_SERVER: the dev mailbox mode."""
    return config_for(database_url, tmp_path, WORKER_POLL_SECONDS=0.05)


def test_emails_land_in_the_dev_mailbox_with_clickable_links(
    app: Flask, deps: Deps, client: FlaskClient, api: ApiClient, trio: Trio
) -> None:
    intro = api.request(trio).json["id"]
    assert Worker.for_app(app, deps).cycle().delivery.sent == 1
    inbox = client.get("/dev/mailbox")
    assert inbox.status_code == 200
    assert "Ann would like an introduction to Tia" in inbox.get_data(as_text=True)
    (message_path,) = re.findall(r'href="(/dev/mailbox/msg_[^"]+)"', inbox.get_data(as_text=True))

    message = client.get(message_path).get_data(as_text=True)
    consent_path = HREF.findall(message)[0]
    assert client.get(f"{message_path}/html").mimetype == "text/html"
    page = client.get(consent_path)
    action, csrf = forms(page.get_data(as_text=True))[0]
    assert client.post(action, data={"csrf": csrf}).status_code == 200
    with deps.session_factory() as session:
        row = session.get(Introduction, intro)
        assert row is not None and row.state == "opting_in"
        sent = session.scalars(select(OutboxMessage.delivered_via)).all()
    assert sent == ["mailbox", None, None]  # the two new emails wait for the worker


def test_the_dev_mailbox_is_not_served_in_production(database_url: str, tmp_path: Path) -> None:
    config = config_for(database_url, tmp_path, ENV="production", TESTING=False)
    app = create_app(config)
    try:
        assert app.test_client().get("/dev/mailbox").status_code == 404
        result = app.test_cli_runner().invoke(worker, ["--once"])
        assert result.exit_code != 0 and "VOUCH_MAIL_SERVER is not set" in result.output
    finally:
        app.extensions[ENGINE].dispose()


def test_worker_once_delivers_what_is_due_and_exits(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio
) -> None:
    api.request(trio)
    result = app.test_cli_runner().invoke(worker, ["--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output and "via mailbox" in result.output


def test_demo_fills_a_workspace_with_an_introduction_in_every_state(
    app: Flask, deps: Deps, client: FlaskClient
) -> None:
    result = app.test_cli_runner().invoke(demo)
    assert result.exit_code == 0, result.output
    key = re.search(r"api key:\s+(\S+)", result.output)
    assert key is not None and "/dev/mailbox" in result.output
    with deps.session_factory() as session:
        states = set(session.scalars(select(Introduction.state)).all())
    assert states == {"requested", "opting_in", "connected", "declined", "withdrawn", "expired"}
    listed = client.get("/v1/introductions", headers={"Authorization": f"Bearer {key[1]}"})
    assert listed.status_code == 200 and len(listed.json["items"]) == 6
    assert "connected with" in client.get("/dev/mailbox").get_data(as_text=True)


def test_the_in_process_worker_delivers_to_the_mailbox_until_stopped(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio
) -> None:
    api.request(trio)
    stop = start_background_worker(app)
    delivered = threading.Event()

    def sent() -> bool:
        with deps.session_factory() as session:
            return session.scalars(select(OutboxMessage.status)).all() == ["sent"]

    try:
        for _ in range(200):
            if sent():
                delivered.set()
                break
            stop.wait(0.05)
    finally:
        stop.set()
    assert delivered.is_set()
    worker_threads = [t for t in threading.enumerate() if t.name == "vouch-worker"]
    for thread in worker_threads:
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in worker_threads)


def test_vouch_worker_stops_cleanly_on_sigterm(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VOUCH_DATABASE_URL": database_url,
        "VOUCH_INSTANCE_PATH": str(tmp_path / "instance"),
        "VOUCH_WORKER_POLL_SECONDS": "0.1",
    }
    env.pop("VOUCH_MAIL_SERVER", None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "worker running" in first
    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "received SIGTERM" in rest and "worker stopped" in rest


def test_vouch_serve_answers_and_delivers_to_the_mailbox_in_process(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "VOUCH_DATABASE_URL": database_url,
        "VOUCH_INSTANCE_PATH": str(tmp_path / "instance"),
        "VOUCH_BASE_URL": f"http://127.0.0.1:{port}",
        "VOUCH_WORKER_POLL_SECONDS": "0.1",
    }
    env.pop("VOUCH_MAIL_SERVER", None)
    setup = create_app(config_for(database_url, tmp_path))
    client = setup.test_client()
    api = ApiClient.for_new_workspace(client, setup.extensions["vouch"])
    trio = make_trio(api)
    process = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api.request(trio)
        inbox = ""
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/dev/mailbox") as page:  # noqa: S310 - loopback
                    inbox = page.read().decode()
            except OSError:
                pass
            if "would like an introduction" in inbox:
                break
            threading.Event().wait(0.1)
        assert "Ann would like an introduction to Tia" in inbox
    finally:
        process.terminate()
        process.wait(timeout=60)
        setup.extensions[ENGINE].dispose()
