"""Export, erasure and the disclosure log (issue 6, data protection)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from service.clock import FrozenClock
from service.deps import Deps
from service.models import Base, OutboxMessage
from tests.helpers import ApiClient, Trio


def _connect(api: ApiClient, trio: Trio) -> str:
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer, {"note": "Ann is solid"})
    api.act(intro, "opt-in", trio.target)
    assert api.act(intro, "opt-in", trio.requester).json["state"] == "connected"
    return str(intro)


def _all_text(deps: Deps) -> str:
    """Every value of every table, as one string, to search for leftovers."""
    chunks = []
    with deps.session_factory() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_member_exports_profile_contact_relationships_introductions_and_audit(
    api: ApiClient, trio: Trio
) -> None:
    intro = _connect(api, trio)
    export = api.get(f"/v1/members/{trio.requester}/export", member=trio.requester)
    assert export.status_code == 200
    data = export.json
    assert data["member"]["contact"]["email"].startswith("ann-")
    assert data["relationships"]["outgoing"] == [
        {"to_id": trio.introducer, "trust": 3, "introducible": True, "context": ""}
    ]
    assert [i["id"] for i in data["introductions"]] == [intro]
    assert data["introductions"][0]["your_role"] == "requester"
    actions = {e["action"] for e in data["audit_events"]}
    assert {"introduction.requested", "contact.disclosed"} <= actions


def test_export_shows_who_trusts_the_member_but_never_how_much(api: ApiClient, trio: Trio) -> None:
    data = api.get(f"/v1/members/{trio.target}/export", member=trio.target).json
    assert data["relationships"]["incoming"] == [{"from_id": trio.introducer, "from_name": "Ben"}]
    assert "trust" not in str(data["relationships"]["incoming"])


def test_another_member_cannot_export_someone_else(api: ApiClient, trio: Trio) -> None:
    response = api.get(f"/v1/members/{trio.target}/export", member=trio.requester)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_export_hides_requests_the_target_has_not_been_asked_about(
    api: ApiClient, trio: Trio
) -> None:
    api.request(trio)
    data = api.get(f"/v1/members/{trio.target}/export", member=trio.target).json
    assert data["introductions"] == []


def test_erasure_leaves_nothing_of_the_member_readable(
    api: ApiClient, trio: Trio, deps: Deps
) -> None:
    _connect(api, trio)
    ann = api.get(f"/v1/members/{trio.requester}").json
    secrets = [ann["contact"]["email"], ann["contact"]["phone"], ann["external_ref"], "Ann"]
    blurb = "Ann runs data at Acme"
    assert all(s in _all_text(deps) for s in [*secrets, blurb])

    assert api.delete(f"/v1/members/{trio.requester}").status_code == 204

    remaining = _all_text(deps)
    for secret in [*secrets, blurb]:
        assert secret not in remaining, secret
    erased = api.get(f"/v1/members/{trio.requester}").json
    assert erased["name"] == "Erased member"
    assert api.get(f"/v1/members/{trio.requester}/export").status_code == 404


def test_erasure_closes_open_introductions_and_tells_others_neutrally(
    api: ApiClient, trio: Trio, deps: Deps, clock: FrozenClock
) -> None:
    intro = api.request(trio).json["id"]
    deadline = api.act(intro, "consent", trio.introducer).json["opt_in_deadline"]
    assert api.delete(f"/v1/members/{trio.target}").status_code == 204

    assert api.get(f"/v1/introductions/{intro}").json["state"] == "declined"
    # Like any close the requester did not cause: held until the deadline, then neutral.
    seen = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    assert seen["state"] == "opting_in"
    clock.advance(timedelta(days=14, seconds=1))
    seen = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    assert seen["state"] == "not_made"
    with deps.session_factory() as session:
        notice = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.introduction_id == intro,
                OutboxMessage.to_member_id == trio.requester,
                OutboxMessage.template == "not_made",
            )
        )
    assert notice is not None
    assert notice.next_attempt_at.isoformat() == deadline
    with deps.session_factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.introduction_id == intro))
        by_recipient = {(r.to_member_id, r.template, r.status) for r in rows}
    assert (trio.requester, "not_made", "queued") in by_recipient
    assert all(
        status == "cancelled" for member, _template, status in by_recipient if member == trio.target
    )


def test_erased_member_can_no_longer_act(api: ApiClient, trio: Trio) -> None:
    api.delete(f"/v1/members/{trio.requester}")
    response = api.get("/v1/introductions", member=trio.requester)
    assert response.status_code == 403
    assert response.json["code"] == "unknown_acting_member"


def test_only_the_operator_erases(api: ApiClient, trio: Trio) -> None:
    response = api.delete(f"/v1/members/{trio.requester}", member=trio.requester)
    assert response.status_code == 403
    assert api.get(f"/v1/members/{trio.requester}").json["name"] == "Ann"


def test_every_disclosure_of_contact_is_logged(api: ApiClient, trio: Trio) -> None:
    intro = _connect(api, trio)
    api.get(f"/v1/introductions/{intro}", member=trio.requester)
    api.get(f"/v1/members/{trio.target}", member=trio.requester)
    log = api.get(f"/v1/members/{trio.target}/disclosures").json["items"]
    channels = sorted((e["channel"], e["detail"]["to"]) for e in log)
    assert ("email", f"member:{trio.requester}") in channels
    assert channels.count(("api", f"member:{trio.requester}")) >= 3


def test_each_read_that_shows_a_contact_logs_exactly_that(api: ApiClient, trio: Trio) -> None:
    intro = _connect(api, trio)

    def api_rows() -> int:
        log = api.get(f"/v1/members/{trio.target}/disclosures").json["items"]
        return sum(1 for e in log if e["channel"] == "api")

    before = api_rows()
    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).status_code == 200
    assert api_rows() == before + 1
    items = api.get("/v1/introductions", member=trio.requester).json["items"]
    assert [i["id"] for i in items if "contact" in i["target"]] == [intro]
    assert api_rows() == before + 2
    # The introducer's view carries no contact, so it logs nothing.
    assert api.get(f"/v1/introductions/{intro}", member=trio.introducer).status_code == 200
    assert api_rows() == before + 2


def test_no_disclosure_is_logged_before_connected(api: ApiClient, trio: Trio) -> None:
    intro = api.request(trio).json["id"]
    api.act(intro, "consent", trio.introducer)
    for member in trio.all.values():
        api.get(f"/v1/introductions/{intro}", member=member)
    log = api.get(f"/v1/members/{trio.target}/disclosures").json["items"]
    assert log == []


def test_members_cannot_read_the_disclosure_log(api: ApiClient, trio: Trio) -> None:
    response = api.get(f"/v1/members/{trio.target}/disclosures", member=trio.target)
    assert response.status_code == 403


def test_audit_table_refuses_update_and_delete_on_postgres(
    backend: str, api: ApiClient, trio: Trio, deps: Deps
) -> None:
    if backend != "postgres":
        # The append-only trigger is PostgreSQL's; SQLite is the one-machine mode.
        assert "audit_events" in inspect(deps.session_factory.kw["bind"]).get_table_names()
        return
    with deps.session_factory() as session, pytest.raises(Exception, match="append-only"):
        session.execute(text("UPDATE audit_events SET action = 'x'"))
    with deps.session_factory() as session, pytest.raises(Exception, match="append-only"):
        session.execute(text("DELETE FROM audit_events"))


def test_export_includes_feedback_given_and_erasure_removes_its_words(
    api: ApiClient, trio: Trio, deps: Deps
) -> None:
    intro = _connect(api, trio)
    given = api.post(
        f"/v1/introductions/{intro}/feedback",
        {"rating": "positive", "comment": "Tia was generous with her time"},
        member=trio.requester,
    )
    assert given.status_code in (200, 201), given.json
    export = api.get(f"/v1/members/{trio.requester}/export", member=trio.requester).json
    assert [(f["introduction_id"], f["rating"]) for f in export["feedback_given"]] == [
        (intro, "positive")
    ]
    api.delete(f"/v1/members/{trio.requester}")
    assert "generous with her time" not in _all_text(deps)
