"""A suppressed address receives no further email, over a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.clock import FrozenClock
from service.deps import Deps
from service.use_cases.introductions import expire_overdue
from service.use_cases.reminders import send_due_reminders
from tests.helpers import ApiClient, Trio, make_trio
from tests.integration.flow import Worker, address, path_of
from tests.integration.smtp import SmtpServer, html_of, text_of

NEVER = re.compile(r"https?://\S+/n/[^\s\"<]+")


@pytest.fixture
def app_config(smtp_app_config: dict[str, Any]) -> dict[str, Any]:
    """This module's app sends through the loopback SMTP server."""
    return smtp_app_config


def press_never(client: FlaskClient, url: str) -> None:
    page = client.get(path_of(url)).get_data(as_text=True)
    csrf = re.search(
        r'<form method="post"[^>]*>\s*<input type="hidden" name="csrf" value="(\w+)"', page
    )
    assert csrf is not None, page
    assert client.post(path_of(url), data={"csrf": csrf.group(1)}).status_code == 200


def test_after_never_the_address_gets_nothing_more_ever(
    app: Flask,
    deps: Deps,
    client: FlaskClient,
    api: ApiClient,
    trio: Trio,
    smtp: SmtpServer,
    clock: FrozenClock,
) -> None:
    worker = Worker.for_app(app, deps)
    tia, ann = address(api, trio.target), address(api, trio.requester)
    intro = api.request(trio).json["id"]
    assert api.act(intro, "consent", trio.introducer).status_code == 200
    worker.cycle()
    [invite] = smtp.inbox.to(tia)
    never = NEVER.search(text_of(invite))
    assert never is not None and NEVER.search(html_of(invite)) is not None
    press_never(client, never.group(0))

    # Another requester, another introducer, another workspace with the same address.
    cara = api.member("Cara")
    api.trust(cara, trio.introducer, 5)
    refused = api.request(Trio(cara, trio.introducer, trio.target))
    assert refused.status_code == 422 and refused.json["code"] == "target_not_reachable"
    other = ApiClient.for_new_workspace(client, deps, "Other")
    theirs = make_trio(other)
    same = other.patch(f"/v1/members/{theirs.target}", {"contact": {"email": tia.upper()}})
    assert same.status_code == 200, same.json
    refused = other.request(theirs)
    assert refused.status_code == 422 and refused.json["code"] == "target_not_reachable"

    def neutral_notes() -> int:
        return len([m for m in smtp.inbox.to(ann) if "won't go ahead" in text_of(m)])

    for day in range(1, 21):
        clock.advance(timedelta(days=1))
        send_due_reminders(deps)
        expire_overdue(deps)
        worker.cycle()
        # Held until the opt-in deadline (14 days after consent), like an expiry.
        assert neutral_notes() == (1 if day >= 14 else 0), day
    assert smtp.inbox.to(tia) == [invite]
