"""Security headers on every response, API keys compared in constant time, and
nothing secret in the logs."""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.links import csrf_for
from service import api_keys
from service.delivery import DeliveryPolicy, deliver_due
from service.deps import Deps
from service.mailer import MailboxMailer
from service.models import OutboxMessage
from service.use_cases import workspaces
from tests.helpers import ApiClient, Trio

LINK = re.compile(r"/l/([A-Za-z0-9_\-.]+)")


def _assert_protected(response: Any, where: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    if response.mimetype == "text/html":
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, where
        assert "default-src 'none'" in csp or "default-src 'self'" in csp, where
        assert "script-src *" not in csp and "'unsafe-eval'" not in csp, where


def _concrete(rule: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return ids.get(match.group(1), "nothing-here")

    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", fill, rule)


def test_every_route_answers_with_security_headers(app: Flask, api: ApiClient, trio: Trio) -> None:
    intro = api.request(trio).json["id"]  # type: ignore[index]
    ids = {"member_id": trio.requester, "other_id": trio.introducer, "intro_id": intro,
           "id": intro, "token": "not-a-token"}  # fmt: skip
    seen_html = 0
    for rule in app.url_map.iter_rules():
        path = _concrete(rule.rule, ids)
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            for headers in (api.headers(trio.requester), api.headers(), {}):
                response = api.client.open(path, method=method, headers=headers, json={})
                _assert_protected(response, f"{method} {path} -> {response.status_code}")
                seen_html += response.mimetype == "text/html"
    assert seen_html, "no HTML page was reached: the CSP check checked nothing"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/no/such/page"),
        ("DELETE", "/openapi.json"),
        ("GET", "/v1/members"),
        ("POST", "/v1/members"),
        ("GET", "/l/" + "x" * 600),
    ],  # fmt: skip
)
def test_error_responses_carry_security_headers_too(api: ApiClient, method: str, path: str) -> None:
    response = api.client.open(path, method=method, data="{", content_type="application/json")
    assert response.status_code >= 400
    _assert_protected(response, f"{method} {path}")


def test_link_pages_forbid_framing_and_scripts(api: ApiClient, trio: Trio, deps: Deps) -> None:
    api.request(trio)
    with deps.session_factory() as session:
        body = session.scalars(select(OutboxMessage.body_text)).first()
    assert body is not None
    token = LINK.search(body).group(1)  # type: ignore[union-attr]
    page = api.client.get(f"/l/{token}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    _assert_protected(page, "link page")
    assert "script-src" not in page.headers["Content-Security-Policy"] or (
        "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split("script-src")[1]
    )
    assert page.headers["Cache-Control"] == "no-store"


# Constant-time key checks -----------------------------------------------------------


class CompareSpy:
    def __init__(self) -> None:
        self.calls = 0
        self.real = hmac.compare_digest

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls += 1
        return self.real(a, b)


def test_api_key_hashes_are_compared_with_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = CompareSpy()
    monkeypatch.setattr(api_keys.hmac, "compare_digest", spy)
    key, _prefix, stored = api_keys.generate_key()
    assert api_keys.matches(key, stored)
    assert not api_keys.matches(key + "x", stored)
    assert spy.calls == 2


@pytest.mark.parametrize(
    "presented",
    ["valid-prefix-wrong-secret", "unknown-prefix", "malformed", "valid"],
)
def test_authentication_always_runs_one_constant_time_comparison(
    deps: Deps, monkeypatch: pytest.MonkeyPatch, presented: str
) -> None:
    """Wrong, unknown and malformed keys cost the same comparison as a right one,
    so response times do not tell an attacker which prefixes exist."""
    issued = workspaces.create_workspace(deps, "Timing")
    key = {
        "valid-prefix-wrong-secret": issued.key[:-4] + "AAAA",
        "unknown-prefix": "vouch_000000000000_" + "A" * 43,
        "malformed": "not-a-vouch-key",
        "valid": issued.key,
    }[presented]
    spy = CompareSpy()
    monkeypatch.setattr(api_keys.hmac, "compare_digest", spy)
    try:
        workspaces.authenticate(deps, key)
    except Exception as exc:
        assert presented != "valid", exc
    assert spy.calls == 1


# Nothing secret in the logs ------------------------------------------------------------


def test_a_full_flow_logs_no_key_token_or_email(
    app: Flask, api: ApiClient, deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [api.key]
    people = {}
    for name in ("Ann", "Ben", "Tia"):
        people[name] = api.member(name, phone="+44 20 7946 0000")
    secrets += [m["contact"]["email"] for m in (api.get(f"/v1/members/{i}").json
                                               for i in people.values())]  # fmt: skip
    api.trust(people["Ann"], people["Ben"], 3)
    api.trust(people["Ben"], people["Tia"], 4)
    trio = Trio(people["Ann"], people["Ben"], people["Tia"])
    intro = api.request(trio).json["id"]  # type: ignore[index]
    deliver_due(deps, MailboxMailer(), DeliveryPolicy())
    tokens = _tokens(deps)
    for token in tokens:  # the introducer consents by link, as in an email
        api.client.get(f"/l/{token}")
        with app.test_request_context():
            csrf = csrf_for(token)
        api.client.post(f"/l/{token}", data={"csrf": csrf})
        break
    assert api.act(intro, "opt-in", trio.target).status_code == 200
    assert api.act(intro, "opt-in", trio.requester).status_code == 200
    deliver_due(deps, MailboxMailer(), DeliveryPolicy())
    tokens = _tokens(deps)
    # Failures log too: a wrong key, a forged link, an unknown member.
    api.client.get("/v1/members", headers={"Authorization": f"Bearer {api.key}x"})
    api.client.get(f"/l/{tokens[0]}x")
    api.client.post(f"/l/{tokens[0]}", data={"csrf": "forged"})
    api.get("/v1/members/nobody", member=trio.requester)
    secrets += tokens
    assert len(tokens) >= 3 and caplog.records
    records = caplog.records
    messages = [r.getMessage() for r in records]
    logged = "\n".join([caplog.text, *(str(r.args) for r in records), *messages])
    for secret in secrets:
        assert secret not in logged, f"{secret[:12]}... appears in the logs"
    assert "@example.com" not in logged


def _tokens(deps: Deps) -> list[str]:
    with deps.session_factory() as session:
        bodies = session.scalars(select(OutboxMessage.body_text)).all()
    return [m.group(1) for body in bodies for m in LINK.finditer(body)]
