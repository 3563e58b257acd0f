"""Deadlines and reminders, moved by the frozen clock: one reminder at about
half-time of each waiting state, and expiry with a generic note at the deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.clock import FrozenClock
from service.deps import Deps
from tests.helpers import ApiClient, Trio
from tests.integration.flow import Worker, address, click, links, path_of
from tests.integration.smtp import SmtpServer, text_of

MINUTE = timedelta(minutes=1)


@pytest.fixture
def app_config(smtp_app_config: dict[str, Any]) -> dict[str, Any]:
    """This module's app sends through the loopback SMTP server."""
    return smtp_app_config


def subjects(smtp: SmtpServer, to: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.inbox.to(to)]


def test_the_introducer_is_reminded_once_at_half_time_and_the_reminder_links_work(
    app: Flask,
    deps: Deps,
    client: FlaskClient,
    api: ApiClient,
    trio: Trio,
    smtp: SmtpServer,
    clock: FrozenClock,
) -> None:
    worker = Worker.for_app(app, deps)
    ben = address(api, trio.introducer)
    intro = api.request(trio).json["id"]
    worker.cycle()
    clock.advance(timedelta(days=3))
    assert worker.cycle().reminded == 0
    clock.advance(timedelta(hours=12) + MINUTE)
    assert worker.cycle().reminded == 1
    clock.advance(timedelta(days=1))
    assert worker.cycle().reminded == 0

    assert [s.startswith("Reminder") for s in subjects(smtp, ben)] == [False, True]
    reminder = smtp.inbox.to(ben)[1]
    assert "closes on 12 January 2026" in text_of(reminder)
    assert click(client, links(text_of(reminder))[0], "yes").status_code == 200
    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"] == "opting_in"


def test_the_opt_in_reminder_goes_only_to_whoever_has_not_answered(
    app: Flask,
    deps: Deps,
    client: FlaskClient,
    api: ApiClient,
    trio: Trio,
    smtp: SmtpServer,
    clock: FrozenClock,
) -> None:
    worker = Worker.for_app(app, deps)
    ann, tia = address(api, trio.requester), address(api, trio.target)
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    api.act(intro, "opt-in", trio.target)
    clock.advance(timedelta(days=4))
    assert worker.cycle().reminded == 0  # no consent reminder once consented
    clock.advance(timedelta(days=3) + MINUTE)
    assert worker.cycle().reminded == 1

    assert not any(s.startswith("Reminder") for s in subjects(smtp, tia))
    reminder = smtp.inbox.to(ann)[-1]
    assert reminder["Subject"] == "Reminder: please confirm your introduction to Tia"
    assert "Tia" in text_of(reminder) and "opted in" not in text_of(reminder)
    page = click(client, links(text_of(reminder))[0], "yes")
    assert "You're connected" in page.get_data(as_text=True)


def test_an_unanswered_request_expires_at_its_deadline_with_a_generic_note(
    app: Flask,
    deps: Deps,
    client: FlaskClient,
    api: ApiClient,
    trio: Trio,
    smtp: SmtpServer,
    clock: FrozenClock,
) -> None:
    worker = Worker.for_app(app, deps)
    ann, ben = address(api, trio.requester), address(api, trio.introducer)
    intro = api.request(trio).json["id"]
    worker.cycle()
    ask = smtp.inbox.to(ben)[0]
    clock.advance(timedelta(days=7) - MINUTE)
    assert worker.cycle().expired == 0
    clock.advance(MINUTE)
    assert worker.cycle().expired == 1

    assert api.get(f"/v1/introductions/{intro}", member=trio.introducer).json["state"] == "expired"
    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"] == "not_made"
    (note,) = smtp.inbox.to(ann)
    assert "won't go ahead" in text_of(note) and "expire" not in text_of(note).lower()
    assert "is closed" in subjects(smtp, ben)[-1]
    stale = client.get(path_of(links(text_of(ask))[0]))
    assert stale.status_code == 409
    assert "closed, because nobody answered in time" in stale.get_data(as_text=True)


def test_an_opt_in_nobody_finishes_expires_and_both_hear_it_wont_go_ahead(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    worker = Worker.for_app(app, deps)
    ann, tia = address(api, trio.requester), address(api, trio.target)
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    clock.advance(timedelta(days=14))
    assert worker.cycle().expired == 1
    assert api.get(f"/v1/introductions/{intro}", member=trio.target).json["state"] == "not_made"
    assert "won't go ahead" in text_of(smtp.inbox.to(ann)[-1])
    assert "won't go ahead" in text_of(smtp.inbox.to(tia)[-1])


def test_a_requester_whose_decline_news_is_held_is_reminded_like_anyone_waiting(
    app: Flask, deps: Deps, api: ApiClient, trio: Trio, smtp: SmtpServer, clock: FrozenClock
) -> None:
    worker = Worker.for_app(app, deps)
    ann, tia = address(api, trio.requester), address(api, trio.target)
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    clock.advance(timedelta(days=1))
    api.act(intro, "decline", trio.target)
    clock.advance(timedelta(days=6) + MINUTE)
    assert worker.cycle().reminded == 1

    assert subjects(smtp, ann)[-1] == "Reminder: please confirm your introduction to Tia"
    assert not any(s.startswith("Reminder") for s in subjects(smtp, tia))
