"""Links that do not lock people out: a dead link's page offers a fresh one, sent
to the address on file, rate-limited, with the same answer whether or not it went."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.clock import FrozenClock
from service.deps import Deps
from service.models import OutboxMessage
from tests.api.intro_flows import outbox, requested
from tests.conftest import config_for
from tests.helpers import ApiClient, Trio

LINK = re.compile(r"https?://[^\s\"]+/l/([^\s\"<]+)")
ONE_DAY = {p: 1 for p in ("consent", "decline", "opt_in", "opt_out", "withdraw")}


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return config_for(database_url, tmp_path, LINK_MAX_AGE_DAYS=ONE_DAY)


@pytest.fixture(autouse=True)
def signing_follows_the_clock(clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    # itsdangerous reads the wall clock: make it read the test's clock instead.
    monkeypatch.setattr(
        "itsdangerous.timed.time", SimpleNamespace(time=lambda: clock.now().timestamp())
    )


def first_link(message: OutboxMessage) -> str:
    found = LINK.search(message.body_text)
    assert found is not None, message.body_text
    return found.group(1)


def csrf_of(html: str) -> str:
    found = re.search(
        r'action="/l/[^"]+/fresh">\s*<input type="hidden" name="csrf" value="(\w+)"', html
    )
    assert found is not None, html
    return found.group(1)


def ask_fresh(client: FlaskClient, token: str, csrf: str) -> str:
    response = client.post(f"/l/{token}/fresh", data={"csrf": csrf})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fresh_rows(deps: Deps, intro: str) -> list[OutboxMessage]:
    return [m for m in outbox(deps, intro) if m.template == "fresh_link"]


def test_an_expired_link_offers_a_fresh_one_that_works(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    [ask] = [m for m in outbox(deps, intro) if m.template == "ask_introducer"]
    token = first_link(ask)
    clock.advance(timedelta(days=2))
    page = client.get(f"/l/{token}")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "Email me a fresh link" in html
    answer = ask_fresh(client, token, csrf_of(html))
    assert "still waiting for you" in answer
    [fresh] = fresh_rows(deps, intro)
    assert fresh.to_member_id == trio.introducer and fresh.to_addr == ask.to_addr
    new_page = client.get(f"/l/{first_link(fresh)}")
    assert new_page.status_code == 200
    assert "Yes, introduce them" in new_page.get_data(as_text=True)


def test_fresh_links_are_rate_limited_and_the_answer_never_changes(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    [ask] = [m for m in outbox(deps, intro) if m.template == "ask_introducer"]
    token = first_link(ask)
    clock.advance(timedelta(days=2))
    csrf = csrf_of(client.get(f"/l/{token}").get_data(as_text=True))
    answers = {ask_fresh(client, token, csrf) for _ in range(5)}
    assert len(answers) == 1
    assert len(fresh_rows(deps, intro)) == 3
    clock.advance(timedelta(hours=25))
    ask_fresh(client, token, csrf)
    assert len(fresh_rows(deps, intro)) == 4


def test_nothing_is_sent_when_it_no_longer_waits_on_them_and_the_answer_is_the_same(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    [ask] = [m for m in outbox(deps, intro) if m.template == "ask_introducer"]
    token = first_link(ask)
    clock.advance(timedelta(days=2))
    csrf = csrf_of(client.get(f"/l/{token}").get_data(as_text=True))
    waiting_answer = ask_fresh(client, token, csrf)
    assert api.act(intro, "consent", trio.introducer).status_code == 200
    page = client.get(f"/l/{token}").get_data(as_text=True)
    assert "Email me a fresh link" not in page
    assert ask_fresh(client, token, csrf) == waiting_answer
    assert len(fresh_rows(deps, intro)) == 1


def test_the_targets_fresh_link_shares_nothing_and_carries_never(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    api.act(intro, "consent", trio.introducer)
    [invite] = [m for m in outbox(deps, intro) if m.template == "invite_target"]
    token = first_link(invite)
    clock.advance(timedelta(days=2))
    html = client.get(f"/l/{token}").get_data(as_text=True)
    ask_fresh(client, token, csrf_of(html))
    [fresh] = fresh_rows(deps, intro)
    assert fresh.to_member_id == trio.target
    assert "/n/" in fresh.body_text and "/n/" in fresh.body_html
    requester_email = api.get(f"/v1/members/{trio.requester}").json["contact"]["email"]
    assert requester_email not in fresh.body_text + fresh.body_html


def test_a_fresh_link_post_needs_the_pages_form(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    intro = requested(api, trio)
    [ask] = [m for m in outbox(deps, intro) if m.template == "ask_introducer"]
    assert client.post(f"/l/{first_link(ask)}/fresh", data={"csrf": "x"}).status_code == 403
    assert fresh_rows(deps, intro) == []


def test_a_tampered_token_gets_the_same_answer_and_nothing(
    client: FlaskClient, api: ApiClient, deps: Deps, trio: Trio
) -> None:
    from api.links import csrf_for

    with client.application.test_request_context():
        csrf = csrf_for("not-a-token")
    answer = ask_fresh(client, "not-a-token", csrf)
    assert "still waiting for you" in answer
