"""The admin page through the Flask test client: sign-in, every page, every form.

Runs on SQLite and PostgreSQL (the `database_url` fixture). Setup that the
worker would do (an email failing) is written straight to the outbox row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, update
from werkzeug.test import TestResponse

from api.cli import main as vouch_cli
from service.clock import FrozenClock
from service.deps import Deps
from service.models import ApiKey, AuditEvent, Member, OutboxMessage, Workspace
from service.use_cases.admin_users import MAX_FAILURES_PER_USERNAME, create_admin
from tests.helpers import ApiClient, Trio

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Admin:
    client: FlaskClient
    username: str = "alice"

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, **kw)

    def csrf(self, path: str = "/admin/") -> str:
        page = self.client.get(path)
        found = CSRF.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> TestResponse:
        """POST a form the way the browser does: with the session's CSRF token."""
        body = {"csrf_token": self.csrf(), **(data or {})}
        return self.client.post(path, data=body, **kw)


def sign_in(client: FlaskClient, username: str, password: str, **kw: Any) -> TestResponse:
    page = client.get("/admin/sign-in")
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    form = {"csrf_token": token.group(1), "username": username, "password": password}
    return client.post("/admin/sign-in", data=form, **kw)


@pytest.fixture
def admin(client: FlaskClient, deps: Deps) -> Admin:
    create_admin(deps, "alice", PASSWORD)
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return Admin(client)


@dataclass
class World:
    api: ApiClient
    trio: Trio
    intro_id: str
    failed_id: str
    emails: list[str]


@pytest.fixture
def world(api: ApiClient, trio: Trio, deps: Deps) -> World:
    """One requested introduction whose email to the introducer failed."""
    response = api.request(trio)
    assert response.status_code == 201, response.json
    intro_id = response.json["id"]  # type: ignore[index]
    with deps.uow() as uow:
        failed_id = uow.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.introduction_id == intro_id)
        ).first()
        assert failed_id is not None
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == failed_id)
            .values(
                status="failed",
                attempts=12,
                last_error="550 5.1.1 mailbox unavailable <ben.smith@example.com>",
            )
        )
        emails = list(uow.session.scalars(select(Member.contact_email)).all())
        uow.commit()
    return World(api, trio, intro_id, failed_id, emails)


def outbox_status(deps: Deps, message_id: str) -> OutboxMessage:
    with deps.uow() as uow:
        row = uow.session.get(OutboxMessage, message_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def audit_events(deps: Deps, action: str) -> list[AuditEvent]:
    with deps.uow() as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        for row in rows:
            uow.session.expunge(row)
        return list(rows)


def pages(world: World) -> list[str]:
    t = world.trio
    return [
        "/admin/",
        f"/admin/?workspace={world.api.workspace_id}",
        "/admin/introductions",
        f"/admin/introductions?state=requested&workspace={world.api.workspace_id}"
        f"&member={t.requester}&from=2026-01-01&to=2026-01-31",
        f"/admin/introductions/{world.intro_id}",
        "/admin/members",
        "/admin/members?q=ann",
        f"/admin/members/{t.target}",
        "/admin/outbox",
        "/admin/outbox?status=queued&kind=email",
        "/admin/outbox?kind=webhook&status=delivered",
        "/admin/workspaces",
        f"/admin/workspaces/{world.api.workspace_id}",
    ]


# --- signing in -----------------------------------------------------------------


def test_every_page_redirects_to_sign_in_without_a_session(
    world: World, client: FlaskClient
) -> None:
    for path in pages(world):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/admin/sign-in?next="), path


def test_every_page_renders_after_sign_in(world: World, admin: Admin) -> None:
    for path in pages(world):
        response = admin.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert '<meta name="viewport"' in html
        assert "<script" not in html, path
        assert "script-src" not in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_no_page_shows_a_contact_detail_before_reveal(world: World, admin: Admin) -> None:
    for path in [*pages(world), "/admin/outbox?status=failed"]:
        html = admin.get(path).get_data(as_text=True)
        # Even an SMTP error quoting the address shows it masked.
        assert "ben.smith@example.com" not in html, path
        for email in world.emails:
            assert email not in html, (path, email)
        assert "7946 0000" not in html and "tia.example.com" not in html


def test_wrong_password_is_refused_without_saying_which_part(
    client: FlaskClient, deps: Deps
) -> None:
    create_admin(deps, "alice", PASSWORD)
    for username, password in [("alice", "wrong password here"), ("nobody", PASSWORD)]:
        response = sign_in(client, username, password)
        assert response.status_code == 401
        assert "Unknown username or wrong password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    client: FlaskClient, deps: Deps
) -> None:
    create_admin(deps, "alice", PASSWORD)
    page = client.get("/admin/sign-in?next=/admin/outbox")
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    form = {"csrf_token": token.group(1), "username": "alice", "password": PASSWORD}
    assert (
        client.post("/admin/sign-in?next=/admin/outbox", data=form).headers["Location"]
        == "/admin/outbox"
    )
    client.post("/admin/sign-out", data={"csrf_token": Admin(client).csrf()})
    for evil in ["https://evil.example/admin", "//evil.example/admin", "/admin//evil.example"]:
        response = sign_in(client, "alice", PASSWORD, query_string={"next": evil})
        assert response.headers["Location"] == "/admin/", evil
        client.post("/admin/sign-out", data={"csrf_token": Admin(client).csrf()})


def test_sign_out_ends_the_session_and_is_audited(admin: Admin, deps: Deps) -> None:
    assert admin.post("/admin/sign-out").status_code == 302
    assert admin.get("/admin/").status_code == 302
    (event,) = audit_events(deps, "admin.signed_out")
    assert (event.actor, event.channel) == ("admin:alice", "admin")


def test_a_deleted_admin_is_signed_out_at_once(admin: Admin, deps: Deps) -> None:
    from service.models import AdminUser

    with deps.uow() as uow:
        uow.session.execute(delete(AdminUser))
        uow.commit()
    assert admin.get("/admin/").status_code == 302


def test_sign_in_is_throttled_per_username_and_waiting_helps(
    client: FlaskClient, deps: Deps, clock: FrozenClock
) -> None:
    create_admin(deps, "alice", PASSWORD)
    for _ in range(MAX_FAILURES_PER_USERNAME):
        assert sign_in(client, "alice", "wrong password!!").status_code == 401
    # Now even the right password is refused for a while: guessing gets no answer.
    refused = sign_in(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in refused.get_data(as_text=True)
    clock.advance(timedelta(minutes=16))
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_sign_in_is_throttled_per_address_across_usernames(client: FlaskClient, deps: Deps) -> None:
    create_admin(deps, "alice", PASSWORD)
    for i in range(20):
        sign_in(client, f"guess{i}", "wrong password!!", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    from_there = sign_in(client, "alice", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert from_there.status_code == 429
    elsewhere = sign_in(client, "alice", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert elsewhere.status_code == 302


def _cookie_attributes(response: TestResponse) -> dict[str, str | bool]:
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    attributes: dict[str, str | bool] = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value or True
    return attributes


def test_session_cookie_is_httponly_samesite_lax_and_secure_on_https(
    client: FlaskClient, deps: Deps
) -> None:
    create_admin(deps, "alice", PASSWORD)
    # TestConfig's BASE_URL is https, so the cookie is Secure.
    flags = _cookie_attributes(sign_in(client, "alice", PASSWORD))
    assert flags["httponly"] is True
    assert flags["samesite"] == "Lax"
    assert flags["secure"] is True


def test_session_cookie_is_secure_whenever_the_request_came_over_https(
    tmp_path: Any, database_url: str, clock: FrozenClock
) -> None:
    from api import create_app
    from api.composition import ENGINE, EXTENSION
    from tests.conftest import config_for

    app: Flask = create_app(
        config_for(database_url, tmp_path, BASE_URL="http://127.0.0.1:5000"), clock=clock
    )
    try:
        create_admin(app.extensions[EXTENSION], "alice", PASSWORD)
        plain = _cookie_attributes(sign_in(app.test_client(), "alice", PASSWORD))
        assert "secure" not in plain
        https = app.test_client()
        page = https.get("/admin/sign-in", base_url="https://localhost")
        token = CSRF.search(page.get_data(as_text=True))
        assert token
        form = {"csrf_token": token.group(1), "username": "alice", "password": PASSWORD}
        response = https.post("/admin/sign-in", data=form, base_url="https://localhost")
        assert _cookie_attributes(response)["secure"] is True
    finally:
        app.extensions[ENGINE].dispose()


# --- CSRF -----------------------------------------------------------------------


def forms(world: World, deps: Deps) -> list[tuple[str, dict[str, str]]]:
    with deps.uow() as uow:
        key_id = uow.session.scalars(select(ApiKey.id)).first()
    ws = world.api.workspace_id
    return [
        (f"/admin/members/{world.trio.target}/reveal", {}),
        (f"/admin/outbox/{world.failed_id}/retry", {}),
        (f"/admin/outbox/{world.failed_id}/discard", {}),
        ("/admin/workspaces", {"name": "Sneaky"}),
        (f"/admin/workspaces/{ws}/keys", {"label": "sneaky"}),
        (f"/admin/workspaces/{ws}/keys/{key_id}/revoke", {}),
        ("/admin/sign-out", {}),
        ("/admin/sign-in", {"username": "alice", "password": PASSWORD}),
    ]


def _state(deps: Deps) -> tuple[Any, ...]:
    with deps.uow() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count()).select_from(AuditEvent)),
            tuple(s.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()),
            s.scalar(select(func.count()).select_from(Workspace)),
            tuple(s.execute(select(ApiKey.id, ApiKey.revoked_at).order_by(ApiKey.id)).all()),
        )


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    world: World, admin: Admin, deps: Deps, token: str | None
) -> None:
    before = _state(deps)
    for path, data in forms(world, deps):
        body = dict(data) if token is None else {**data, "csrf_token": token}
        response = admin.client.post(path, data=body)
        assert response.status_code == 400, path
        assert response.mimetype == "text/html"
        assert "security token is missing or out of date" in response.get_data(as_text=True)
    assert _state(deps) == before
    assert admin.get("/admin/").status_code == 200  # still signed in: sign-out was refused


def test_a_token_from_another_session_is_refused(world: World, admin: Admin, app: Flask) -> None:
    other = app.test_client()
    stolen = Admin(other).csrf("/admin/sign-in")
    response = admin.client.post(f"/admin/outbox/{world.failed_id}/retry",
                                 data={"csrf_token": stolen})  # fmt: skip
    assert response.status_code == 400


# --- members and the reveal -----------------------------------------------------


def test_contact_is_masked_until_revealed_and_the_reveal_is_audited(
    world: World, admin: Admin, deps: Deps
) -> None:
    tia = world.trio.target
    email = next(e for e in world.emails if e.startswith("tia"))
    page = admin.get(f"/admin/members/{tia}").get_data(as_text=True)
    assert email not in page and "555 0100" not in page
    assert f"t***@{email.split('@')[1]}" in page
    assert "***00" in page
    assert audit_events(deps, "contact.revealed") == []

    revealed = admin.post(f"/admin/members/{tia}/reveal")
    html = revealed.get_data(as_text=True)
    assert revealed.status_code == 200
    assert email in html and "+1 555 0100" in html and "https://tia.example.com" in html
    (event,) = audit_events(deps, "contact.revealed")
    assert event.subject_member_id == tia
    assert (event.actor, event.channel) == ("admin:alice", "admin")
    assert event.workspace_id == world.api.workspace_id
    # The next render is masked again.
    assert email not in admin.get(f"/admin/members/{tia}").get_data(as_text=True)


def test_member_search_finds_by_name_email_and_external_ref(world: World, admin: Admin) -> None:
    tia_email = next(e for e in world.emails if e.startswith("tia"))
    ref = tia_email.split("@")[0]
    for q in ["TIA", tia_email, ref, world.trio.target]:
        html = admin.get("/admin/members", query_string={"q": q}).get_data(as_text=True)
        assert f"/admin/members/{world.trio.target}" in html, q
        assert f"/admin/members/{world.trio.requester}" not in html, q
    html = admin.get("/admin/members", query_string={"q": "100%_"}).get_data(as_text=True)
    assert "No members match" in html


def test_member_page_shows_relationships_reputation_and_introductions(
    world: World, admin: Admin
) -> None:
    html = admin.get(f"/admin/members/{world.trio.introducer}").get_data(as_text=True)
    assert "Trusts" in html and "Trusted by" in html
    assert f"/admin/members/{world.trio.target}" in html  # Ben trusts Tia
    assert f"/admin/members/{world.trio.requester}" in html  # Ann trusts Ben
    assert "Reputation" in html and "0.50" in html
    assert f"/admin/introductions/{world.intro_id}" in html


def test_unknown_member_or_introduction_is_a_404_page(admin: Admin) -> None:
    for path in ["/admin/members/mem_nope", "/admin/introductions/int_nope",
                 "/admin/workspaces/ws_nope"]:  # fmt: skip
        response = admin.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"


def test_reveal_of_an_unknown_member_is_a_404_and_not_audited(admin: Admin, deps: Deps) -> None:
    assert admin.post("/admin/members/mem_nope/reveal").status_code == 404
    assert audit_events(deps, "contact.revealed") == []


# --- introductions ----------------------------------------------------------------


def test_introduction_page_shows_why_it_waits_its_timeline_and_emails(
    world: World, admin: Admin
) -> None:
    html = admin.get(f"/admin/introductions/{world.intro_id}").get_data(as_text=True)
    assert "Waiting for" in html and "(introducer) to consent or decline" in html
    assert "introduction.requested" in html
    assert "550 5.1.1 mailbox unavailable" in html
    assert f"/admin/outbox/{world.failed_id}/retry" in html
    assert "I am hiring a data engineer" in html


def test_introduction_filters_narrow_the_list(world: World, admin: Admin, deps: Deps) -> None:
    link = f"/admin/introductions/{world.intro_id}"
    cases = {
        "state=requested": True,
        "state=connected": False,
        f"member={world.trio.target}": True,
        "member=mem_other": False,
        f"workspace={world.api.workspace_id}": True,
        "workspace=ws_other": False,
        "from=2026-01-05&to=2026-01-05": True,  # the frozen clock's day, inclusive
        "from=2026-01-06": False,
        "to=2026-01-04": False,
    }
    for query, shown in cases.items():
        html = admin.get(f"/admin/introductions?{query}").get_data(as_text=True)
        assert (link in html) is shown, query


def test_introduction_list_pages_with_a_cursor(api: ApiClient, admin: Admin) -> None:
    ids = []
    for i in range(22):
        a, b, c = api.member(f"R{i}"), api.member(f"I{i}"), api.member(f"T{i}")
        api.trust(a, b, 3)
        api.trust(b, c, 3)
        response = api.request(Trio(a, b, c))
        assert response.status_code == 201
        ids.append(response.json["id"])  # type: ignore[index]
    first = admin.get("/admin/introductions").get_data(as_text=True)
    cursor = re.search(r'href="/admin/introductions\?cursor=([^"&]+)"', first)
    assert cursor, "no link to the next page"
    second = admin.get(f"/admin/introductions?cursor={cursor.group(1)}").get_data(as_text=True)
    on_first = {i for i in ids if f"/admin/introductions/{i}" in first}
    on_second = {i for i in ids if f"/admin/introductions/{i}" in second}
    assert len(on_first) == 20 and len(on_second) == 2
    assert on_first | on_second == set(ids)


@pytest.mark.parametrize(
    "query, message",
    [
        ("state=lost", "The state filter must be one of"),
        ("from=31-01-2026", "The from date must look like 2026-01-31"),
        ("from=2026-02-01&to=2026-01-01", "before the"),
        ("cursor=not-a-cursor", "The cursor is not one this API issued."),
        ("member=" + "x" * 65, "The member filter must be an id"),
    ],
)
def test_bad_filters_get_a_clear_400_page(admin: Admin, query: str, message: str) -> None:
    response = admin.get(f"/admin/introductions?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_bad_outbox_filter_gets_a_400_page(admin: Admin) -> None:
    assert admin.get("/admin/outbox?status=lost").status_code == 400
    assert admin.get("/admin/outbox?kind=pigeon").status_code == 400
    assert admin.get("/admin/members?cursor=%%%").status_code == 400


# --- dashboard --------------------------------------------------------------------


def test_dashboard_counts_the_funnel_and_outbox_health(world: World, admin: Admin) -> None:
    html = admin.get("/admin/").get_data(as_text=True)
    assert '<svg class="chart funnel"' in html and '<svg class="chart per-day"' in html
    assert "Funnel: Requested 1, Consented 0, Connected 0" in html
    assert "2026-01-05: 1" in html  # the request, on the frozen clock's day
    assert re.search(r'status=failed"[^>]*>1</a>', html)
    assert "Median time to consent" in html


# --- outbox -----------------------------------------------------------------------


def test_failed_email_is_listed_with_its_error_and_retry_queues_it_now(
    world: World, admin: Admin, deps: Deps, clock: FrozenClock
) -> None:
    clock.advance(timedelta(hours=3))
    listing = admin.get("/admin/outbox").get_data(as_text=True)
    assert "550 5.1.1 mailbox unavailable &lt;b***@example.com&gt;" in listing
    response = admin.post(f"/admin/outbox/{world.failed_id}/retry")
    assert response.status_code == 302
    row = outbox_status(deps, world.failed_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 0, clock.now())
    (event,) = audit_events(deps, "outbox.retried")
    assert (event.actor, event.channel, event.introduction_id) == (
        "admin:alice", "admin", world.intro_id,
    )  # fmt: skip
    assert event.detail["attempts"] == 12
    # Retrying again is a conflict: the message is not failed any more.
    again = admin.post(f"/admin/outbox/{world.failed_id}/retry")
    assert again.status_code == 409
    assert "Only a failed message" in again.get_data(as_text=True)


def test_discard_cancels_a_failed_email(world: World, admin: Admin, deps: Deps) -> None:
    response = admin.post(f"/admin/outbox/{world.failed_id}/discard",
                          data={"back": f"/admin/introductions/{world.intro_id}"})  # fmt: skip
    assert response.headers["Location"] == f"/admin/introductions/{world.intro_id}"
    assert outbox_status(deps, world.failed_id).status == "cancelled"
    assert len(audit_events(deps, "outbox.discarded")) == 1
    assert "discarded" in admin.get("/admin/outbox").get_data(as_text=True)


def test_retry_of_an_unknown_message_is_a_404(admin: Admin) -> None:
    assert admin.post("/admin/outbox/out_nope/retry").status_code == 404


# --- workspaces and keys ----------------------------------------------------------


def test_create_workspace_then_a_key_shown_once_which_works_until_revoked(
    admin: Admin, client: FlaskClient, deps: Deps
) -> None:
    created = admin.post("/admin/workspaces", {"name": "Alumni Hub"})
    assert created.status_code == 302
    ws_path = created.headers["Location"]
    ws_id = ws_path.rsplit("/", 1)[1]
    page = admin.post(f"{ws_path}/keys", {"label": "production"})
    html = page.get_data(as_text=True)
    key = re.search(r'id="new-key">(vouch_[^<]+)<', html)
    assert key, "the new key is shown"
    assert key.group(1) not in admin.get(ws_path).get_data(as_text=True)

    bearer = {"Authorization": f"Bearer {key.group(1)}"}
    assert client.get("/v1/members", headers=bearer).status_code == 200
    with deps.uow() as uow:
        key_id = uow.session.scalars(select(ApiKey.id).where(ApiKey.workspace_id == ws_id)).one()
    revoked = admin.post(f"{ws_path}/keys/{key_id}/revoke")
    assert revoked.status_code == 302
    assert client.get("/v1/members", headers=bearer).status_code == 401
    assert "revoked" in admin.get(ws_path).get_data(as_text=True)
    for action in ("workspace.created", "api_key.created", "api_key.revoked"):
        (event,) = audit_events(deps, action)
        assert (event.actor, event.channel, event.workspace_id) == ("admin:alice", "admin", ws_id)


def test_workspace_needs_a_name(admin: Admin) -> None:
    response = admin.post("/admin/workspaces", {"name": "   "})
    assert response.status_code == 422
    assert "A workspace needs a name." in response.get_data(as_text=True)


def test_revoking_a_key_of_another_workspace_is_a_404(
    admin: Admin, api: ApiClient, deps: Deps
) -> None:
    with deps.uow() as uow:
        key_id = uow.session.scalars(select(ApiKey.id)).one()
    assert admin.post(f"/admin/workspaces/ws_other/keys/{key_id}/revoke").status_code == 404


# --- the CLI ----------------------------------------------------------------------


def test_cli_creates_an_admin_who_can_sign_in(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(vouch_cli, ["admin", "create", "bob", "--password-stdin"],
                           input=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "admin user bob created" in result.output
    assert sign_in(client, "bob", PASSWORD).status_code == 302
    again = runner.invoke(vouch_cli, ["admin", "create", "bob", "--password-stdin"],
                          input=PASSWORD + "\n")  # fmt: skip
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(vouch_cli, ["admin", "create", "carol", "--password-stdin"],
                          input="short\n")  # fmt: skip
    assert short.exit_code != 0 and "Between 12" in short.output


def test_cli_prompts_for_the_password_twice(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(vouch_cli, ["admin", "create", "dora"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sign_in(client, "dora", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/admin/members/mem_%00x",
        "/admin/introductions/int_%00x",
        "/admin/members?q=a%00b",
        "/admin/members?q=" + "%F0%9F%99%82" * 300,
        "/admin/introductions?member=mem%00",
        "/admin/outbox?cursor=" + "A" * 5000,
        "/admin/workspaces/ws_%00",
    ],
)
def test_odd_input_gets_an_html_answer_never_a_500(admin: Admin, path: str) -> None:
    response = admin.get(path)
    assert response.status_code in (200, 400, 404), response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"


def test_odd_form_values_are_refused_cleanly(admin: Admin, deps: Deps) -> None:
    for name in ["x" * 201, "nul\x00name"]:
        response = admin.post("/admin/workspaces", {"name": name})
        assert response.status_code in (302, 400, 422)
        assert response.mimetype == "text/html" or response.status_code == 302
    long = admin.post("/admin/workspaces", {"name": "x" * 201})
    assert long.status_code == 422


def test_failed_webhook_delivery_is_listed_and_can_be_retried(
    api: ApiClient, trio: Trio, admin: Admin, deps: Deps
) -> None:
    from service.models import WebhookDelivery
    from service.webhooks import EVENT_TYPES

    hook = api.post("/v1/webhooks", {"url": "https://hooks.example.com/vouch",
                                     "events": list(EVENT_TYPES)})  # fmt: skip
    assert hook.status_code == 201, hook.json
    intro_id = api.request(trio).json["id"]  # type: ignore[index]
    with deps.uow() as uow:
        delivery_id = uow.session.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.introduction_id == intro_id)
        ).first()
        assert delivery_id is not None
        uow.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(status="failed", attempts=8, last_status_code=503, last_error="HTTP 503")
        )
        uow.commit()
    workspace = admin.get(f"/admin/workspaces/{api.workspace_id}").get_data(as_text=True)
    assert "https://hooks.example.com/vouch" in workspace and "whsec_" not in workspace
    listing = admin.get("/admin/outbox?kind=webhook").get_data(as_text=True)
    assert "https://hooks.example.com/vouch" in listing and "HTTP 503" in listing
    detail = admin.get(f"/admin/introductions/{intro_id}").get_data(as_text=True)
    assert f"/admin/outbox/{delivery_id}/retry" in detail
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert re.search(r'kind=webhook&amp;status=failed"[^>]*>1</a>', dashboard)

    assert admin.post(f"/admin/outbox/{delivery_id}/retry").status_code == 302
    with deps.uow() as uow:
        row = uow.session.get(WebhookDelivery, delivery_id)
        assert row is not None and (row.status, row.attempts) == ("queued", 0)
    (event,) = audit_events(deps, "outbox.retried")
    assert event.detail["kind"] == "webhook" and event.detail["attempts"] == 8


def test_introduction_page_names_who_declined_but_keeps_their_note_private(
    api: ApiClient, trio: Trio, admin: Admin
) -> None:
    intro_id = api.request(trio).json["id"]  # type: ignore[index]
    note = "PRIVATE-NOTE-for-the-introducer-only"
    declined = api.act(intro_id, "decline", trio.introducer, {"note": note})
    assert declined.status_code == 200, declined.json
    html = admin.get(f"/admin/introductions/{intro_id}").get_data(as_text=True)
    assert "Declined by" in html and "the introducer" in html
    assert note not in html
    assert "Waiting for" not in html
