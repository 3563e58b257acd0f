"""The pages behind email links: GET shows, only the page's POST acts, and a
dead link (tampered, expired, replayed, superseded, for someone else) changes
nothing and says why."""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from api import create_app
from api.cli_worker import RedactingRequestHandler
from api.composition import ENGINE
from api.config import TestConfig
from api.links import LIMITER, LinkRateLimiter, csrf_for
from service.clock import FrozenClock
from service.deps import Deps
from service.models import AuditEvent, Introduction, OutboxMessage
from service.tokens import LinkClaims
from tests.conftest import config_for
from tests.helpers import ApiClient, Trio

LINK = re.compile(r"https://vouch\.test(/l/[A-Za-z0-9_.\-]+)")
FORM = re.compile(
    r'<form method="post" action="(/l/[^"]+)">\s*'
    r'<input type="hidden" name="csrf" value="([0-9a-f]+)">'
)


def link(deps: Deps, member: str, template: str, index: int = 0) -> str:
    """The path of the index-th link in the latest `template` email to `member`."""
    with deps.session_factory() as session:
        body = session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.to_member_id == member, OutboxMessage.template == template)
            .order_by(OutboxMessage.created_at.desc())
        ).first()
    assert body is not None, f"no {template} email"
    return str(LINK.findall(body)[index])


def outbox_count(deps: Deps) -> int:
    with deps.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def state_of(deps: Deps, intro_id: str) -> tuple[str, int]:
    with deps.session_factory() as session:
        intro = session.get(Introduction, intro_id)
        assert intro is not None
        return intro.state, intro.state_version


def press(client: FlaskClient, path: str, answer: str = "yes", **data: str) -> TestResponse:
    forms = FORM.findall(client.get(path).get_data(as_text=True))
    action, csrf = forms[0] if answer == "yes" else forms[1]
    return client.post(action, data={"csrf": csrf, **data})


def post(app: Flask, client: FlaskClient, path: str, **headers: str) -> TestResponse:
    with app.test_request_context():
        csrf = csrf_for(path.removeprefix("/l/"))
    return client.post(path, data={"csrf": csrf}, headers=headers)


@pytest.fixture
def intro(api: ApiClient, trio: Trio) -> str:
    return str(api.request(trio).json["id"])


def test_opening_a_link_any_number_of_times_changes_nothing(
    client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    before = (state_of(deps, intro), outbox_count(deps))
    for _ in range(5):
        page = client.get(path)
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert "Introduce Ann to Tia?" in page.get_data(as_text=True)
        assert client.head(path).status_code == 200
    assert (state_of(deps, intro), outbox_count(deps)) == before


def test_the_post_acts_once_and_a_replay_says_already_done_without_a_new_email(
    app: Flask, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    before = outbox_count(deps)
    done = press(client, path, "yes", note="You should meet")
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    assert state_of(deps, intro)[0] == "opting_in"
    assert outbox_count(deps) == before + 2
    with deps.session_factory() as session:
        consent = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "introduction.consent")
        ).one()
    assert (consent.channel, consent.actor) == ("link", f"member:{trio.introducer}")

    decline = link(deps, trio.introducer, "ask_introducer", 1)
    for replayed in (post(app, client, path), post(app, client, decline)):
        assert replayed.status_code == 409
        assert "You have already answered" in replayed.get_data(as_text=True)
    assert outbox_count(deps) == before + 2
    assert state_of(deps, intro)[0] == "opting_in"


def test_link_pages_send_no_referrer_and_are_never_cached(
    app: Flask, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    responses = [client.get(path), client.get("/l/nonsense"), post(app, client, path)]
    responses.append(post(app, client, path))
    for response in responses:
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == "text/html"


def test_a_tampered_token_gets_a_friendly_page_and_changes_nothing(
    app: Flask, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    middle = len(path) // 2
    tampered = path[:middle] + ("A" if path[middle] != "A" else "B") + path[middle + 1 :]
    before = (state_of(deps, intro), outbox_count(deps))
    for response in (
        client.get(tampered),
        post(app, client, tampered),
        client.get("/l/" + "x" * 600),
    ):
        assert response.status_code == 404
        assert "This link doesn't work" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
    assert (state_of(deps, intro), outbox_count(deps)) == before


def test_an_expired_token_shows_the_current_state_and_changes_nothing(
    app: Flask,
    client: FlaskClient,
    deps: Deps,
    trio: Trio,
    intro: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    later = time.time() + timedelta(days=7, minutes=1).total_seconds()
    # itsdangerous reads the wall clock: move it past the consent link's max age.
    monkeypatch.setattr("itsdangerous.timed.time", SimpleNamespace(time=lambda: later))
    before = (state_of(deps, intro), outbox_count(deps))
    for response in (client.get(path), post(app, client, path)):
        assert response.status_code == 410
        text = response.get_data(as_text=True)
        assert "This link has expired" in text and "waiting for Ben to decide" in text
    assert (state_of(deps, intro), outbox_count(deps)) == before


def test_a_token_for_another_party_or_signed_for_another_use_changes_nothing(
    app: Flask, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    version = state_of(deps, intro)[1]
    forged = [
        deps.signer.sign(LinkClaims("consent", intro, trio.target, version)),
        deps.signer.sign(LinkClaims("consent", intro, trio.requester, version)),
        deps.signer.sign(LinkClaims("opt_in", intro, trio.introducer, version)),
        deps.signer.sign(LinkClaims("withdraw", intro, trio.target, version)),
        URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="vouch.other.v1").dumps(
            [intro, trio.introducer, version]
        ),
    ]
    before = (state_of(deps, intro), outbox_count(deps))
    for token in forged:
        for response in (client.get(f"/l/{token}"), post(app, client, f"/l/{token}")):
            assert response.status_code == 404
    assert (state_of(deps, intro), outbox_count(deps)) == before


def test_a_decline_link_declines_and_never_consents(
    client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    decline = link(deps, trio.introducer, "ask_introducer", 1)
    page = client.get(decline).get_data(as_text=True)
    (no_action, _) = FORM.findall(page)[1]
    assert no_action == decline  # the page's "no" is the email's own link
    assert press(client, decline, "no").status_code == 200
    assert state_of(deps, intro)[0] == "declined"


def test_a_superseded_link_shows_what_happened_and_changes_nothing(
    app: Flask, api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    assert api.act(intro, "withdraw", trio.requester).status_code == 200
    before = (state_of(deps, intro), outbox_count(deps))
    for response in (client.get(path), post(app, client, path)):
        assert response.status_code == 409
        text = response.get_data(as_text=True)
        assert "no longer current" in text and "withdrawn" in text
        assert 'method="post"' not in text
    assert (state_of(deps, intro), outbox_count(deps)) == before


def test_the_requester_link_reveals_a_decline_only_as_not_made_and_not_before_its_time(
    api: ApiClient,
    client: FlaskClient,
    deps: Deps,
    trio: Trio,
    intro: str,
    clock: FrozenClock,
) -> None:
    api.act(intro, "consent", trio.introducer)
    path = link(deps, trio.requester, "confirm_requester")
    api.act(intro, "decline", trio.target, {"note": "Not now, sorry"})
    held = client.get(path)
    assert held.status_code == 200 and len(FORM.findall(held.get_data(as_text=True))) == 2
    answered = press(client, path)
    assert answered.status_code == 200
    assert "declined" not in answered.get_data(as_text=True)
    assert state_of(deps, intro)[0] == "declined"

    clock.advance(timedelta(days=15))
    text = client.get(path).get_data(as_text=True)
    assert "not going ahead" in text
    assert "declined" not in text and "Not now" not in text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["no-form-token", "foreign-origin", "cross-site-fetch"],
)
def test_a_post_without_the_form_token_or_from_another_site_is_refused(
    app: Flask,
    client: FlaskClient,
    deps: Deps,
    trio: Trio,
    intro: str,
    headers: dict[str, str],
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    before = (state_of(deps, intro), outbox_count(deps))
    if headers:
        refused = post(app, client, path, **headers)
    else:
        refused = client.post(path, data={"csrf": "0" * 64})
    assert refused.status_code == 403
    assert "did not come from us" in refused.get_data(as_text=True)
    assert (state_of(deps, intro), outbox_count(deps)) == before
    accepted = post(
        app, client, path, Origin="https://vouch.test", **{"Sec-Fetch-Site": "same-origin"}
    )
    assert accepted.status_code == 200


def test_links_come_from_the_base_url_whatever_the_host_header_says(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    evil = {"Host": "evil.example"}
    body = {"introducer_id": trio.introducer, "target_id": trio.target, "reason": "r", "blurb": "b"}
    intro = api.post("/v1/introductions", body, member=trio.requester, **evil).json["id"]
    path = link(deps, trio.introducer, "ask_introducer")
    page = client.get(path, headers=evil)
    assert "evil.example" not in page.get_data(as_text=True)
    forms = FORM.findall(page.get_data(as_text=True))
    client.post(forms[0][0], data={"csrf": forms[0][1]}, headers=evil)
    assert state_of(deps, intro)[0] == "opting_in"
    with deps.session_factory() as session:
        bodies = session.scalars(select(OutboxMessage.body_text)).all()
    urls = [u for b in bodies for u in re.findall(r"https?://[^\s]+", b)]
    assert len(urls) >= 6 and all(u.startswith("https://vouch.test/") for u in urls)


def test_the_target_page_says_what_is_shared_offers_no_as_plainly_and_shows_no_contacts(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    api.act(intro, "consent", trio.introducer, {"note": "Ann is great"})
    page = client.get(link(deps, trio.target, "invite_target")).get_data(as_text=True)
    assert "your email address, your phone number, your links" in page
    assert "Ann is great" in page
    assert len(FORM.findall(page)) == 2 and "No, thanks" in page
    ann = api.get(f"/v1/members/{trio.requester}").json["contact"]
    assert ann["email"] not in page and ann["phone"] not in page
    assert "I am hiring" not in page  # the reason is for the introducer


def test_the_connecting_click_shows_no_contact_details_on_the_page(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    api.act(intro, "consent", trio.introducer)
    api.act(intro, "opt-in", trio.target)
    done = press(client, link(deps, trio.requester, "confirm_requester"))
    text = done.get_data(as_text=True)
    assert "You're connected" in text
    tia = api.get(f"/v1/members/{trio.target}").json["contact"]
    assert tia["email"] not in text and tia["phone"] not in text


def test_a_note_that_is_too_long_is_refused_and_the_page_shown_again(
    client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    response = press(client, link(deps, trio.introducer, "ask_introducer"), note="x" * 2001)
    assert response.status_code == 422
    assert "under 2000 characters" in response.get_data(as_text=True)
    assert state_of(deps, intro)[0] == "requested"


def test_link_pages_are_rate_limited_per_client_address(
    app: Flask, client: FlaskClient, deps: Deps, trio: Trio, intro: str
) -> None:
    app.extensions[LIMITER] = LinkRateLimiter(3, 60)
    path = link(deps, trio.introducer, "ask_introducer")
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(path)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["Cache-Control"] == "no-store"
    other = client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_the_dev_server_request_log_never_carries_a_token(
    app: Flask, deps: Deps, trio: Trio, intro: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    server = make_server("127.0.0.1", 0, app, request_handler=RedactingRequestHandler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        with caplog.at_level(logging.DEBUG):
            for url in (path, path + "?utm=1", "/l/tampered.token.value"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.port}{url}").read()  # noqa: S310 - loopback
                except urllib.error.HTTPError as error:
                    assert error.code == 404
    finally:
        server.shutdown()
        thread.join()
    token = path.removeprefix("/l/")
    assert "GET /l/[token] HTTP/1.1" in caplog.text
    assert token not in caplog.text and "tampered.token" not in caplog.text


def test_link_pages_are_not_part_of_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]
    assert not any(p.startswith(("/l/", "/dev/")) for p in paths)


def test_links_survive_a_key_rotation_while_the_old_key_is_a_fallback(
    database_url: str, tmp_path: Path, clock: FrozenClock, deps: Deps, trio: Trio, intro: str
) -> None:
    path = link(deps, trio.introducer, "ask_introducer")
    rotated = {"SECRET_KEY": "the-new-key", "SECRET_KEY_FALLBACKS": [TestConfig.SECRET_KEY]}
    dropped = {"SECRET_KEY": "the-new-key", "SECRET_KEY_FALLBACKS": []}
    for extra, status in ((rotated, 200), (dropped, 404)):
        other = create_app(config_for(database_url, tmp_path, **extra), clock=clock)
        try:
            assert other.test_client().get(path).status_code == status
        finally:
            other.extensions[ENGINE].dispose()
