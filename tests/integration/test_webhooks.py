"""Signed webhooks, delivered over real HTTP to a loopback server and verified with
the Standard Webhooks reference library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from service.clock import FrozenClock
from service.deps import Deps
from service.models import WebhookDelivery
from service.use_cases.introductions import expire_overdue
from service.webhook_delivery import deliver_webhooks_due
from service.webhook_sender import UrllibSender
from service.webhooks import EVENT_TYPES
from tests.helpers import ApiClient, Trio
from tests.integration.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        yield receiver


def _subscribe(api: ApiClient, url: str, events: list[str] | None = None) -> dict[str, str]:
    response = api.post("/v1/webhooks", {"url": url, "events": events or EVENT_TYPES})
    assert response.status_code == 201, response.json
    return response.json


def _deliver(deps: Deps, timeout: float = 5.0) -> None:
    deliver_webhooks_due(deps, UrllibSender(timeout=timeout))


def _events(receiver: Receiver, secret: str) -> list[dict]:
    verifier = Webhook(secret)
    return [verifier.verify(r.body, r.headers) for r in receiver.requests]


def test_every_step_of_an_introduction_arrives_signed(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver, clock: FrozenClock
) -> None:
    hook = _subscribe(api, receiver.url)
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    api.act(intro, "opt-in", trio.target)
    api.act(intro, "opt-in", trio.requester)
    clock.advance(timedelta(seconds=1))
    _deliver(deps)

    events = _events(receiver, hook["secret"])
    assert [e["type"] for e in events] == [
        "introduction.requested",
        "introduction.consented",
        "introduction.opted_in",
        "introduction.opted_in",
        "introduction.connected",
    ]
    assert {e["data"]["introduction_id"] for e in events} == {intro}
    assert [e["data"].get("party") for e in events if e["type"].endswith("opted_in")] == [
        "target",
        "requester",
    ]
    assert events[-1]["data"]["state"] == "connected"


def test_webhook_payloads_never_carry_contact_details_names_or_notes(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver
) -> None:
    _subscribe(api, receiver.url)
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer, {"note": "private words"})
    api.act(intro, "opt-in", trio.target)
    api.act(intro, "decline", trio.requester, {"note": "changed my mind, secretly"})
    _deliver(deps)
    bodies = b"".join(r.body for r in receiver.requests).decode()
    assert len(receiver.requests) == 4
    for secret in ("@example.com", "+1 555", "Tia", "Ann", "private words", "secretly"):
        assert secret not in bodies


def test_declined_withdrawn_expired_and_erased_are_published(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver, clock: FrozenClock
) -> None:
    hook = _subscribe(api, receiver.url)
    others = [api.member(name) for name in ("Uma", "Vic")]
    for other in others:
        api.trust(trio.introducer, other, 4)
    first = api.request(trio).json["id"]
    api.act(first, "decline", trio.introducer)
    second = api.request(trio, target_id=others[0]).json["id"]
    api.act(second, "withdraw", trio.requester)
    third = api.request(trio, target_id=others[1]).json["id"]
    clock.advance(timedelta(days=8))
    assert expire_overdue(deps) == 1
    api.delete(f"/v1/members/{trio.target}")
    _deliver(deps)
    types = [
        (e["type"], e["data"].get("introduction_id")) for e in _events(receiver, hook["secret"])
    ]
    assert ("introduction.declined", first) in types
    assert ("introduction.withdrawn", second) in types
    assert ("introduction.expired", third) in types
    assert ("member.erased", None) in types


def test_endpoint_gets_only_the_events_it_asked_for(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver
) -> None:
    hook = _subscribe(api, receiver.url, ["introduction.connected"])
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    _deliver(deps)
    assert receiver.requests == []
    api.act(intro, "opt-in", trio.target)
    api.act(intro, "opt-in", trio.requester)
    _deliver(deps)
    assert [e["type"] for e in _events(receiver, hook["secret"])] == ["introduction.connected"]


def test_a_failed_answer_is_retried_with_backoff_and_every_attempt_recorded(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver, clock: FrozenClock
) -> None:
    hook = _subscribe(api, receiver.url, ["introduction.requested"])
    receiver.answers = [500, 503]
    api.request(trio)
    _deliver(deps)
    _deliver(deps)  # not due yet: the backoff holds it
    assert len(receiver.requests) == 1
    clock.advance(timedelta(seconds=10))
    _deliver(deps)
    clock.advance(timedelta(minutes=10))
    _deliver(deps)
    assert len(receiver.requests) == 3
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1, "retries carry the same webhook-id"
    deliveries = api.get(f"/v1/webhooks/{hook['id']}/deliveries").json["items"]
    assert deliveries[0]["status"] == "delivered"
    assert [a["status_code"] for a in deliveries[0]["attempts"]] == [500, 503, 200]


def test_a_timeout_is_recorded_and_retried(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver
) -> None:
    hook = _subscribe(api, receiver.url, ["introduction.requested"])
    receiver.delay_seconds = 1.0
    api.request(trio)
    _deliver(deps, timeout=0.2)
    delivery = api.get(f"/v1/webhooks/{hook['id']}/deliveries").json["items"][0]
    assert delivery["status"] == "queued"
    assert delivery["attempts"][0]["status_code"] is None
    assert "timed out" in delivery["attempts"][0]["error"].lower()


def test_gone_fails_the_delivery_and_disables_the_endpoint(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver
) -> None:
    hook = _subscribe(api, receiver.url, ["introduction.requested"])
    receiver.answers = [410]
    api.request(trio)
    _deliver(deps)
    assert api.get(f"/v1/webhooks/{hook['id']}").status_code == 404
    with deps.session_factory() as session:
        assert session.scalar(select(WebhookDelivery.status)) == "failed"


def test_operator_can_resend_a_delivery_with_the_same_id(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver
) -> None:
    hook = _subscribe(api, receiver.url, ["introduction.requested"])
    api.request(trio)
    _deliver(deps)
    delivery = api.get(f"/v1/webhooks/{hook['id']}/deliveries").json["items"][0]
    resent = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/resend", {})
    assert resent.status_code == 200
    assert resent.json["status"] == "queued"
    _deliver(deps)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery["id"]] * 2
    events = _events(receiver, hook["secret"])
    assert events[0] == events[1]


def test_a_rejected_action_publishes_nothing(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver
) -> None:
    _subscribe(api, receiver.url)
    intro = api.request(trio).json["id"]
    assert api.act(intro, "opt-in", trio.requester).status_code == 409
    _deliver(deps)
    assert len(receiver.requests) == 1


def test_secret_is_shown_once_and_signatures_fail_with_another_secret(
    api: ApiClient, trio: Trio, deps: Deps, receiver: Receiver
) -> None:
    hook = _subscribe(api, receiver.url, ["introduction.requested"])
    assert "secret" not in api.get(f"/v1/webhooks/{hook['id']}").json
    assert all("secret" not in item for item in api.get("/v1/webhooks").json["items"])
    api.request(trio)
    _deliver(deps)
    other = _subscribe(api, receiver.url + "/other", ["member.erased"])
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(other["secret"]).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert json.loads(receiver.requests[0].body)["type"] == "introduction.requested"


def test_webhooks_are_the_operators_alone(api: ApiClient, trio: Trio, receiver: Receiver) -> None:
    assert (
        api.post(
            "/v1/webhooks", {"url": receiver.url, "events": EVENT_TYPES}, member=trio.requester
        ).status_code
        == 403
    )
    hook = _subscribe(api, receiver.url)
    assert api.get(f"/v1/webhooks/{hook['id']}", member=trio.requester).status_code == 403
    assert api.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert api.get("/v1/webhooks").json["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["member.erased"]}, "url"),
        ({"url": "https://example.com/x", "events": ["introduction.nope"]}, "events"),
        ({"url": "https://example.com/x", "events": []}, "events"),
    ],
)
def test_bad_webhook_input_is_a_problem(api: ApiClient, body: dict, field: str) -> None:
    response = api.post("/v1/webhooks", body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in str(response.json["errors"])


def test_the_worker_command_delivers_webhooks_too(
    app, api: ApiClient, trio: Trio, receiver: Receiver
) -> None:
    from api.cli import main

    hook = _subscribe(api, receiver.url, ["introduction.requested"])
    api.request(trio)
    result = app.test_cli_runner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "webhooks delivered 1" in result.output
    assert [e["type"] for e in _events(receiver, hook["secret"])] == ["introduction.requested"]
