"""The whole double opt-in, by email: a real SMTP server, links clicked from the
emails it received (GET the page, then POST its button)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.clock import FrozenClock
from service.deps import Deps
from service.models import OutboxMessage
from tests.helpers import ApiClient, Trio
from tests.integration.flow import Worker, address, click, links
from tests.integration.smtp import SmtpServer, html_of, text_of


@pytest.fixture
def app_config(smtp_app_config: dict[str, Any]) -> dict[str, Any]:
    """This module's app sends through the loopback SMTP server."""
    return smtp_app_config


def contact_strings(api: ApiClient, member_id: str) -> list[str]:
    contact = api.get(f"/v1/members/{member_id}").json["contact"]
    return [contact["email"], *([contact["phone"]] if contact["phone"] else []), *contact["links"]]


def only(messages: list[EmailMessage]) -> EmailMessage:
    assert len(messages) == 1, [m["Subject"] for m in messages]
    return messages[0]


def test_request_to_contact_email_runs_on_links_from_real_emails(
    app: Flask, deps: Deps, client: FlaskClient, api: ApiClient, trio: Trio, smtp: SmtpServer
) -> None:
    worker = Worker.for_app(app, deps)
    ann, ben, tia = (address(api, m) for m in (trio.requester, trio.introducer, trio.target))
    intro = api.request(trio).json["id"]
    worker.cycle()

    ask = only(smtp.inbox.to(ben))
    assert "Ann would like an introduction to Tia" in ask["Subject"]
    done = click(client, links(text_of(ask))[0], "yes", note="You two should talk.")
    assert done.status_code == 200
    assert "Thank you" in done.get_data(as_text=True)
    worker.cycle()

    invite = only(smtp.inbox.to(tia))
    assert "You two should talk." in text_of(invite)
    assert click(client, links(text_of(invite))[0], "yes").status_code == 200
    confirm = only(smtp.inbox.to(ann))
    final = click(client, links(text_of(confirm))[0], "yes")
    assert "You're connected" in final.get_data(as_text=True)
    worker.cycle()

    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"] == "connected"
    to_ann = [m for m in smtp.inbox.to(ann) if "connected" in m["Subject"]]
    to_tia = [m for m in smtp.inbox.to(tia) if "connected" in m["Subject"]]
    for tia_detail in contact_strings(api, trio.target):
        assert tia_detail in text_of(only(to_ann)) and tia_detail in html_of(only(to_ann))
    for ann_detail in contact_strings(api, trio.requester):
        assert ann_detail in text_of(only(to_tia))
    assert "Ann and Tia are connected" in smtp.inbox.to(ben)[-1]["Subject"]


def test_contact_details_are_only_in_the_two_parties_connected_emails(
    app: Flask, deps: Deps, client: FlaskClient, api: ApiClient, trio: Trio, smtp: SmtpServer
) -> None:
    worker = Worker.for_app(app, deps)
    ann, tia = address(api, trio.requester), address(api, trio.target)
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer, {"note": "Good people"})
    api.act(intro, "opt-in", trio.target)
    worker.cycle()
    before = list(smtp.inbox.messages)
    api.act(intro, "opt-in", trio.requester)
    worker.cycle()

    secrets = {m: contact_strings(api, m) for m in trio.all.values()}
    allowed = {(ann, trio.target), (tia, trio.requester)}  # (recipient, whose details)
    carrying = set()
    for message in smtp.inbox.messages:
        body = text_of(message) + html_of(message)
        for owner, details in secrets.items():
            if any(d in body for d in details):
                assert message not in before, "contact details before connected"
                assert (message["To"], owner) in allowed, (message["To"], message["Subject"])
                carrying.add((message["To"], owner))
    assert carrying == allowed


def test_a_decline_by_link_tells_the_requester_nothing_and_shares_nothing(
    app: Flask,
    deps: Deps,
    client: FlaskClient,
    api: ApiClient,
    trio: Trio,
    smtp: SmtpServer,
    clock: FrozenClock,
) -> None:
    worker = Worker.for_app(app, deps)
    ann, ben, tia = (address(api, m) for m in (trio.requester, trio.introducer, trio.target))
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    worker.cycle()
    invite = only(smtp.inbox.to(tia))
    page = click(client, links(text_of(invite))[1], "no", note="Too busy this quarter")
    assert "Nothing was shared" in page.get_data(as_text=True)
    worker.cycle()
    # The neutral outcome is held until the opt-in deadline (service.neutral).
    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"] == "opting_in"
    assert [m["Subject"] for m in smtp.inbox.to(ann)][-1].startswith("Ben agreed")
    clock.advance(timedelta(days=14))
    worker.cycle()

    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"] == "not_made"
    note_for_ann = smtp.inbox.to(ann)[-1]
    assert "won't go ahead" in text_of(note_for_ann)
    everything_ann_got = "".join(text_of(m) + html_of(m) for m in smtp.inbox.to(ann))
    assert "Too busy" not in everything_ann_got and "Tia" not in note_for_ann["Subject"]
    assert "Too busy this quarter" in text_of(smtp.inbox.to(ben)[-1])
    secrets = [s for m in trio.all.values() for s in contact_strings(api, m)]
    for message in smtp.inbox.messages:
        body = text_of(message) + html_of(message)
        assert not any(s in body for s in secrets), message["Subject"]


def test_every_email_has_text_and_html_and_the_outbox_rows_message_id(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer
) -> None:
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    Worker.for_app(app, deps).cycle()

    with deps.session_factory() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        expected = {f"<outbox-{r.id}@vouch.test>" for r in rows}
        assert all(r.status == "sent" and r.delivered_via == "smtp" for r in rows)
    assert set(smtp.inbox.message_ids()) == expected
    for message in smtp.inbox.messages:
        assert message["From"] == "Vouch <no-reply@vouch.test>"
        assert text_of(message).strip() and "<html" in html_of(message)
