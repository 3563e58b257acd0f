"""One-tap "never introduce me through Vouch again": a keyed hash on a list that
survives erasure, checked before any email to a target and before any request."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from service.clock import FrozenClock
from service.deps import Deps
from service.models import AuditEvent, OutboxMessage, SuppressedAddress
from service.suppression import address_hash
from tests.api.expect import assert_problem
from tests.api.intro_flows import outbox, requested
from tests.helpers import ApiClient, Trio

NEVER_LINK = re.compile(r"https?://[^\s\"]+/n/([^\s\"<]+)")


def consented(api: ApiClient, trio: Trio) -> str:
    intro = requested(api, trio)
    assert api.act(intro, "consent", trio.introducer).status_code == 200
    return intro


def never_token(deps: Deps, intro: str, target: str) -> str:
    [invite] = [m for m in outbox(deps, intro) if m.template == "invite_target"]
    assert invite.to_member_id == target
    found = NEVER_LINK.search(invite.body_text)
    assert found is not None, invite.body_text
    assert NEVER_LINK.search(invite.body_html) is not None
    return found.group(1)


def press_never(client: FlaskClient, token: str) -> str:
    page = client.get(f"/n/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Never again" in html and "No, keep things as they are" in html
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert csrf is not None
    done = client.post(f"/n/{token}", data={"csrf": csrf.group(1)})
    assert done.status_code == 200
    return done.get_data(as_text=True)


def hashes(deps: Deps) -> list[str]:
    with deps.session_factory() as session:
        return list(session.scalars(select(SuppressedAddress.address_hash)).all())


def target_email(api: ApiClient, trio: Trio) -> str:
    return str(api.get(f"/v1/members/{trio.target}").json["contact"]["email"])


def test_every_email_to_a_target_not_yet_connected_carries_the_never_link(
    api: ApiClient, deps: Deps, trio: Trio
) -> None:
    intro = consented(api, trio)
    never_token(deps, intro, trio.target)
    for message in outbox(deps, intro):
        if message.to_member_id != trio.target:
            assert "/n/" not in message.body_text and "/n/" not in message.body_html


def test_get_changes_nothing_and_no_is_as_easy(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    token = never_token(deps, consented(api, trio), trio.target)
    assert client.get(f"/n/{token}").status_code == 200
    kept = client.get(f"/n/{token}/kept")
    assert kept.status_code == 200 and "Nothing changed" in kept.get_data(as_text=True)
    assert hashes(deps) == []


def test_never_stores_only_a_keyed_hash_and_closes_neutrally(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    intro = consented(api, trio)
    email = target_email(api, trio)
    html = press_never(client, never_token(deps, intro, trio.target))
    assert "nobody will introduce you" in html
    stored = hashes(deps)
    assert stored == [address_hash(deps.settings.suppression_keys[-1], email)]
    assert email not in stored[0] and len(stored[0]) == 64
    # The requester sees the neutral outcome, at the deadline.
    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"] == (
        "opting_in"
    )
    clock.advance(timedelta(days=14))
    seen = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    assert seen["state"] == "not_made"
    with deps.session_factory() as session:
        actions = set(session.scalars(select(AuditEvent.action)).all())
    assert "suppression.added" in actions


def test_pressing_twice_is_harmless(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    token = never_token(deps, consented(api, trio), trio.target)
    press_never(client, token)
    page = client.get(f"/n/{token}")
    assert page.status_code == 200 and "Done" in page.get_data(as_text=True)
    assert len(hashes(deps)) == 1


def test_a_suppressed_target_cannot_be_requested_again(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    press_never(client, never_token(deps, consented(api, trio), trio.target))
    other = api.member("Otto")
    api.trust(other, trio.introducer, 4)
    response = api.request(Trio(other, trio.introducer, trio.target))
    # The same answer as a target the introducer cannot introduce: no hint why.
    assert_problem(response, 422, "target_not_reachable")


def test_a_request_already_waiting_is_stopped_at_consent(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    first = consented(api, trio)
    cara = api.member("Cara")
    api.trust(cara, trio.introducer, 3)
    waiting = requested(api, Trio(cara, trio.introducer, trio.target))
    press_never(client, never_token(deps, first, trio.target))
    assert_problem(api.act(waiting, "consent", trio.introducer), 422, "target_unavailable")
    assert [m for m in outbox(deps, waiting) if m.to_member_id == trio.target] == []


def test_the_list_survives_erasure(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    intro = consented(api, trio)
    email = target_email(api, trio)
    press_never(client, never_token(deps, intro, trio.target))
    assert api.delete(f"/v1/members/{trio.target}").status_code in (200, 204)
    assert len(hashes(deps)) == 1
    # Back under a new member record with the same address: still suppressed.
    again = api.post(
        "/v1/members",
        {"external_ref": "tia-again", "name": "Tia", "contact": {"email": email.upper()}},
    )
    assert again.status_code == 201, again.json
    api.trust(trio.introducer, again.json["id"], 4)
    response = api.request(Trio(trio.requester, trio.introducer, again.json["id"]))
    assert_problem(response, 422, "target_not_reachable")


def test_queued_email_to_the_target_is_cancelled(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio
) -> None:
    intro = consented(api, trio)
    press_never(client, never_token(deps, intro, trio.target))
    with deps.session_factory() as session:
        to_target = session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_member_id == trio.target)
        ).all()
        assert to_target and all(m.status == "cancelled" for m in to_target)


def test_a_bad_never_link_is_a_clear_page(client: FlaskClient) -> None:
    assert client.get("/n/not-a-token").status_code == 404
    assert client.post("/n/not-a-token", data={}).status_code == 403
