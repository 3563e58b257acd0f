"""One neutral outcome: an introducer's decline, a target's decline and an expiry
look the same to the requester (API state, fields, emails and when they are due),
and the same holds for the target when the requester withdraws or lets it expire."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.clock import FrozenClock
from service.deps import Deps
from service.use_cases.introductions import expire_overdue
from service.use_cases.reminders import send_due_reminders
from tests.api.intro_flows import outbox, requested
from tests.helpers import ApiClient, Trio

IDS = {"id"}


def scrub(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in IDS}


def emails_to(deps: Deps, intro: str, member: str) -> list[tuple[str, str, str, str]]:
    return [
        (m.template, m.subject, m.body_text, m.next_attempt_at.isoformat())
        for m in outbox(deps, intro)
        if m.to_member_id == member and m.status != "cancelled"
    ]


def introducer_declines(api: ApiClient, trio: Trio, deps: Deps, clock: FrozenClock) -> str:
    intro = requested(api, trio)
    clock.advance(timedelta(hours=1))
    assert api.act(intro, "decline", trio.introducer, {"note": "Not Ann."}).status_code == 200
    return intro


def introducer_lets_it_expire(api: ApiClient, trio: Trio, deps: Deps, clock: FrozenClock) -> str:
    return requested(api, trio)


CONSENT_CASES: dict[str, Callable[[ApiClient, Trio, Deps, FrozenClock], str]] = {
    "introducer_declines": introducer_declines,
    "expires": introducer_lets_it_expire,
}


def run_to_deadline(
    api: ApiClient, trio: Trio, deps: Deps, clock: FrozenClock, case: str
) -> tuple[str, list[dict[str, Any]]]:
    """Drive the case; return what the requester sees each day until after the deadline."""
    start = clock.now()
    intro = CONSENT_CASES[case](api, trio, deps, clock)
    seen = []
    for day in range(1, 9):
        clock._now = start + timedelta(days=day)  # noqa: SLF001 - same instants in every case
        expire_overdue(deps)
        view = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
        seen.append(scrub(view))
    return intro, seen


def test_introducer_decline_and_expiry_are_indistinguishable_to_the_requester(
    api: ApiClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    start = clock.now()
    results = {}
    for case in CONSENT_CASES:
        clock._now = start  # noqa: SLF001 - both cases start at the same instant
        other = api.member("Req")
        api.trust(other, trio.introducer, 3)
        run = Trio(other, trio.introducer, trio.target)
        intro, seen = run_to_deadline(api, run, deps, clock, case)
        # Ignore the requester's own id/name, which differ per case by construction.
        for view in seen:
            view.pop("requester")
        results[case] = (seen, [e[0] + e[1] + e[2] + e[3] for e in emails_to(deps, intro, other)])
    declined, expired = results["introducer_declines"], results["expires"]
    assert [v["state"] for v in declined[0]] == ["requested"] * 6 + ["not_made"] * 2
    assert declined[0] == expired[0]
    assert len(declined[1]) == 1 and "won't go ahead" in declined[1][0]
    assert [e.replace("Req", "") for e in declined[1]] == [e.replace("Req", "") for e in expired[1]]


@pytest.mark.parametrize("who", ["target_declines", "expires", "introducer_declines"])
def test_requester_sees_the_same_fields_for_every_way_it_stops(
    api: ApiClient, deps: Deps, trio: Trio, clock: FrozenClock, who: str
) -> None:
    intro = requested(api, trio)
    if who != "introducer_declines":
        assert api.act(intro, "consent", trio.introducer).status_code == 200
    clock.advance(timedelta(days=1))
    if who == "target_declines":
        assert api.act(intro, "decline", trio.target, {"note": "No."}).status_code == 200
    if who == "introducer_declines":
        assert api.act(intro, "decline", trio.introducer).status_code == 200
    held = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    waiting = "requested" if who == "introducer_declines" else "opting_in"
    assert held["state"] == waiting and held["closed_at"] is None
    assert [e[0] for e in emails_to(deps, intro, trio.requester) if e[0] == "not_made"] in (
        [],
        ["not_made"],
    )
    deadline = held["consent_deadline"] if waiting == "requested" else held["opt_in_deadline"]
    clock.advance(timedelta(days=14))
    expire_overdue(deps)
    final = api.get(f"/v1/introductions/{intro}", member=trio.requester).json
    assert final["state"] == "not_made" and final["closed_at"] is None
    assert "decline_note" not in final and "No." not in str(final)
    [note] = [e for e in emails_to(deps, intro, trio.requester) if e[0] == "not_made"]
    assert note[3] == deadline


def test_target_gets_the_same_neutral_note_for_withdrawal_and_expiry(
    api: ApiClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    notes = []
    for withdraw in (True, False):
        other = api.member("Req")
        api.trust(other, trio.introducer, 3)
        run = Trio(other, trio.introducer, trio.target)
        intro = requested(api, run)
        api.act(intro, "consent", trio.introducer)
        api.act(intro, "opt-in", trio.target)
        if withdraw:
            assert api.act(intro, "withdraw", other).status_code == 200
        seen = api.get(f"/v1/introductions/{intro}", member=trio.target).json
        assert seen["state"] == "opting_in"
        clock.advance(timedelta(days=15))
        expire_overdue(deps)
        seen = api.get(f"/v1/introductions/{intro}", member=trio.target).json
        assert seen["state"] == "not_made"
        [note] = [e for e in emails_to(deps, intro, trio.target) if e[0] == "not_made"]
        assert note[3] == seen["opt_in_deadline"]
        notes.append(re.sub(r"/n/\S+", "/n/<token>", note[1] + note[2]))
    assert notes[0] == notes[1]


def test_own_actions_on_a_held_introduction_reveal_nothing(
    api: ApiClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    api.act(intro, "consent", trio.introducer)
    api.act(intro, "decline", trio.target)
    opted = api.act(intro, "opt-in", trio.requester)
    assert opted.status_code == 200
    assert opted.json["state"] == "opting_in" and opted.json["opted_in"] == {"requester": True}
    again = api.act(intro, "opt-in", trio.requester)
    assert again.status_code == 409 and again.json["code"] == "already_opted_in"
    withdrawn = api.act(intro, "withdraw", trio.requester)
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"
    assert "declined" not in withdrawn.get_data(as_text=True)
    # A real withdrawal sends the requester no note, so neither does this one.
    clock.advance(timedelta(days=15))
    assert [e for e in emails_to(deps, intro, trio.requester) if e[0] == "not_made"] == []
    assert api.get(f"/v1/introductions/{intro}", member=trio.requester).json["state"] == (
        "withdrawn"
    )


def test_illegal_actions_after_the_notice_name_only_not_made(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    api.act(intro, "decline", trio.introducer)
    clock.advance(timedelta(days=8))
    response = api.act(intro, "withdraw", trio.requester)
    assert response.status_code == 409
    assert "declined" not in response.get_data(as_text=True)
    assert "not_made" in response.json["detail"]


def test_a_held_request_still_counts_as_open_for_the_requester(
    api: ApiClient, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    api.act(intro, "decline", trio.introducer)
    again = api.request(trio)
    assert again.status_code == 422 and again.json["code"] == "duplicate_open_request"


def test_the_inbox_holds_it_too(api: ApiClient, trio: Trio) -> None:
    intro = requested(api, trio)
    api.act(intro, "decline", trio.introducer)
    inbox = api.get(f"/v1/members/{trio.requester}/inbox", member=trio.requester).json
    assert [i["introduction"]["id"] for i in inbox["waiting_on_others"]] == [intro]
    assert inbox["finished_recently"] == []


def requester_mail_over_opt_in(
    api: ApiClient, deps: Deps, clock: FrozenClock, run: Trio, target_declines: bool
) -> list[tuple[str, str]]:
    """(template, due) of every email to the requester, the worker running daily."""
    start = clock.now()
    intro = requested(api, run)
    assert api.act(intro, "consent", run.introducer).status_code == 200
    for day in range(1, 16):
        clock._now = start + timedelta(days=day)  # noqa: SLF001 - same instants in every case
        if day == 2 and target_declines:
            assert api.act(intro, "decline", run.target).status_code == 200
        send_due_reminders(deps)
        expire_overdue(deps)
    clock._now = start  # noqa: SLF001
    return sorted(((e[0], e[3]) for e in emails_to(deps, intro, run.requester)), key=lambda e: e[1])


def test_a_target_decline_keeps_the_requesters_reminder_like_an_expiry(
    api: ApiClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    mails = []
    for target_declines in (True, False):
        other = api.member("Req")
        api.trust(other, trio.introducer, 3)
        run = Trio(other, trio.introducer, trio.target)
        mails.append(requester_mail_over_opt_in(api, deps, clock, run, target_declines))
    assert [t for t, _ in mails[0]] == ["confirm_requester", "remind_requester", "not_made"]
    assert mails[0] == mails[1]


def test_the_held_reminders_links_still_work_while_held(
    api: ApiClient, client: FlaskClient, deps: Deps, trio: Trio, clock: FrozenClock
) -> None:
    intro = requested(api, trio)
    api.act(intro, "consent", trio.introducer)
    api.act(intro, "decline", trio.target)
    clock.advance(timedelta(days=7))
    assert send_due_reminders(deps) == 1
    [remind] = [m for m in outbox(deps, intro) if m.template == "remind_requester"]
    token = re.search(r"/l/(\S+)", remind.body_text)
    assert token is not None
    page = client.get(f"/l/{token.group(1)}")
    assert page.status_code == 200, page.get_data(as_text=True)
