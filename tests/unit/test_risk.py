"""The risk assessment: a pure function, checked against a table of cases."""

from __future__ import annotations

import pytest

from service.reputation import Reputation
from service.risk import RiskInputs, assess, level_for


def inputs(**overrides: object) -> RiskInputs:
    base: dict[str, object] = {
        "requester_name": "Dana",
        "target_name": "Sam",
        "trust_in_requester": 3,
        "trust_in_target": 4,
        "requester_reputation": Reputation(),
        "recent_rated": 0,
        "recent_negative": 0,
        "recent_declines": 0,
        "other_open_requests": 0,
    }
    base.update(overrides)
    return RiskInputs(**base)  # type: ignore[arg-type]


CASES = [
    # (case, overrides, score, level)
    ("worked together, stake trusted, no history", {}, 31, "low"),
    ("would vouch, stake met once", {"trust_in_requester": 5, "trust_in_target": 1}, 0, "low"),
    ("no relationship counts as the worst", {"trust_in_requester": None}, 55, "medium"),
    ("met once scores below no relationship", {"trust_in_requester": 1}, 47, "medium"),
    (
        "unknown requester, target would vouch",
        {"trust_in_requester": None, "trust_in_target": 5},
        60,
        "high",
    ),
    (
        "bad track record",
        {"requester_reputation": Reputation(negative=3), "recent_rated": 3, "recent_negative": 3},
        43,
        "medium",
    ),
    (
        "good track record adds nothing",
        {"requester_reputation": Reputation(positive=5), "recent_rated": 5},
        31,
        "low",
    ),
    ("one decline", {"recent_declines": 1}, 36, "medium"),
    ("declines are capped at 10", {"recent_declines": 7}, 41, "medium"),
    ("open requests", {"other_open_requests": 3}, 37, "medium"),
    ("open requests are capped at 10", {"other_open_requests": 40}, 41, "medium"),
    (
        "everything at its worst stays within 100",
        {
            "trust_in_requester": None,
            "trust_in_target": 5,
            "requester_reputation": Reputation(negative=50),
            "recent_rated": 5,
            "recent_negative": 5,
            "recent_declines": 9,
            "other_open_requests": 9,
        },
        99,
        "high",
    ),
]


@pytest.mark.parametrize(("case", "overrides", "score", "level"), CASES, ids=[c[0] for c in CASES])
def test_score_and_level_follow_the_documented_formula(
    case: str, overrides: dict[str, object], score: int, level: str
) -> None:
    result = assess(inputs(**overrides))
    assert (result.score, result.level) == (score, level)


def test_same_inputs_give_the_same_assessment() -> None:
    one = inputs(trust_in_requester=2, recent_declines=1, other_open_requests=2)
    assert assess(one) == assess(one)


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, "low"), (34, "low"), (35, "medium"), (59, "medium"), (60, "high"), (100, "high")],
)
def test_level_boundaries(score: int, level: str) -> None:
    assert level_for(score) == level


def test_reasons_use_names_and_trust_words() -> None:
    result = assess(
        inputs(
            trust_in_requester=1, trust_in_target=5,
            requester_reputation=Reputation(positive=1, negative=2),
            recent_rated=3, recent_negative=2, recent_declines=1, other_open_requests=2,
        )
    )  # fmt: skip
    assert result.reasons == [
        "You rated Dana 'met once'.",
        "You trust Sam at level 5 ('would vouch'): your standing with Sam is at stake.",
        "2 of Dana's last 3 introductions got negative feedback.",
        "1 request from Dana was declined in the last 90 days.",
        "Dana has 2 other open requests.",
    ]


def test_no_relationship_is_said_plainly() -> None:
    reasons = assess(inputs(trust_in_requester=None)).reasons
    assert reasons[0] == "You have not rated Dana: you have no relationship with them on record."
    assert reasons[2] == "Dana has no feedback from earlier introductions yet."


def test_reasons_for_parts_that_do_not_apply_are_left_out() -> None:
    reasons = assess(inputs()).reasons
    assert not any("declined" in r or "open request" in r for r in reasons)
